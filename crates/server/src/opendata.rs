//! The 360Giving export, streamed: awards are read in keyset batches and
//! each batch is written out before the next is read, so memory stays flat
//! however many grants there are. Shared by `GET /v1/exports/360giving` and
//! `grantledger export 360giving`.

use std::collections::HashMap;
use std::io::Write;

use grantledger_domain::csv_writer::CsvWriter;
use grantledger_domain::fund::Fund;
use grantledger_domain::ids::{AwardId, FundId};
use grantledger_domain::opendata::{
    Grant, GrantSource, PUBLISHED_STATUSES, Publisher, PublisherError, csv_header,
};
use grantledger_store::common::{MAX_PAGE_SIZE, PageRequest};
use grantledger_store::{Database, awards, funds, grantees};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// Awards read per batch.
pub const BATCH_SIZE: u32 = 5_000;

/// The publisher prefix `serve --demo` uses when `GRANTLEDGER_360G_PREFIX`
/// is not set. Real deployments must set their own: every deployment
/// publishing under one prefix would publish colliding grant ids.
pub const DEMO_PREFIX: &str = "grantledger";

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

/// The publisher from the environment: `GRANTLEDGER_360G_PREFIX`,
/// `GRANTLEDGER_360G_PUBLISHER_NAME` (default: the prefix) and
/// `GRANTLEDGER_360G_DATA_SOURCE` (a URL; absent by default). Without a
/// prefix there is no publisher (`None`), except in demo mode, which
/// publishes as [`DEMO_PREFIX`].
///
/// # Errors
/// A setting that is present but invalid.
pub fn publisher_from_env(demo: bool) -> Result<Option<Publisher>, PublisherError> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let prefix = match var("GRANTLEDGER_360G_PREFIX") {
        Some(prefix) => prefix,
        None if demo => DEMO_PREFIX.to_owned(),
        None => return Ok(None),
    };
    let name = var("GRANTLEDGER_360G_PUBLISHER_NAME").unwrap_or_else(|| prefix.clone());
    Publisher::new(
        &prefix,
        &name,
        var("GRANTLEDGER_360G_DATA_SOURCE").as_deref(),
    )
    .map(Some)
}

/// The error for an export asked of a server with no publisher prefix.
pub fn no_publisher() -> ApiError {
    ApiError::Unavailable(
        "360Giving export is not configured: set GRANTLEDGER_360G_PREFIX to the publisher prefix 360Giving assigned you (and GRANTLEDGER_360G_PUBLISHER_NAME, GRANTLEDGER_360G_DATA_SOURCE)".to_owned(),
    )
}

/// Writes grants as they come: the package's opening, each grant, the close.
#[derive(Debug)]
struct Encoder<W: Write> {
    json: Option<W>,
    csv: Option<CsvWriter<W>>,
    funders: usize,
    written: u64,
}

fn io_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("writing the export: {e}"))
}

impl<W: Write> Encoder<W> {
    fn begin(mut out: W, format: ExportFormat, funders: usize) -> Result<Self, ApiError> {
        let (json, csv) = match format {
            ExportFormat::Json => {
                out.write_all(b"{\"grants\":[").map_err(io_error)?;
                (Some(out), None)
            }
            ExportFormat::Csv => {
                let mut writer = CsvWriter::new(out);
                writer.write_record(csv_header(funders)).map_err(io_error)?;
                (None, Some(writer))
            }
        };
        Ok(Encoder {
            json,
            csv,
            funders,
            written: 0,
        })
    }

    fn grant(&mut self, grant: &grantledger_domain::opendata::Grant) -> Result<(), ApiError> {
        if let Some(out) = self.json.as_mut() {
            out.write_all(if self.written == 0 { b"\n" } else { b",\n" })
                .map_err(io_error)?;
            serde_json::to_writer(&mut *out, grant).map_err(io_error)?;
        }
        if let Some(writer) = self.csv.as_mut() {
            writer
                .write_record(grant.csv_record(self.funders))
                .map_err(io_error)?;
        }
        self.written += 1;
        Ok(())
    }

