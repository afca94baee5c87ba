//! Command-line interface. Settings come from flags or, for each flag, the
//! environment variable named beside it.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};
use grantledger_store::{Database, PoolOptions};

use crate::telemetry::LogFormat;

mod bank_details;
mod common;
mod forms;
mod grantees;
mod panels;
mod payment_runs;
mod users;

pub use bank_details::BankDetailsCommand;
pub use grantees::GranteeCommand;
pub use payment_runs::PaymentRunsCommand;

/// The embedded default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "grantledger.sqlite3";

/// grantledger: grant fund management for public grant programmes.
#[derive(Debug, Parser)]
#[command(name = "grantledger", version, about)]
pub struct Cli {
    /// Database: `postgres://user@host/db` for PostgreSQL, otherwise a SQLite file path.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Most database connections to hold open.
    #[arg(
        long,
        global = true,
        env = "GRANTLEDGER_DB_POOL_SIZE",
        default_value_t = 16
    )]
    pub pool_size: u32,
    /// Log format.
    #[arg(long, global = true, env = "GRANTLEDGER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per process; serve's settings are the big one"
)]
pub enum Command {
    /// Run the HTTP service (migrations run first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demonstration data set (idempotent) and print the demo users.
    Demo,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The strategy's commitments: import the pledge tracker, report progress.
    #[command(subcommand)]
    Commitments(CommitmentsCommand),
    /// Reconcile a fund to the penny and print the report; exits non-zero
    /// when any check fails.
    Reconcile(ReconcileArgs),
    /// Verify or export the audit trail's hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Export open data to standard output.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Import CSV files: grantees, or award decisions for a round. All or
    /// nothing; every bad line is listed and nothing changes.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Grantee organisations: search by name, org id, postcode or local
    /// authority.
    #[command(subcommand)]
    Grantee(GranteeCommand),
    /// Assessment panels: a round's criteria, assigning assessors, the
    /// panel view.
    #[command(subcommand)]
    Panel(panels::PanelCommand),
    /// A round's application form: show it, or save a new version before
    /// the round opens.
    #[command(subcommand)]
    Form(forms::FormCommand),
    /// Grantees' bank details under dual control: show (masked), enter,
    /// verify, reject, list those waiting, re-seal under a new key.
    #[command(subcommand)]
    BankDetails(BankDetailsCommand),
    /// Payment runs: one administrator makes a run, another approves it;
    /// then its bank file, and each line paid or failed.
    #[command(subcommand)]
    PaymentRuns(PaymentRunsCommand),
    /// The outbox of mail (docs/MAIL.md): messages given up, and sending
    /// one again.
    #[command(subcommand)]
    Mail(MailCommand),
}

/// `grantledger mail …`.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List messages given up as failed, oldest first, tab-separated: id,
    /// enqueued at, kind, recipient, attempts, last error.
    Failed {
        /// Most messages to list.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Put the reminders due now (or at `--at`) in the outbox, each once
    /// however often this runs; the running service sends them. The service
    /// does this by itself every hour. Prints the reminders and messages,
    /// tab-separated.
    Remind {
        /// The moment to remind as of (RFC 3339), instead of now.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// Where links in the reminders point.
        #[command(flatten)]
        notices: crate::config::NoticeSettings,
    },
    /// Queue a failed message again (after fixing its cause); the running
    /// service sends it within seconds.
    Retry {
        /// The message's id (from `mail failed`).
        id: uuid::Uuid,
    },
}

/// `grantledger import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Grantee organisations (see docs/IMPORT.md for the columns).
    Grantees(ImportFileArgs),
    /// Award decisions for a round: `application_id,amount` per row.
    Awards(ImportAwardsArgs),
}

/// Arguments of `import grantees`.
#[derive(Debug, clap::Args)]
pub struct ImportFileArgs {
    /// The CSV file (UTF-8).
    pub file: std::path::PathBuf,
}

