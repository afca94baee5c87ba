//! `grantledger payment-runs …`: the payment run routes on the command
//! line, over the same operations. One administrator makes a run, another
//! approves it; only `export` ever writes full account numbers.

use anyhow::Context;
use clap::Subcommand;
use grantledger_domain::ids::{DisbursementId, PaymentRunId, RoundId};
use grantledger_store::Database;
use grantledger_store::common::PageRequest;
use grantledger_store::disbursements::Outcome;

use super::common::{ActingArgs, ViewFormat, keyring, print_json};
use super::describe_api_error;
use crate::config::{BacsSettings, BankKeySettings};
use crate::operations::payments as op;
use crate::policy::Action;
use crate::routes::awards::DisbursementView;
use crate::routes::payment_runs::{PaymentRunView, RunLinesView};

/// `grantledger payment-runs …`.
#[derive(Debug, Subcommand)]
pub enum PaymentRunsCommand {
    /// Assemble a draft run of a fund's tranches due by a date. Tranches of
    /// grantees without verified bank details are held out, with why.
    /// Prints the run's id.
    Create(CreateArgs),
    /// Approve a draft run: an administrator other than the one who made it.
    Approve(RunActArgs),
    /// List payment runs, oldest first.
    List(ListArgs),
    /// A run, its lines, and the tranches held out of it with why.
    Show(ShowArgs),
    /// Write an approved run's bank file, with full account numbers, or
    /// (`--format audit-copy`) its CSV with the numbers masked.
    Export(ExportArgs),
    /// Record one line of an approved run as paid by the bank.
    Paid(LineArgs),
    /// Record one line of an approved run as failed: it leaves the run.
    Failed(LineArgs),
    /// Confirm every line of an approved run still to pay as paid, in one step.
    Confirm(RunActArgs),
    /// Abandon a run none of whose lines is paid: its tranches are free again.
    Cancel(RunActArgs),
}

/// Flags of `payment-runs create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The fund: its code (e.g. LCF) or id.
    #[arg(long)]
    pub fund: String,
    /// Tranches due on or before this date (YYYY-MM-DD).
    #[arg(long)]
    pub due_by: chrono::NaiveDate,
    /// Only this round of the fund (its id).
    #[arg(long)]
    pub round: Option<uuid::Uuid>,
    /// Who is making the run.
    #[command(flatten)]
    pub acting: ActingArgs,
}

/// A run and who acts on it: `approve`, `confirm`, `cancel`.
#[derive(Debug, clap::Args)]
pub struct RunActArgs {
    /// The run's id.
    pub run: uuid::Uuid,
    /// Who is acting.
    #[command(flatten)]
    pub acting: ActingArgs,
    /// Where links in the messages it sends point.
    #[command(flatten)]
    pub notices: crate::config::NoticeSettings,
}

/// Flags of `payment-runs list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ViewFormat,
}

/// Flags of `payment-runs show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The run's id.
    pub run: uuid::Uuid,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ViewFormat,
    /// The key that opens bank details (each line's account is shown masked).
    #[command(flatten)]
    pub bank: BankKeySettings,
}

/// Which bank file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FileFormat {
    /// Bacs Standard 18 (docs/BACS.md); needs the GRANTLEDGER_BACS_* settings.
    #[default]
    Standard18,
    /// A bank's bulk-payment upload CSV.
    BankCsv,
    /// That CSV with each account number masked: an auditor's copy.
    AuditCopy,
}

/// Flags of `payment-runs export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The run's id.
    pub run: uuid::Uuid,
    /// Which bank file.
    #[arg(long, value_enum, default_value_t)]
    pub format: FileFormat,
    /// The Bacs processing day (Standard 18), a Monday to Friday; the next
    /// banking day when absent.
    #[arg(long)]
    pub processing_day: Option<chrono::NaiveDate>,
    /// The file to write (readable by its owner only); standard output
    /// when absent.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
    /// The keys sealing bank details.
    #[command(flatten)]
    pub bank: BankKeySettings,
    /// The fund's Bacs originator.
    #[command(flatten)]
    pub bacs: BacsSettings,
}

/// Flags of `payment-runs paid` and `failed`.
#[derive(Debug, clap::Args)]
pub struct LineArgs {
    /// The run's id.
    pub run: uuid::Uuid,
    /// The line: the tranche's id, as `show` lists it.
    pub line: uuid::Uuid,
    /// Who is recording it.
    #[command(flatten)]
    pub acting: ActingArgs,
    /// What the bank said.
    #[arg(long)]
    pub note: Option<String>,
    /// Where links in the messages it sends point.
    #[command(flatten)]
    pub notices: crate::config::NoticeSettings,
}

