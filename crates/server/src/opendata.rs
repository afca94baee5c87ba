//! The 360Giving export, streamed: awards are read in keyset batches and
//! each batch is written out before the next is read, so memory stays flat
//! however many grants there are. Shared by `GET /v1/exports/360giving` and
//! `grantledger export 360giving`.

use std::collections::HashMap;
use std::io::Write;

use grantledger_domain::fund::Fund;
use grantledger_domain::ids::{AwardId, FundId};
use grantledger_domain::opendata::{CSV_COLUMNS, GrantSource, PUBLISHED_STATUSES, Publisher};
use grantledger_store::{Database, awards, funds};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// Awards read per batch.
pub const BATCH_SIZE: u32 = 1_000;

/// The default publisher prefix (`360G-grantledger-…`) when
/// `GRANTLEDGER_360G_PREFIX` is not set.
pub const DEFAULT_PREFIX: &str = "grantledger";

/// The forms of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// A 360Giving JSON package, `{"grants": [...]}`.
    #[default]
    Json,
    /// CSV with the official grants-sheet column titles.
    Csv,
}

impl ExportFormat {
    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Json => "application/json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }
}

/// The publisher from the environment: `GRANTLEDGER_360G_PREFIX` (default
/// `grantledger`), `GRANTLEDGER_360G_PUBLISHER_NAME` (default `grantledger`)
/// and `GRANTLEDGER_360G_DATA_SOURCE` (a URL; absent by default).
pub fn publisher_from_env() -> Result<Publisher, ApiError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Publisher::new(
        &var("GRANTLEDGER_360G_PREFIX").unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
        &var("GRANTLEDGER_360G_PUBLISHER_NAME").unwrap_or_else(|| "grantledger".to_owned()),
        var("GRANTLEDGER_360G_DATA_SOURCE").as_deref(),
    )
    .map_err(|e| ApiError::Internal(format!("360Giving publisher settings: {e}")))
}

/// Writes grants as they come: the package's opening, each grant, the close.
#[derive(Debug)]
struct Encoder<W: Write> {
    out: W,
    format: ExportFormat,
    written: u64,
}

fn io_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("writing the export: {e}"))
}

impl<W: Write> Encoder<W> {
    fn begin(mut out: W, format: ExportFormat) -> Result<Self, ApiError> {
        match format {
            ExportFormat::Json => out.write_all(b"{\"grants\":[").map_err(io_error)?,
            ExportFormat::Csv => write_csv_record(&mut out, CSV_COLUMNS.iter().copied())?,
        }
        Ok(Encoder {
            out,
            format,
            written: 0,
        })
    }

    fn grant(&mut self, grant: &grantledger_domain::opendata::Grant) -> Result<(), ApiError> {
        match self.format {
            ExportFormat::Json => {
                self.out
                    .write_all(if self.written == 0 { b"\n" } else { b",\n" })
                    .map_err(io_error)?;
                serde_json::to_writer(&mut self.out, grant).map_err(io_error)?;
            }
            ExportFormat::Csv => {
                let record = grant.csv_record();
                write_csv_record(&mut self.out, record.iter().map(String::as_str))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<u64, ApiError> {
        if self.format == ExportFormat::Json {
            self.out.write_all(b"\n]}\n").map_err(io_error)?;
        }
        self.out.flush().map_err(io_error)?;
        Ok(self.written)
    }
}

/// One CSV record, quoted where needed, through a csv writer that holds
/// nothing between records.
fn write_csv_record<'a>(
    out: &mut impl Write,
    fields: impl Iterator<Item = &'a str>,
) -> Result<(), ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(512));
    writer.write_record(fields).map_err(io_error)?;
    let bytes = writer.into_inner().map_err(io_error)?;
    out.write_all(&bytes).map_err(io_error)
}

/// Resolves `--fund` / `?fund_id=`: an id or a code.
pub fn find_fund(db: &Database, id_or_code: &str) -> Result<FundId, ApiError> {
    let record = db.read(|c| Ok::<_, ApiError>(funds::find(c, id_or_code)?))?;
    Ok(record.value.id)
}

/// How many grants an export will consider (an upper bound: cancelled
/// awards with nothing paid are counted but not published).
pub fn count(db: &Database, fund: Option<FundId>) -> Result<u64, ApiError> {
    db.read(|c| Ok::<_, ApiError>(awards::export_count(c, fund, &PUBLISHED_STATUSES)?))
}

/// Streams the export of one fund's awards (or every fund's) to `out`, one
/// batch at a time; `progress` is told how many awards each batch read.
/// Returns how many grants were written.
pub fn export(
    db: &Database,
    fund: Option<FundId>,
    format: ExportFormat,
    publisher: &Publisher,
    out: impl Write,
    mut progress: impl FnMut(u64),
) -> Result<u64, ApiError> {
    let mut encoder = Encoder::begin(out, format)?;
    let mut funds_seen: HashMap<FundId, Fund> = HashMap::new();
    let mut after: Option<AwardId> = None;
    db.read(|conn| {
        loop {
            let batch = awards::export_batch(conn, fund, &PUBLISHED_STATUSES, after, BATCH_SIZE)?;
            let Some(last) = batch.last() else {
                break;
            };
            after = Some(last.award.value.award.id);
            for row in &batch {
                let award = &row.award.value.award;
                let fund = match funds_seen.entry(award.fund_id) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(funds::get(conn, award.fund_id)?.value)
                    }
                };
                let source = GrantSource {
                    award,
                    title: &row.title,
                    description: &row.summary,
                    amount_applied_for: row.amount_requested,
                    awarded_at: row.award.created_at,
                    modified_at: row.award.updated_at,
                    end_date: row.award.value.return_due_on,
                    grantee: &row.grantee,
                    fund,
                    round_number: row.round_number,
                    round_name: &row.round_name,
                };
                if let Some(grant) = source.to_grant(publisher) {
                    encoder.grant(&grant)?;
                }
            }
            progress(batch.len() as u64);
            if batch.len() < BATCH_SIZE as usize {
                break;
            }
        }
        Ok::<_, ApiError>(())
    })?;
    encoder.finish()
}

/// A writer that sends what it is given down a bounded channel in chunks:
/// the HTTP response body reads the other end. The bound keeps memory flat:
/// when the client reads slowly, the export waits.
#[derive(Debug)]
pub struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<actix_web::web::Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    /// A writer feeding `tx`.
    pub fn new(
        tx: tokio::sync::mpsc::Sender<Result<actix_web::web::Bytes, std::io::Error>>,
    ) -> Self {
        ChannelWriter {
            tx,
            buffer: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(actix_web::web::Bytes::from(chunk)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }

    /// Ends the body with an error, so the client sees a broken transfer
    /// rather than a short file that looks complete.
    pub fn fail(self, error: &ApiError) {
        let _ = self
            .tx
            .blocking_send(Err(std::io::Error::other(error.to_string())));
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