/// Arguments of `import awards`.
#[derive(Debug, clap::Args)]
pub struct ImportAwardsArgs {
    /// The round's id.
    #[arg(long)]
    pub round: uuid::Uuid,
    /// The CSV file (UTF-8).
    pub file: std::path::PathBuf,
    /// Where links in the messages it sends point.
    #[command(flatten)]
    pub notices: crate::config::NoticeSettings,
}

/// `grantledger export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Awards as 360Giving grants: a JSON package or CSV with the official
    /// column titles. Identifiers use GRANTLEDGER_360G_PREFIX (default
    /// `grantledger`). Streamed: memory does not grow with the number of grants.
    #[command(name = "360giving")]
    ThreeSixtyGiving(ExportArgs),
    /// The panel pack: applications with their answers, each assessor's
    /// score and recommendation, and the mean score (docs/EXPORTS.md).
    PanelPack(SheetArgs),
    /// Awards: amounts awarded, scheduled and paid, status, dates.
    Awards(SheetArgs),
    /// Award variations: amounts before and after, and why.
    Variations(SheetArgs),
    /// Tranches (disbursements): amounts, due dates, status, payments.
    Tranches(SheetArgs),
    /// Evaluation returns: due dates, status, versions (no participant data).
    Returns(SheetArgs),
}

/// Flags of the spreadsheet exports (`export awards`, …).
#[derive(Debug, clap::Args)]
pub struct SheetArgs {
    /// The fund: its id or its code (e.g. LCF).
    #[arg(long)]
    pub fund: String,
    /// Only this round of the fund (its id).
    #[arg(long)]
    pub round: Option<uuid::Uuid>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::spreadsheets::SheetFormat::Csv)]
    pub format: crate::spreadsheets::SheetFormat,
    /// The file to write. It appears only once the export is complete.
    #[arg(long)]
    pub output: std::path::PathBuf,
}

/// Flags of `export 360giving`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Only this fund's awards: its id or its code (e.g. LCF). All funds when absent.
    #[arg(long)]
    pub fund: Option<String>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: crate::opendata::ExportFormat,
}

/// `grantledger commitments …`.
#[derive(Debug, Subcommand)]
pub enum CommitmentsCommand {
    /// Import the pledge tracker (tab-separated text). Importing the same
    /// file again changes nothing; a changed progress becomes a history entry.
    /// A file that does not read changes nothing and names each bad line.
    Import(CommitmentsImportArgs),
    /// Print the annual progress report to standard output.
    Report(CommitmentsReportArgs),
    /// List commitments, optionally by department and status.
    List(CommitmentsListArgs),
}

/// Arguments of `commitments import`.
#[derive(Debug, clap::Args)]
pub struct CommitmentsImportArgs {
    /// The tracker file, e.g. pledge-tracker-appendix-2.txt.
    pub file: std::path::PathBuf,
}

/// Flags of `commitments report`.
#[derive(Debug, clap::Args)]
pub struct CommitmentsReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::operations::commitments::ReportFormat::Markdown)]
    pub format: crate::operations::commitments::ReportFormat,
}

/// Flags of `commitments list`.
#[derive(Debug, clap::Args)]
pub struct CommitmentsListArgs {
    /// Only commitments naming this department (any case).
    #[arg(long)]
    pub department: Option<grantledger_domain::commitment::Department>,
    /// Only commitments with this status (completed, in_progress, ongoing,
    /// not_started, not_reported, other).
    #[arg(long)]
    pub status: Option<grantledger_domain::commitment::CommitmentStatus>,
}

/// Flags of `reconcile`.
#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// The fund: its id or its code (e.g. LCF).
    #[arg(long)]
    pub fund: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// Reconcile as of this instant (RFC 3339) instead of now, or as of a
    /// plain date (2026-11-30), meaning the end of that day in UTC.
    #[arg(long)]
    pub as_of: Option<grantledger_domain::as_of::AsOf>,
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// JSON.
    Json,
    /// CSV with a header row.
    Csv,
}

/// `grantledger audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Seal pending events and verify the hash chain in the database, or
    /// verify an exported file offline with --file. Exits non-zero naming
    /// the first bad sequence number.
    Verify(AuditVerifyArgs),
    /// Seal pending events and write the whole chain, with every event and
    /// its canonical encoding, to a self-contained JSON-lines file.
    Export(AuditExportArgs),
}