/// A run with its lines, as `show --format json` prints it.
#[derive(Debug, serde::Serialize)]
struct RunWithLines {
    run: PaymentRunView,
    #[serde(flatten)]
    lines: RunLinesView,
}

/// Runs `payment-runs …`.
pub fn run(db: &Database, command: &PaymentRunsCommand) -> anyhow::Result<()> {
    match command {
        PaymentRunsCommand::Create(args) => {
            let acting = args
                .acting
                .resolve(db, Action::ManagePayments, "making a payment run")?;
            let run = db
                .write(|c| {
                    let fund = grantledger_store::funds::find(c, &args.fund)?;
                    let input = op::NewRun {
                        fund_id: fund.value.id,
                        round_id: args.round.map(RoundId::from_uuid),
                        due_by: args.due_by,
                    };
                    op::create_run(c, &acting.actor, input)
                })
                .map_err(describe_api_error)?;
            let view = PaymentRunView::from(run);
            let held = db
                .read(|c| op::held_lines(c, view.id))
                .map_err(describe_api_error)?;
            println!("{}", view.id);
            eprintln!(
                "made draft payment run {}: {} tranches, {}; {} held out (see `payment-runs show`). \
                 Another administrator must approve it.",
                view.id,
                view.count,
                view.total,
                held.len()
            );
            Ok(())
        }
        PaymentRunsCommand::Approve(args)
        | PaymentRunsCommand::Confirm(args)
        | PaymentRunsCommand::Cancel(args) => {
            let what = match command {
                PaymentRunsCommand::Approve(_) => "approving a payment run",
                PaymentRunsCommand::Confirm(_) => "confirming a payment run",
                _ => "cancelling a payment run",
            };
            let acting = args.acting.resolve(db, Action::ManagePayments, what)?;
            let id = PaymentRunId::from_uuid(args.run);
            let run = db
                .write(|c| match command {
                    PaymentRunsCommand::Approve(_) => op::approve_run(c, &acting.actor, id),
                    PaymentRunsCommand::Confirm(_) => {
                        op::confirm_run(c, &args.notices.notices(), &acting.actor, id)
                    }
                    _ => op::cancel_run(c, &acting.actor, id),
                })
                .map_err(describe_api_error)?;
            print_run(&PaymentRunView::from(run));
            Ok(())
        }
        PaymentRunsCommand::List(args) => {
            let mut runs = Vec::new();
            let mut after = None;
            // Every page: an operator's list is short, and a partial one misleads.
            loop {
                let page = PageRequest::new(Some(grantledger_store::common::MAX_PAGE_SIZE), after);
                let page = db
                    .read(|c| op::list_runs(c, page))
                    .map_err(describe_api_error)?;
                runs.extend(page.items.into_iter().map(PaymentRunView::from));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            match args.format {
                ViewFormat::Json => print_json(&runs),
                ViewFormat::Text => {
                    for r in &runs {
                        println!(
                            "{}\t{}\tdue by {}\t{} tranches\t{}",
                            r.id, r.status, r.due_by, r.count, r.total
                        );
                    }
                    Ok(())
                }
            }
        }
        PaymentRunsCommand::Show(args) => {
            let id = PaymentRunId::from_uuid(args.run);
            let keys = keyring(db, &args.bank)?;
            let (run, lines) = db
                .read(|c| {
                    let run = op::get_run(c, id)?;
                    let lines = op::run_lines(c, &keys, id)?;
                    let held = op::held_lines(c, id)?;
                    Ok::<_, crate::error::ApiError>((run, RunLinesView::of(lines, held)))
                })
                .map_err(describe_api_error)?;
            let run = PaymentRunView::from(run);
            if args.format == ViewFormat::Json {
                return print_json(&RunWithLines { run, lines });
            }
            print_run(&run);
            println!("lines: {}", lines.lines.len());
            for l in &lines.lines {
                let settled = match (l.settled_by, l.settled_at) {
                    (Some(by), Some(at)) => format!("\tby {by} at {}", at.to_rfc3339()),
                    _ => String::new(),
                };
                let account = match (&l.account, &l.cannot_pay) {
                    (Some(a), _) => format!("{} {}", a.sort_code, a.account_number),
                    (None, Some(why)) => format!("cannot be paid: {why}"),
                    (None, None) => String::new(),
                };
                println!(
                    "  {}\t{}\t{}\t{}\t{}\tdue {}\t{account}{settled}",
                    l.disbursement_id, l.status, l.award_reference, l.payee, l.amount, l.due_on
                );
            }
            println!("held: {}", lines.held.len());
            for h in &lines.held {
                println!(
                    "  {}\t{}\t{}\t{}\t{}: {}",
                    h.disbursement_id,
                    h.award_reference,
                    h.payee,
                    h.amount,
                    h.reason,
                    h.explanation
                );
            }
            Ok(())
        }
        PaymentRunsCommand::Export(args) => export(db, args),
        PaymentRunsCommand::Paid(args) | PaymentRunsCommand::Failed(args) => {
            let (outcome, what) = match command {
                PaymentRunsCommand::Paid(_) => (Outcome::Paid, "recording a payment as paid"),
                _ => (Outcome::Failed, "recording a payment as failed"),
            };
            // The same length rule as the API's.
            let note = crate::input_errors::validated(crate::routes::payments::NoteBody {
                note: args.note.clone(),
            })
            .map_err(describe_api_error)?
            .note;
            let acting = args.acting.resolve(db, Action::ManagePayments, what)?;
            let run = PaymentRunId::from_uuid(args.run);
            let line = DisbursementId::from_uuid(args.line);
            let record = db
                .write(|c| {
                    let notices = args.notices.notices();
                    op::settle_line(
                        c,
                        &notices,
                        &acting.actor,
                        run,
                        line,
                        outcome,
                        note.as_deref(),
                    )
                })
                .map_err(describe_api_error)?;
            let view = DisbursementView::from(record);
            println!("{}\t{}\t{}", view.id, view.status, view.amount);
            Ok(())
        }
    }
}

fn print_run(r: &PaymentRunView) {
    println!("payment run: {}", r.id);
    println!("status: {}", r.status);
    if let Some(fund) = r.fund_id {
        println!("fund: {fund}");
    }
    if let Some(round) = r.round_id {
        println!("round: {round}");
    }
    println!("due by: {}", r.due_by);
    println!("total: {} ({} tranches)", r.total, r.count);
    match r.created_by {
        Some(by) => println!("made by: {by} at {}", r.created_at.to_rfc3339()),
        None => println!("made by: the system at {}", r.created_at.to_rfc3339()),
    }
    if let (Some(by), Some(at)) = (r.approved_by, r.approved_at) {
        println!("approved by: {by} at {}", at.to_rfc3339());
    }
}

/// `payment-runs export`: the only command that writes full account numbers.
fn export(db: &Database, args: &ExportArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let originator = args.bacs.originator(false)?;
    let keys = keyring(db, &args.bank)?;
    let request = op::BankFileRequest {
        format: match args.format {
            FileFormat::Standard18 => op::BankFileFormat::Standard18,
            FileFormat::BankCsv => op::BankFileFormat::BankCsv,
            FileFormat::AuditCopy => op::BankFileFormat::AuditCopy,
        },
        processing_day: args.processing_day,
        originator: originator.as_ref(),
    };
    let id = PaymentRunId::from_uuid(args.run);
    let file = db
        .read(|c| op::bank_file(c, &keys, id, request))
        .map_err(describe_api_error)?;
    let Some(output) = &args.output else {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&file.bytes)?;
        stdout.flush()?;
        return Ok(());
    };
    // Written beside the output and renamed at the end, so a failed export
    // never leaves a file that looks complete (a bank could be sent half a
    // run).
    let mut partial = output.clone().into_os_string();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = private_file(&partial)
        .and_then(|mut f| f.write_all(&file.bytes).and_then(|()| f.sync_all()));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(error).with_context(|| format!("writing {}", partial.display()));
    }
    std::fs::rename(&partial, output).with_context(|| format!("writing {}", output.display()))?;
    let numbers = match args.format {
        FileFormat::AuditCopy => "account numbers masked",
        FileFormat::Standard18 | FileFormat::BankCsv => "full account numbers: keep it safe",
    };
    eprintln!(
        "wrote {} ({} bytes, {numbers}) to {}",
        file.filename,
        file.bytes.len(),
        output.display()
    );
    Ok(())
}

/// A new file only its owner can read: it holds full account numbers.
fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
