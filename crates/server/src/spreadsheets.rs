//! The spreadsheet exports (panel pack, awards, variations, tranches,
//! evaluation returns) written as CSV or XLSX. Shared by
//! `GET /v1/exports/{export}` and `grantledger export {export}`; the columns
//! come from `grantledger_domain::spreadsheet`, the rows from
//! `grantledger_store::spreadsheets`, read in batches.
//!
//! Memory: CSV is streamed, one batch of rows at a time. XLSX is a zip
//! archive whose parts can only be finished at the end, so it is not
//! streamed: rows go through `rust_xlsxwriter`'s constant-memory worksheet,
//! which writes each row to a temporary file as it comes (memory stays flat
//! while rows are read), and the finished archive is then assembled; over
//! HTTP it is held in memory (compressed) to be sent, from the CLI it is
//! written straight to the output file.

use std::io::Write;

use grantledger_domain::csv_writer::CsvWriter;
use std::collections::HashMap;

use grantledger_domain::form::{Form, Question};
use grantledger_domain::ids::{ApplicationId, RoundId};
use grantledger_domain::spreadsheet::{Cell, Sheet};
use grantledger_store::spreadsheets::{self, Scope};
use grantledger_store::{AnyConnection, Database, forms, funds, rounds};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// Rows read per batch.
pub const BATCH_SIZE: u32 = 500;

/// The most rows a worksheet holds (Excel's limit, header included).
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

/// The longest text a cell holds (Excel's limit, in characters).
const XLSX_MAX_TEXT: usize = 32_767;

/// The forms of a spreadsheet export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SheetFormat {
    /// CSV (UTF-8, a header row, formula cells neutralised).
    #[default]
    Csv,
    /// An Excel workbook with typed cells.
    Xlsx,
}

/// The XLSX media type.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl SheetFormat {
    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            SheetFormat::Csv => "text/csv; charset=utf-8",
            SheetFormat::Xlsx => XLSX_CONTENT_TYPE,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Csv => "csv",
            SheetFormat::Xlsx => "xlsx",
        }
    }
}

/// An export asked for, checked: the fund exists and the round is one of its.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Which export.
    pub sheet: Sheet,
    /// Which rows.
    pub scope: Scope,
    /// How many assessor column groups (panel pack only).
    pub assessors: usize,
    /// The file name, without extension: `awards-LCF2`, `panel-pack-LCF2-round-1`.
    pub file_stem: String,
    /// A round's panel pack: the round's form, whose questions are columns.
    pub form: Option<Form>,
}

/// Checks an export can be made and plans it. `round_field` names the
/// round parameter in errors (`round_id` over HTTP, `--round` on the CLI).
///
/// # Errors
/// 404 for an unknown fund; 422 naming `round_field` for a round that does
/// not exist or is another fund's.
#[tracing::instrument(skip_all, fields(sheet = ?sheet, fund = %fund, round_id = ?round))]
pub fn plan(
    db: &Database,
    sheet: Sheet,
    fund: &str,
    round: Option<uuid::Uuid>,
    round_field: &str,
) -> Result<Plan, ApiError> {
    db.read(|conn| {
        let fund = funds::find(conn, fund)?.value;
        let round = match round {
            None => None,
            Some(id) => match rounds::get(conn, RoundId::from_uuid(id)) {
                Ok(record) if record.value.fund_id == fund.id => Some(record.value),
                Ok(_) | Err(grantledger_store::StoreError::NotFound { .. }) => {
                    return Err(ApiError::invalid(
                        round_field,
                        format!("no round {id} in fund {}", fund.code),
                    ));
                }
                Err(e) => return Err(e.into()),
            },
        };
        let scope = Scope {
            fund: fund.id,
            round: round.as_ref().map(|r| r.id),
        };
        let assessors = if sheet == Sheet::PanelPack {
            spreadsheets::most_assessments(conn, scope)?
        } else {
            0
        };
        // One round's applications share a form: its answers are columns.
        let form = match (&round, sheet) {
            (Some(r), Sheet::PanelPack) => forms::current(conn, r.id)?.map(|f| f.form),
            _ => None,
        };
        let file_stem = match &round {
            Some(r) => format!("{}-{}-round-{}", sheet.slug(), fund.code, r.number),
            None => format!("{}-{}", sheet.slug(), fund.code),
        };
        Ok(Plan {
            sheet,
            scope,
            assessors,
            file_stem,
            form,
        })
    })
}