/// Flags of `audit verify`.
#[derive(Debug, clap::Args)]
pub struct AuditVerifyArgs {
    /// Verify this export file instead of the database (no database needed).
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
}

/// Flags of `audit export`.
#[derive(Debug, clap::Args)]
pub struct AuditExportArgs {
    /// Where to write the export.
    #[arg(long)]
    pub output: std::path::PathBuf,
}

/// `grantledger user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user, e.g. the first administrator.
    Create(UserCreateArgs),
    /// Invite someone by email: their account gets no password until they
    /// choose one with the link (printed, and emailed by the service).
    Invite(users::UserInviteArgs),
    /// Set up two-factor sign-in for someone (prints the secret and
    /// recovery codes); staff cannot get a token without it.
    TwoFactor(users::TwoFactorArgs),
    /// Reset someone's two-factor sign-in (a lost phone); their sessions
    /// and tokens end, and staff set it up again at their next sign-in.
    ResetTwoFactor(users::ResetTwoFactorArgs),
    /// Print the code an authenticator app shows now for a secret.
    Code(users::CodeArgs),
}

/// Flags of `user create`.
#[derive(Debug, clap::Args)]
pub struct UserCreateArgs {
    /// Sign-in email address.
    #[arg(long)]
    pub email: String,
    /// Password (12 to 1024 characters). Prefer GRANTLEDGER_NEW_PASSWORD to
    /// keep it out of shell history.
    #[arg(long, env = "GRANTLEDGER_NEW_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Role: admin, assessor, grantee or auditor.
    #[arg(long)]
    pub role: grantledger_domain::user::Role,
    /// For grantee users: the id of the grantee organisation.
    #[arg(long)]
    pub grantee: Option<uuid::Uuid>,
}

/// Flags of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GRANTLEDGER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Worker threads for HTTP (default: one per core).
    #[arg(long, env = "GRANTLEDGER_WORKERS")]
    pub workers: Option<usize>,
    /// Load the demo data set and users first, and allow a random signing
    /// secret. Never for real data.
    #[arg(long)]
    pub demo: bool,
    /// Token signing settings.
    #[command(flatten)]
    pub auth: crate::config::AuthSettings,
    /// Per-client limits, /metrics access and shutdown.
    #[command(flatten)]
    pub operations: crate::config::ServeSettings,
    /// The keys sealing bank details.
    #[command(flatten)]
    pub bank: crate::config::BankKeySettings,
    /// The fund's Bacs originator, for Standard 18 files.
    #[command(flatten)]
    pub bacs: crate::config::BacsSettings,
    /// The modulus checking tables.
    #[command(flatten)]
    pub modulus: crate::config::ModulusSettings,
    /// Where mail goes.
    #[command(flatten)]
    pub mail: crate::config::MailSettings,
}

impl Cli {
    /// The database for a command that runs and exits: connections are
    /// opened only when asked for, so none is still being opened in the
    /// background when the process ends (that crashed the process in
    /// OpenSSL's exit handler on PostgreSQL with TLS).
    fn open_database(&self) -> anyhow::Result<Database> {
        self.open_database_with(0)
    }

    /// The database for the long-running service, which keeps `min_idle`
    /// connections ready.
    fn open_database_with(&self, min_idle: u32) -> anyhow::Result<Database> {
        let options = PoolOptions {
            max_size: self.pool_size,
            min_idle,
            ..PoolOptions::default()
        };
        Database::open(&self.database_url, &options)
            .with_context(|| format!("opening the database at {}", redact_url(&self.database_url)))
    }
}