    fn finish(self) -> Result<u64, ApiError> {
        if let Some(mut out) = self.json {
            out.write_all(b"\n]}\n").map_err(io_error)?;
            out.flush().map_err(io_error)?;
        }
        if let Some(writer) = self.csv {
            writer
                .into_inner()
                .map_err(io_error)?
                .flush()
                .map_err(io_error)?;
        }
        Ok(self.written)
    }
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

/// What an export needs before its first byte: every fund it covers, read
/// (so a funder's org id that does not read fails here, not half way
/// through), how many funder columns the CSV needs, and proof that at
/// least one grant will be written (the standard requires one).
#[derive(Debug)]
pub struct Plan {
    fund: Option<FundId>,
    funds: HashMap<FundId, Fund>,
    funders: usize,
}

/// Checks an export can be written whole and plans it.
///
/// # Errors
/// 409 when nothing would be published; a store error when a fund cannot
/// be read.
pub fn prepare(
    db: &Database,
    fund: Option<FundId>,
    publisher: &Publisher,
) -> Result<Plan, ApiError> {
    db.read(|conn| -> Result<Plan, ApiError> {
        let mut funds_by_id = HashMap::new();
        match fund {
            Some(id) => {
                funds_by_id.insert(id, funds::get(conn, id)?.value);
            }
            None => {
                let mut after = None;
                loop {
                    let page = funds::list(
                        conn,
                        &funds::FundFilter::default(),
                        PageRequest::new(Some(MAX_PAGE_SIZE), after),
                    )?;
                    for record in page.items {
                        funds_by_id.insert(record.value.id, record.value);
                    }
                    match page.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
            }
        }
        if let Some((grantee, org_id)) = grantees::invalid_org_ids(conn, fund)?.first() {
            return Err(ApiError::conflict(format!(
                "grantee {grantee} holds the org id \"{org_id}\", which is not a valid org id; correct the grantee's record, then export"
            )));
        }
        let funders = funds_by_id
            .values()
            .map(|f| f.funders.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let plan = Plan {
            fund,
            funds: funds_by_id,
            funders,
        };
        let mut after: Option<AwardId> = None;
        let mut cache = awards::ExportCache::default();
        loop {
            let batch = awards::export_batch(
                conn,
                fund,
                &PUBLISHED_STATUSES,
                after,
                BATCH_SIZE,
                &mut cache,
            )?;
            let Some(last) = batch.last() else {
                break;
            };
            after = Some(last.award.value.award.id);
            if batch.iter().any(|row| plan.grant(row, publisher).is_some()) {
                return Ok(plan);
            }
            if batch.len() < BATCH_SIZE as usize {
                break;
            }
        }
        let scope = match fund.and_then(|id| plan.funds.get(&id)) {
            Some(f) => format!("fund {} has", f.code),
            None => "there are".to_owned(),
        };
        Err(ApiError::conflict(format!(
            "nothing to publish: {scope} no offered, accepted or completed awards, and no cancelled award with payments; a 360Giving file must hold at least one grant"
        )))
    })
}

impl Plan {
    /// The grant for one row, if it is published.
    fn grant(&self, row: &awards::ExportRow, publisher: &Publisher) -> Option<Grant> {
        let award = &row.award.value.award;
        let fund = self.funds.get(&award.fund_id)?;
        GrantSource {
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
        }
        .to_grant(publisher)
    }
}

/// Streams the export planned by [`prepare`] to `out`, one batch at a
/// time; `progress` is told how many awards each batch read. Returns how
/// many grants were written.
///
/// Reading and writing overlap: this thread fetches the next batch while
/// another encodes the last one (at most one batch waits between them, so
/// memory stays flat). The file is closed only when every batch was read,
/// so a failed read never leaves a file that looks complete.
pub fn export<W: Write + Send>(
    db: &Database,
    plan: &Plan,
    format: ExportFormat,
    publisher: &Publisher,
    out: W,
    mut progress: impl FnMut(u64),
) -> Result<u64, ApiError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<awards::ExportRow>>(1);
    std::thread::scope(|scope| {
        let encoding = scope.spawn(move || -> Result<Encoder<W>, ApiError> {
            let mut encoder = Encoder::begin(out, format, plan.funders)?;
            for batch in rx {
                for row in &batch {
                    if let Some(grant) = plan.grant(row, publisher) {
                        encoder.grant(&grant)?;
                    }
                }
            }
            Ok(encoder)
        });
        let mut cache = awards::ExportCache::default();
        let read = db.read(|conn| {
            awards::export_each(
                conn,
                plan.fund,
                &PUBLISHED_STATUSES,
                BATCH_SIZE,
                &mut cache,
                |batch| {
                    let n = batch.len() as u64;
                    tx.send(batch).map_err(|_| {
                        ApiError::Internal("the export's writer stopped".to_owned())
                    })?;
                    progress(n);
                    Ok::<_, ApiError>(())
                },
            )
        });
        drop(tx);
        let encoded = encoding
            .join()
            .map_err(|_| ApiError::Internal("the export's writer panicked".to_owned()))?;
        // When the writer stopped first (the client went away), its error is
        // the cause and the reader's "writer stopped" only its echo.
        let encoder = encoded?;
        read?;
        encoder.finish()
    })
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