/// Reads the export's rows batch by batch and hands each (header first) to
/// `row`. Returns how many data rows there were.
fn each_row(
    db: &Database,
    plan: &Plan,
    mut row: impl FnMut(&[Cell]) -> Result<(), ApiError>,
) -> Result<u64, ApiError> {
    let questions: Vec<&Question> = plan.form.iter().flat_map(|f| f.questions()).collect();
    let header: Vec<Cell> = plan
        .sheet
        .header(plan.assessors)
        .into_iter()
        .chain(questions.iter().map(|q| q.label.clone()))
        .map(Cell::Text)
        .collect();
    row(&header)?;
    let mut written = 0u64;
    let mut after: Option<uuid::Uuid> = None;
    db.read(|conn: &mut AnyConnection| {
        loop {
            let (cells, last): (Vec<Vec<Cell>>, Option<uuid::Uuid>) = match plan.sheet {
                Sheet::PanelPack => {
                    let batch = spreadsheets::panel_batch(conn, plan.scope, after, BATCH_SIZE)?;
                    let last = batch.last().map(|l| l.application_id);
                    let answers = match &plan.form {
                        Some(form) => {
                            let ids: Vec<ApplicationId> = batch
                                .iter()
                                .map(|l| ApplicationId::from_uuid(l.application_id))
                                .collect();
                            forms::answers_of(conn, &ids, form)?
                        }
                        None => HashMap::new(),
                    };
                    let rows = batch
                        .iter()
                        .map(|l| {
                            let mine = answers.get(&ApplicationId::from_uuid(l.application_id));
                            let mut cells = l.cells(plan.assessors);
                            cells.extend(questions.iter().map(|q| {
                                mine.and_then(|a| a.get(&q.id))
                                    .map_or(Cell::Empty, |a| Cell::Text(a.text(q)))
                            }));
                            cells
                        })
                        .collect();
                    (rows, last)
                }
                Sheet::Awards => {
                    let batch = spreadsheets::award_batch(conn, plan.scope, after, BATCH_SIZE)?;
                    keyed(batch, |l| l.cells())
                }
                Sheet::Variations => {
                    let batch = spreadsheets::variation_batch(conn, plan.scope, after, BATCH_SIZE)?;
                    keyed(batch, |l| l.cells())
                }
                Sheet::Tranches => {
                    let batch = spreadsheets::tranche_batch(conn, plan.scope, after, BATCH_SIZE)?;
                    keyed(batch, |l| l.cells())
                }
                Sheet::Returns => {
                    let batch = spreadsheets::return_batch(conn, plan.scope, after, BATCH_SIZE)?;
                    keyed(batch, |l| l.cells())
                }
            };
            let full = cells.len() >= BATCH_SIZE as usize;
            for cells in &cells {
                row(cells)?;
                written += 1;
            }
            match last {
                Some(last) if full => after = Some(last),
                _ => break,
            }
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(written)
}

fn keyed<L>(
    batch: Vec<(uuid::Uuid, L)>,
    cells: impl Fn(&L) -> Vec<Cell>,
) -> (Vec<Vec<Cell>>, Option<uuid::Uuid>) {
    let last = batch.last().map(|(id, _)| *id);
    (batch.iter().map(|(_, l)| cells(l)).collect(), last)
}

fn io_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("writing the export: {e}"))
}

/// Writes the export as CSV to `out` through the common writer (formula
/// cells neutralised), streaming. Returns the number of data rows.
///
/// # Errors
/// A store error, or the writer failing (the client went away).
#[tracing::instrument(skip_all, fields(sheet = ?plan.sheet, fund_id = %plan.scope.fund, round_id = ?plan.scope.round))]
pub fn write_csv(db: &Database, plan: &Plan, out: impl Write) -> Result<u64, ApiError> {
    let mut writer = CsvWriter::new(out);
    let written = each_row(db, plan, |cells| {
        writer
            .write_record(cells.iter().map(Cell::csv_text))
            .map_err(io_error)
    })?;
    writer
        .into_inner()
        .map_err(io_error)?
        .flush()
        .map_err(io_error)?;
    Ok(written)
}

fn xlsx_error(e: XlsxError) -> ApiError {
    match e {
        XlsxError::RowColumnLimitError => ApiError::conflict(format!(
            "the export has more rows than a worksheet holds ({XLSX_MAX_ROWS}); ask for CSV, or for one round at a time"
        )),
        other => ApiError::Internal(format!("writing the workbook: {other}")),
    }
}

/// Builds the export as an XLSX workbook: a bold, frozen header row; money
/// as numbers formatted `#,##0.00`; dates and instants as Excel dates.
/// Text is written as text, which a spreadsheet never runs as a formula.
///
/// # Errors
/// A store error; 409 when the rows do not fit in one worksheet.
#[tracing::instrument(skip_all, fields(sheet = ?plan.sheet, fund_id = %plan.scope.fund, round_id = ?plan.scope.round))]
pub fn build_xlsx(db: &Database, plan: &Plan) -> Result<(Workbook, u64), ApiError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold().set_align(FormatAlign::Top);
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let instant = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let decimal = Format::new().set_num_format("0.00");
    let worksheet = workbook.add_worksheet_with_constant_memory();
    worksheet.set_name(plan.sheet.title()).map_err(xlsx_error)?;
    worksheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    let columns = plan.sheet.header(plan.assessors).len();
    for col in 0..u16::try_from(columns).unwrap_or(u16::MAX) {
        worksheet.set_column_width(col, 18).map_err(xlsx_error)?;
    }
    let mut row: u32 = 0;
    let written = each_row(db, plan, |cells| {
        for (col, cell) in cells.iter().enumerate() {
            let col = u16::try_from(col)
                .map_err(|_| ApiError::Internal("too many columns".to_owned()))?;
            let result = match cell {
                Cell::Empty => continue,
                Cell::Text(text) if row == 0 => {
                    worksheet.write_string_with_format(row, col, text, &bold)
                }
                Cell::Text(text) => {
                    let text = match text.char_indices().nth(XLSX_MAX_TEXT) {
                        Some((end, _)) => text.get(..end).unwrap_or(text),
                        None => text,
                    };
                    worksheet.write_string(row, col, text)
                }
                // The one place money becomes a float: a spreadsheet number
                // is an IEEE double. Pence / 100 is the nearest double to the
                // exact amount (every amount the system holds is far below
                // 2^53 pence), and the cell shows it to two decimals.
                #[allow(clippy::cast_precision_loss)]
                Cell::Money(m) => {
                    worksheet.write_number_with_format(row, col, m.pence() as f64 / 100.0, &money)
                }
                #[allow(clippy::cast_precision_loss)]
                Cell::Integer(n) => worksheet.write_number(row, col, *n as f64),
                Cell::Decimal(d) => match d.to_string().parse::<f64>() {
                    Ok(value) => worksheet.write_number_with_format(row, col, value, &decimal),
                    Err(_) => worksheet.write_string(row, col, d.to_string()),
                },
                Cell::Date(d) => worksheet.write_datetime_with_format(row, col, d, &date),
                Cell::DateTime(t) => {
                    worksheet.write_datetime_with_format(row, col, t.naive_utc(), &instant)
                }
            };
            result.map_err(xlsx_error)?;
        }
        row = row
            .checked_add(1)
            .ok_or_else(|| xlsx_error(XlsxError::RowColumnLimitError))?;
        Ok(())
    })?;
    Ok((workbook, written))
}

/// The export as XLSX bytes (for an HTTP response).
///
/// # Errors
/// As [`build_xlsx`].
pub fn xlsx_bytes(db: &Database, plan: &Plan) -> Result<Vec<u8>, ApiError> {
    build_xlsx(db, plan)?.0.save_to_buffer().map_err(xlsx_error)
}

/// Writes the export to `out` in `format`; returns the number of data rows.
///
/// # Errors
/// As [`write_csv`] and [`build_xlsx`].
pub fn write(
    db: &Database,
    plan: &Plan,
    format: SheetFormat,
    mut out: impl Write + Send,
) -> Result<u64, ApiError> {
    match format {
        SheetFormat::Csv => write_csv(db, plan, out),
        SheetFormat::Xlsx => {
            let (mut workbook, written) = build_xlsx(db, plan)?;
            workbook.save_to_writer(&mut out).map_err(xlsx_error)?;
            out.flush().map_err(io_error)?;
            Ok(written)
        }
    }
}