/// Hides a password in a database URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Migrate => {
            let db = cli.open_database()?;
            tracing::info!(backend = db.backend().name(), "database is up to date");
            Ok(())
        }
        Command::Serve(args) => {
            let keys =
                crate::auth::jwt::JwtKeys::new(&args.auth.jwt_config(args.demo)?, args.demo)?;
            // Bind first: a port that is taken should fail the start before
            // anything is written to the database.
            let listener = std::net::TcpListener::bind(args.bind)
                .with_context(|| format!("binding {}", args.bind))?;
            let operations = args.operations.operations()?;
            let bank_keys = args.bank.keyring(args.demo)?;
            let mail = args.mail.mail()?;
            let db = cli.open_database_with(PoolOptions::default().min_idle)?;
            check_bank_keys(&db, &bank_keys)?;
            if args.demo {
                load_demo(&db, &bank_keys)?;
                let addr = listener.local_addr()?;
                eprintln!(
                    "Open the portal at http://{addr}/ and sign in as a demo user above \
                     (grantee@demo.grantledger.org to apply, accept and report).\n\
                     API docs: http://{addr}/docs/"
                );
            }
            let config = crate::app::ServerConfig {
                keys,
                workers: args.workers,
                operations,
                publisher: crate::opendata::publisher_from_env(args.demo)?,
                bank_keys,
                originator: args.bacs.originator(args.demo)?,
                modulus: args.modulus.table()?,
                notices: args.mail.notices(),
                mail: Some(mail),
            };
            actix_web::rt::System::new().block_on(crate::app::serve(db, listener, config))
        }
        Command::Demo => {
            let db = cli.open_database()?;
            load_demo(&db, &grantledger_store::bank_details::Keyring::demo())
        }
        Command::User(UserCommand::Create(args)) => {
            let db = cli.open_database()?;
            let actor = grantledger_store::common::Actor::system("cli");
            let grantee = args
                .grantee
                .map(grantledger_domain::ids::GranteeId::from_uuid);
            let record = crate::operations::users::create_user(
                &db,
                &args.email,
                &args.password,
                args.role,
                grantee,
                &actor,
            )
            .map_err(describe_api_error)?;
            println!("{}", record.value.id);
            eprintln!(
                "created {} ({}) as {}",
                record.value.email, record.value.id, record.value.role
            );
            Ok(())
        }
        Command::User(UserCommand::Invite(args)) => {
            let db = cli.open_database()?;
            users::run(&db, args)
        }
        Command::User(UserCommand::TwoFactor(args)) => users::enrol(&cli.open_database()?, args),
        Command::User(UserCommand::ResetTwoFactor(args)) => {
            users::reset(&cli.open_database()?, args)
        }
        Command::User(UserCommand::Code(args)) => users::code(args),
        Command::Reconcile(args) => {
            let db = cli.open_database()?;
            reconcile(&db, args, &mut std::io::stdout().lock())
        }
        Command::Audit(AuditCommand::Verify(args)) => match &args.file {
            Some(file) => verify_file(file),
            None => {
                let db = cli.open_database()?;
                let report =
                    grantledger_store::audit::verify(&db).context("verifying the audit chain")?;
                report_verification(&report)
            }
        },
        Command::Audit(AuditCommand::Export(args)) => {
            let db = cli.open_database()?;
            export_audit(&db, &args.output)
        }
        Command::Commitments(command) => run_commitments(&cli, command),
        Command::Export(ExportCommand::ThreeSixtyGiving(args)) => run_export(&cli, args),
        Command::Export(command) => run_sheet_export(&cli, command),
        Command::Import(command) => run_import(&cli, command),
        Command::Grantee(command) => grantees::run(&cli.open_database()?, command),
        Command::Panel(command) => panels::run(&cli.open_database()?, command),
        Command::Form(command) => forms::run(&cli.open_database()?, command),
        Command::BankDetails(command) => bank_details::run(&cli.open_database()?, command),
        Command::PaymentRuns(command) => payment_runs::run(&cli.open_database()?, command),
        Command::Mail(command) => {
            let db = cli.open_database()?;
            crate::mail::run_command(&db, command, &mut std::io::stdout().lock())
        }
    }
}

/// A progress bar on standard error, only when it is a terminal.
fn progress_bar(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    Some(bar)
}

fn run_import(cli: &Cli, command: &ImportCommand) -> anyhow::Result<()> {
    use crate::operations::imports;
    let file = match command {
        ImportCommand::Grantees(a) => &a.file,
        ImportCommand::Awards(a) => &a.file,
    };
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let db = cli.open_database()?;
    let actor = grantledger_store::common::Actor::system("cli");
    // Counting lines is cheap and sizes the bar; rows are fewer by the header.
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    let bar = progress_bar(lines.saturating_sub(1), "importing");
    let tick = |n: u64| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    };
    let result = match command {
        ImportCommand::Grantees(_) => imports::import_grantees(&db, &bytes, &actor, tick),
        ImportCommand::Awards(a) => imports::import_awards(
            &db,
            &a.notices.notices(),
            grantledger_domain::ids::RoundId::from_uuid(a.round),
            &bytes,
            &actor,
            tick,
        ),
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let s = result.map_err(|error| {
        let headline = format!(
            "{} cannot be imported; nothing was changed:",
            file.display()
        );
        import_refused(headline, error)
    })?;
    eprintln!(
        "imported {}: {} rows; {} created, {} updated, {} unchanged",
        file.display(),
        s.rows,
        s.created,
        s.updated,
        s.unchanged
    );
    Ok(())
}

fn run_export(cli: &Cli, args: &ExportArgs) -> anyhow::Result<()> {
    use crate::opendata;
    let publisher = opendata::publisher_from_env(false)?
        .ok_or_else(|| describe_api_error(opendata::no_publisher()))?;
    let db = cli.open_database()?;
    let fund = args
        .fund
        .as_deref()
        .map(|f| opendata::find_fund(&db, f))
        .transpose()
        .map_err(describe_api_error)?;
    let plan = opendata::prepare(&db, fund, &publisher).map_err(describe_api_error)?;
    let bar = match progress_bar(0, "exporting") {
        Some(bar) => {
            bar.set_length(opendata::count(&db, fund).map_err(describe_api_error)?);
            Some(bar)
        }
        None => None,
    };
    // Not locked: the export writes from a thread of its own.
    let out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    let written = opendata::export(&db, &plan, args.format, &publisher, out, |n| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    })
    .map_err(describe_api_error)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    eprintln!("exported {written} grants");
    Ok(())
}

fn run_sheet_export(cli: &Cli, command: &ExportCommand) -> anyhow::Result<()> {
    use crate::spreadsheets;
    use grantledger_domain::spreadsheet::Sheet;
    let (sheet, args) = match command {
        ExportCommand::PanelPack(a) => (Sheet::PanelPack, a),
        ExportCommand::Awards(a) => (Sheet::Awards, a),
        ExportCommand::Variations(a) => (Sheet::Variations, a),
        ExportCommand::Tranches(a) => (Sheet::Tranches, a),
        ExportCommand::Returns(a) => (Sheet::Returns, a),
        ExportCommand::ThreeSixtyGiving(a) => return run_export(cli, a),
    };
    let db = cli.open_database()?;
    let plan = spreadsheets::plan(&db, sheet, &args.fund, args.round, "--round")
        .map_err(describe_api_error)?;
    // Written beside the output and renamed at the end, so a failed export
    // never leaves a file that looks complete.
    let mut partial = args.output.clone().into_os_string();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let out = std::io::BufWriter::with_capacity(64 * 1024, file);
    let written = match spreadsheets::write(&db, &plan, args.format, out) {
        Ok(n) => n,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(describe_api_error(error));
        }
    };
    std::fs::rename(&partial, &args.output)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "exported {written} rows ({}) to {}",
        sheet.title(),
        args.output.display()
    );
    Ok(())
}

fn run_commitments(cli: &Cli, command: &CommitmentsCommand) -> anyhow::Result<()> {
    use crate::operations::commitments as routes;
    match command {
        CommitmentsCommand::Import(args) => {
            let bytes = std::fs::read(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let db = cli.open_database()?;
            let actor = grantledger_store::common::Actor::system("cli");
            let s = routes::import_tracker(&db, &bytes, &actor).map_err(|error| {
                let headline = format!(
                    "{} is not a pledge tracker that can be imported; nothing was changed:",
                    args.file.display()
                );
                import_refused(headline, error)
            })?;
            eprintln!(
                "imported {}: {} rows; {} created, {} status changed, {} details changed, {} unchanged; {} held but not in the file",
                args.file.display(),
                s.rows,
                s.created,
                s.progress_changed,
                s.details_changed,
                s.unchanged,
                s.not_in_file
            );
            Ok(())
        }
        CommitmentsCommand::Report(args) => {
            let db = cli.open_database()?;
            let report = routes::progress_report(&db).map_err(describe_api_error)?;
            let text = routes::render_report(&report, args.format).map_err(describe_api_error)?;
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(())
        }
        CommitmentsCommand::List(args) => {
            let db = cli.open_database()?;
            let all = db
                .read(grantledger_store::commitments::all)
                .map_err(|e| describe_api_error(e.into()))?;
            for c in all.iter().filter(|c| {
                args.status.is_none_or(|s| c.status == s)
                    && args
                        .department
                        .as_ref()
                        .is_none_or(|d| c.departments.contains(d))
            }) {
                let departments: Vec<&str> = c.departments.iter().map(|d| d.code()).collect();
                let text: String = c.text.chars().take(70).collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    c.label(),
                    c.status,
                    departments.join(", "),
                    text
                );
            }
            Ok(())
        }
    }
}

/// Runs `reconcile`, writing the report to `out`; an error names the
/// failed checks.
pub fn reconcile(
    db: &Database,
    args: &ReconcileArgs,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let as_of = args.as_of.map(grantledger_domain::as_of::AsOf::instant);
    let report = db
        .read(|c| crate::operations::audit::reconcile(c, &args.fund, as_of))
        .map_err(describe_api_error)
        .with_context(|| format!("reconciling fund {}", args.fund))?;
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        OutputFormat::Csv => {
            out.write_all(&crate::operations::audit::reconciliation_csv(&report)?)?
        }
    }
    out.flush()?;
    if report.passed {
        eprintln!(
            "{} reconciles: {} checks passed",
            report.fund_code,
            report.checks.len()
        );
        Ok(())
    } else {
        let failed: Vec<String> = report
            .failures()
            .map(|c| {
                format!(
                    "{} [{}]: expected {}, actual {}, difference {}",
                    c.check, c.scope, c.expected, c.actual, c.difference
                )
            })
            .collect();
        anyhow::bail!(
            "{} does not reconcile: {} of {} checks failed:\n  {}",
            report.fund_code,
            failed.len(),
            report.checks.len(),
            failed.join("\n  ")
        )
    }
}

fn report_verification(report: &grantledger_domain::audit::Verification) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(report)?);
    match &report.first_fault {
        None => {
            if let Some(head) = &report.head {
                eprintln!(
                    "audit chain verified: {} links; head position {} (event {}) hash {}",
                    report.links, head.position, head.seq, head.hash
                );
            } else {
                eprintln!("audit chain verified: it is empty");
            }
            Ok(())
        }
        Some(fault) => anyhow::bail!(
            "audit chain broken at position {}, event sequence {} ({}): {}",
            fault.position,
            fault.seq,
            fault.kind,
            fault.detail
        ),
    }
}

/// `audit verify --file`: checks an export without a database.
pub fn verify_file(file: &std::path::Path) -> anyhow::Result<()> {
    use std::io::BufRead;
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
    );
    let mut read_error = None;
    let lines = reader.lines().map_while(|line| match line {
        Ok(line) => Some(line),
        Err(error) => {
            read_error = Some(error);
            None
        }
    });
    let report = grantledger_domain::audit::verify_export(lines)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    if let Some(error) = read_error {
        return Err(error).with_context(|| format!("reading {}", file.display()));
    }
    report_verification(&report)
}

/// `audit export`: seals, then writes the chain to `output`.
pub fn export_audit(db: &Database, output: &std::path::Path) -> anyhow::Result<()> {
    use grantledger_domain::audit::{ExportHeader, ExportLine};
    use std::io::Write;
    grantledger_store::audit::seal_pending(db, None).context("sealing pending events")?;
    let file =
        std::fs::File::create(output).with_context(|| format!("creating {}", output.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let header = ExportHeader::new(
        grantledger_store::audit::contiguous_seq(db),
        chrono::Utc::now(),
    );
    serde_json::to_writer(&mut out, &header)?;
    writeln!(out)?;
    let mut count = 0_u64;
    let mut io_error = None;
    grantledger_store::audit::for_each_link(db, |link, event| {
        let written = serde_json::to_writer(&mut out, &ExportLine::new(link, event))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out));
        match written {
            Ok(()) => {
                count += 1;
                Ok(true)
            }
            Err(error) => {
                io_error = Some(error);
                Ok(false)
            }
        }
    })?;
    if let Some(error) = io_error {
        return Err(error).with_context(|| format!("writing {}", output.display()));
    }
    out.flush()?;
    eprintln!("exported {count} audit chain links to {}", output.display());
    Ok(())
}

fn describe_api_error(error: crate::error::ApiError) -> anyhow::Error {
    // An internal error's detail is hidden from API clients, but here the
    // operator is the one who runs the database and holds the keys, and
    // nothing else logs it: say what it was (e.g. which bank key failed).
    if let crate::error::ApiError::Internal(detail) = &error {
        return anyhow::anyhow!("{detail}");
    }
    let problem = error.problem();
    let mut text = problem.detail.clone();
    for field in problem.errors.iter().flatten() {
        text.push_str(&format!("\n  {}: {}", field.field, field.message));
    }
    anyhow::anyhow!(text)
}

/// A file refused by an import: for invalid content, `headline` and each
/// bad line; anything else as [`describe_api_error`] says it.
fn import_refused(headline: String, error: crate::error::ApiError) -> anyhow::Error {
    match error {
        crate::error::ApiError::Unprocessable { errors, .. } => {
            let mut text = headline;
            for e in errors {
                text.push_str(&format!("\n  {}: {}", e.field, e.message));
            }
            anyhow::anyhow!(text)
        }
        other => describe_api_error(other),
    }
}

/// Stops the start when stored bank details name a key that is not
/// configured, or the key given under their id does not open them.
fn check_bank_keys(
    db: &Database,
    keyring: &grantledger_store::bank_details::Keyring,
) -> anyhow::Result<()> {
    db.read(|c| grantledger_store::bank_details::check_keys(c, keyring))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("checking the bank details keys")
}

fn load_demo(
    db: &Database,
    bank_keys: &grantledger_store::bank_details::Keyring,
) -> anyhow::Result<()> {
    if !crate::demo::holds_only_demo_data(db).map_err(describe_api_error)? {
        anyhow::bail!(
            "refusing to load the demo data: this database holds data other than the demo's, and \
             the demo users have a published password. Point DATABASE_URL at a new file (e.g. \
             DATABASE_URL=demo.sqlite3) for a demonstration"
        );
    }
    let loaded = crate::demo::load(db, bank_keys).map_err(describe_api_error)?;
    eprintln!(
        "{} Demo users (password \"{}\"):",
        if loaded {
            "Loaded the demo data set."
        } else {
            "The demo data set is already loaded."
        },
        crate::demo::DEMO_PASSWORD
    );
    for (email, role) in crate::demo::DEMO_USERS {
        eprintln!("  {:<9} {email}", role.as_str());
    }
    eprintln!(
        "Staff also give a code from an authenticator app holding the demo's secret {}; \
         print the current code with: grantledger user code {}",
        crate::demo::DEMO_TWO_FACTOR_SECRET,
        crate::demo::DEMO_TWO_FACTOR_SECRET
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/gl"),
            "postgres://app:***@db:5432/gl"
        );
        assert_eq!(redact_url("postgres://app@db/gl"), "postgres://app@db/gl");
        assert_eq!(redact_url("grantledger.sqlite3"), "grantledger.sqlite3");
    }

    /// Clap checks its declarations only when a command is parsed in a
    /// debug build; two flattened settings sharing a field name (`dir`)
    /// once broke `serve` that way. This checks every command at once.
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
