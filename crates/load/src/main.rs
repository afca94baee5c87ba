//! `grantledger-load`: drives a running grantledger server over HTTP with
//! real workflows and reports throughput and latency percentiles.
//!
//! ```text
//! grantledger-load run --base http://127.0.0.1:8080 --email … --password … --json out.json
//! grantledger-load compare --pgbench-tps 900 pg.json sqlite.json
//! ```
//!
//! `run` sets itself up through the public API as an administrator (a fund,
//! a round open until tomorrow, grantee organisations with a user each),
//! then runs the scenarios in turn, each bounded in time:
//!
//! - `surge`: a closing-deadline surge, N applicants at once each starting a
//!   draft and submitting it, until 20,000 are submitted or 60 s pass;
//! - `decisions`: award decisions on the submitted applications, N at once,
//!   one per request, then those left in bulk (`POST /v1/rounds/{id}/decisions`);
//! - `reads`: mixed reads at a constant arrival rate (open loop), latency
//!   counted from when each read was due.
//!
//! It exits 2 when any request got a 5xx or no answer, after reporting.
//!
//! `portal` measures the web portal's budget (issue 16): it sets up one
//! grantee with applications, awards and a return draft, signs in through
//! the portal's form, then asks for the dashboard (`GET /`) at a constant
//! rate (open loop, default 100/s), and can write the session cookie and
//! the pages worth weighing for `scripts/bench-portal.sh`.
//!
//! `staff` measures the staff pages' budget (issue 17): it sets up a round
//! with 20,000 applications and a fund with 1,700 awards, signs the
//! administrator in through the portal's form (with a code), then asks for
//! the round's queue and the fund page in turn at a constant rate.

mod api;
mod portal;
mod report;
mod scenarios;
mod schedule;
mod setup;
mod staff;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::api::Api;
use crate::report::RunReport;
use crate::scenarios::{ScenarioReport, Submitted};

/// Load generator for grantledger.
#[derive(Debug, Parser)]
#[command(name = "grantledger-load", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set up through the API and run the scenarios against a running server.
    Run(Box<RunArgs>),
    /// Print a markdown table of runs (from `run --json`) against the targets.
    Compare(CompareArgs),
    /// Set up a grantee through the API, sign in through the portal's form,
    /// and ask for the dashboard (`GET /`) at a constant rate.
    Portal(Box<PortalArgs>),
    /// Set up a round of 20,000 applications and a fund of 1,700 awards
    /// through the API, sign the administrator in through the portal, and
    /// ask for the round's queue and the fund page at a constant rate.
    Staff(Box<StaffArgs>),
}

/// How long and how hard a page is asked for at a constant rate, and the
/// client's limits.
#[derive(Debug, clap::Args)]
struct OpenLoop {
    /// For this many seconds (each page).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// First this many seconds at the same rate, not measured.
    #[arg(long, default_value_t = 5)]
    warm_up_seconds: u64,
    /// Most requests in flight at once.
    #[arg(long, default_value_t = 512)]
    max_in_flight: usize,
    /// First wait this long for the server's /readyz.
    #[arg(long, default_value_t = 60)]
    wait_seconds: u64,
    /// Each request gives up after this many seconds (counted as no answer).
    #[arg(long, default_value_t = 30)]
    timeout_seconds: u64,
    /// Threads for the client (the server needs the other cores).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The server, and the administrator every command signs in as.
#[derive(Debug, clap::Args)]
struct Admin {
    /// The server.
    #[arg(
        long,
        env = "GRANTLEDGER_LOAD_BASE",
        default_value = "http://127.0.0.1:8080"
    )]
    base: String,
    /// An administrator's email (default: the demo administrator).
    #[arg(
        long,
        env = "GRANTLEDGER_LOAD_EMAIL",
        default_value = "admin@demo.grantledger.org"
    )]
    email: String,
    /// Their password.
    #[arg(
        long,
        env = "GRANTLEDGER_LOAD_PASSWORD",
        default_value = "demo-password-2026",
        hide_env_values = true
    )]
    password: String,
    /// The administrator's two-factor secret, base32 (default: the demo's).
    #[arg(
        long,
        env = "GRANTLEDGER_LOAD_TWO_FACTOR_SECRET",
        default_value = "DEMOGRANTLEDGERSTAFFTWOFACTORKEY",
        hide_env_values = true
    )]
    two_factor_secret: String,
}

#[derive(Debug, clap::Args)]
struct StaffArgs {
    #[command(flatten)]
    admin: Admin,
    /// A name for this run in reports, e.g. the backend.
    #[arg(long, default_value = "server")]
    label: String,
    /// Applications in the round.
    #[arg(long, default_value_t = 20_000)]
    applications: u64,
    /// Of them, how many are awarded (the fund's awards).
    #[arg(long, default_value_t = 1_700)]
    awards: usize,
    /// Applicants submitting at once while setting up.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Requests a second for each page.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    #[command(flatten)]
    open_loop: OpenLoop,
    #[command(flatten)]
    fund_file: FundFile,
}

/// `--fund-file`, for the scenarios that make a fund.
#[derive(Debug, clap::Args)]
struct FundFile {
    /// Write the fund's id to this file (to reconcile it afterwards).
    #[arg(long)]
    fund_file: Option<PathBuf>,
}

impl FundFile {
    /// Writes `fund` to the file, if one was asked for.
    fn write(&self, fund: impl std::fmt::Display) -> anyhow::Result<()> {
        if let Some(path) = &self.fund_file {
            std::fs::write(path, format!("{fund}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
struct PortalArgs {
    #[command(flatten)]
    admin: Admin,
    /// A name for this run in reports, e.g. the backend.
    #[arg(long, default_value = "server")]
    label: String,
    /// Applications the grantee has made (the last stays a draft).
    #[arg(long, default_value_t = 6)]
    applications: usize,
    /// Of the submitted applications, how many are awarded (the first
    /// award stays offered, the rest are accepted).
    #[arg(long, default_value_t = 3)]
    awards: usize,
    /// Participants loaded into an evaluation return draft (0: none).
    #[arg(long, default_value_t = 100)]
    participants: usize,
    /// Dashboard requests a second.
    #[arg(long, default_value_t = report::PORTAL_RATE)]
    rate: f64,
    #[command(flatten)]
    open_loop: OpenLoop,
    /// Write the session's `Cookie` header value to this file.
    #[arg(long)]
    cookie_file: Option<PathBuf>,
    /// Write the pages worth weighing, `name<TAB>path` a line, to this file.
    #[arg(long)]
    pages_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Surge, then decisions, then reads.
    All,
    /// The closing-deadline surge of submissions.
    Surge,
    /// Award decisions (after submitting applications to decide, unmeasured).
    Decisions,
    /// Mixed reads (after making applications and awards to read, unmeasured).
    Reads,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    #[command(flatten)]
    admin: Admin,
    /// What to run.
    #[arg(long, value_enum, default_value_t = Scenario::All)]
    scenario: Scenario,
    /// A name for this run in reports, e.g. the backend.
    #[arg(long, default_value = "server")]
    label: String,
    /// Surge: applications to submit.
    #[arg(long, default_value_t = 20_000)]
    surge_count: u64,
    /// Surge: no new application starts after this many seconds.
    #[arg(long, default_value_t = 60)]
    surge_seconds: u64,
    /// Surge: applicants at once.
    #[arg(long, default_value_t = 64)]
    surge_concurrency: usize,
    /// Grantee organisations, each with a user, sharing the surge (at most
    /// 25: the server allows 30 sign-ins a minute from one address).
    #[arg(long, default_value_t = 16)]
    grantee_users: usize,
    #[command(flatten)]
    fund_file: FundFile,
    /// Decisions: most applications to decide (default: every one submitted).
    #[arg(long)]
    decisions: Option<u64>,
    /// Decisions: at once.
    #[arg(long, default_value_t = 16)]
    decision_concurrency: usize,
    /// Decisions: no new decision starts after this many seconds.
    #[arg(long, default_value_t = 30)]
    decision_seconds: u64,
    /// Bulk decisions: applications per request (0 skips the phase).
    /// They decide applications left undecided by the single decisions.
    #[arg(long, default_value_t = 100)]
    bulk_batch: usize,
    /// Bulk decisions: requests at once.
    #[arg(long, default_value_t = 4)]
    bulk_concurrency: usize,
    /// Bulk decisions: no new batch starts after this many seconds.
    #[arg(long, default_value_t = 15)]
    bulk_seconds: u64,
    /// Reads: arrivals a second.
    #[arg(long, default_value_t = 1000.0)]
    read_rate: f64,
    /// Reads: for this many seconds.
    #[arg(long, default_value_t = 30)]
    read_seconds: u64,
    /// Reads: most in flight at once (a safety valve; latency still counts
    /// from when each read was due).
    #[arg(long, default_value_t = 2048)]
    read_max_in_flight: usize,
    /// First wait this long for the server's /readyz.
    #[arg(long, default_value_t = 60)]
    wait_seconds: u64,
    /// Each request gives up after this many seconds (counted as no answer).
    #[arg(long, default_value_t = 30)]
    timeout_seconds: u64,
    /// The whole run stops after this many seconds, finished or not.
    #[arg(long, default_value_t = 900)]
    max_seconds: u64,
    /// Threads for the client (the server needs the other cores).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// pgbench's TPS on the same machine and PostgreSQL, for the ratio.
    #[arg(long)]
    pgbench_tps: Option<f64>,
    /// pgbench's TPS at scale 1 (one hot row), for a second ratio.
    #[arg(long)]
    pgbench_hot_row_tps: Option<f64>,
    /// How pgbench ran, for the table.
    #[arg(long, default_value = "")]
    pgbench_setup: String,
    /// Reports written by `run --json`, one column each.
    #[arg(required = true)]
    reports: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Compare(args) => compare(&args).map(|()| ExitCode::SUCCESS),
        Command::Portal(args) => run_portal(&args),
        Command::Staff(args) => run_staff(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("grantledger-load: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn compare(args: &CompareArgs) -> anyhow::Result<()> {
    let runs = args
        .reports
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<RunReport>(&text)
                .with_context(|| format!("{} is not a grantledger-load report", path.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    print!(
        "{}",
        report::compare(
            args.pgbench_tps,
            args.pgbench_hot_row_tps,
            &args.pgbench_setup,
            &runs,
        )
    );
    Ok(())
}

fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    if args.grantee_users == 0 || args.grantee_users > setup::MAX_GRANTEE_USERS {
        anyhow::bail!(
            "--grantee-users must be 1 to {} (sign-ins are rate limited)",
            setup::MAX_GRANTEE_USERS
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let limit = Duration::from_secs(args.max_seconds);
    let report = runtime.block_on(async {
        tokio::time::timeout(limit, scenarios_in_turn(args))
            .await
            .with_context(|| format!("the run did not finish within {limit:?}"))?
    })?;
    print!("{}", report::table(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let failures = report.failures();
    if failures > 0 {
        eprintln!("grantledger-load: {failures} requests got a 5xx or no answer");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_portal(args: &PortalArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.open_loop.threads.max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let options = portal::Options {
        applications: args.applications,
        awards: args.awards,
        participants: args.participants,
        rate: args.rate,
        duration: Duration::from_secs(args.open_loop.seconds),
        warm_up: Duration::from_secs(args.open_loop.warm_up_seconds),
        max_in_flight: args.open_loop.max_in_flight,
        timeout: Duration::from_secs(args.open_loop.timeout_seconds),
    };
    let base = args.admin.base.trim_end_matches('/').to_owned();
    let report = runtime.block_on(async {
        let api = Api::new(&base, options.timeout)?
            .with_two_factor(&args.admin.email, secret(&args.admin.two_factor_secret)?);
        api.wait_ready(Duration::from_secs(args.open_loop.wait_seconds))
            .await?;
        let client = portal::client(options.timeout)?;
        let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        note(&format!(
            "setting up on {base}: one grantee with {} applications, {} awards, a return draft of {} participants",
            options.applications, options.awards, options.participants
        ));
        let prepared =
            portal::prepare(&api, &client, &base, &args.admin.email, &args.admin.password, &options).await?;
        if let Some(path) = &args.cookie_file {
            std::fs::write(path, format!("{}\n", prepared.cookie))
                .with_context(|| format!("writing {}", path.display()))?;
        }
        if let Some(path) = &args.pages_file {
            let text: String = prepared
                .pages
                .iter()
                .map(|(name, path)| format!("{name}\t{path}\n"))
                .collect();
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        note(&format!(
            "portal: GET / as a grantee of {}, {:.0} a second for {} s after {} s unmeasured",
            prepared.organisation,
            options.rate,
            options.duration.as_secs(),
            options.warm_up.as_secs()
        ));
        let scenario = portal::dashboard(&client, &base, &prepared, &options).await?;
        anyhow::Ok(report::RunReport {
            label: args.label.clone(),
            base: base.clone(),
            started_at,
            grantee_users: 1,
            scenarios: vec![scenario],
        })
    })?;
    print!("{}", report::table(&report));
    if let Some(dashboard) = report
        .scenario("portal")
        .and_then(|s| s.requests.get("dashboard"))
    {
        let met = dashboard.p99_ms < report::PORTAL_P99_MS
            && dashboard.server_errors + dashboard.transport_errors == 0
            && dashboard.rejected == 0;
        println!(
            "\nportal budget on {}: p99 {:.2} ms at {:.0}/s (target < {} ms, no errors): {}",
            report.label,
            dashboard.p99_ms,
            args.rate,
            report::PORTAL_P99_MS,
            if met { "met" } else { "MISSED" }
        );
    }
    if let Some(path) = &args.open_loop.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let failures = report.failures()
        + report
            .scenario("portal")
            .and_then(|s| s.requests.get("dashboard"))
            .map_or(0, |d| d.rejected);
    if failures > 0 {
        eprintln!("grantledger-load: {failures} dashboard requests failed (not 200)");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_staff(args: &StaffArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.open_loop.threads.max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let timeout = Duration::from_secs(args.open_loop.timeout_seconds);
    let base = args.admin.base.trim_end_matches('/').to_owned();
    let size = staff::Size {
        applications: args.applications,
        awards: args.awards,
        concurrency: args.concurrency,
    };
    let rate = portal::Rate {
        rate: args.rate,
        duration: Duration::from_secs(args.open_loop.seconds),
        warm_up: Duration::from_secs(args.open_loop.warm_up_seconds),
        max_in_flight: args.open_loop.max_in_flight,
    };
    let report = runtime.block_on(async {
        let api = Api::new(&base, timeout)?
            .with_two_factor(&args.admin.email, secret(&args.admin.two_factor_secret)?);
        api.wait_ready(Duration::from_secs(args.open_loop.wait_seconds))
            .await?;
        let client = portal::client(timeout)?;
        let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        note(&format!(
            "setting up on {base}: a round of {} applications, {} of them awarded",
            size.applications, size.awards
        ));
        let prepared = staff::prepare(
            &api,
            &client,
            &base,
            &args.admin.email,
            &args.admin.password,
            size,
        )
        .await?;
        args.fund_file.write(&prepared.fund)?;
        note(&format!(
            "staff pages: {} then {}, {:.0} a second for {} s each after {} s unmeasured",
            prepared.pages[0].1,
            prepared.pages[1].1,
            rate.rate,
            rate.duration.as_secs(),
            rate.warm_up.as_secs()
        ));
        let scenarios = staff::pages(&client, &base, &prepared, rate).await?;
        anyhow::Ok(report::RunReport {
            label: args.label.clone(),
            base: base.clone(),
            started_at,
            grantee_users: setup::MAX_GRANTEE_USERS,
            scenarios,
        })
    })?;
    print!("{}", report::table(&report));
    let mut failures = report.failures();
    for name in ["queue", "fund"] {
        let Some(page) = report.scenario(name).and_then(|s| s.requests.get(name)) else {
            continue;
        };
        let service = report
            .scenario(name)
            .and_then(|s| s.requests.get(&format!("{name}_service_time")))
            .map_or(f64::NAN, |s| s.p99_ms);
        let met = service < staff::STAFF_P99_MS
            && page.server_errors + page.transport_errors + page.rejected == 0;
        failures += page.rejected;
        println!(
            "\nstaff budget, {name} page on {}: server time p99 {service:.2} ms (from due {:.2} ms) at {:.0}/s (target < {} ms, no errors): {}",
            report.label,
            page.p99_ms,
            args.rate,
            staff::STAFF_P99_MS,
            if met { "met" } else { "MISSED" }
        );
    }
    if let Some(path) = &args.open_loop.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if failures > 0 {
        eprintln!("grantledger-load: {failures} staff page requests failed (not 200)");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn note(text: &str) {
    eprintln!("grantledger-load: {text}");
}

async fn scenarios_in_turn(args: &RunArgs) -> anyhow::Result<RunReport> {
    let api = Api::new(&args.admin.base, Duration::from_secs(args.timeout_seconds))?
        .with_two_factor(&args.admin.email, secret(&args.admin.two_factor_secret)?);
    api.wait_ready(Duration::from_secs(args.wait_seconds))
        .await?;
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (surge_count, measure_surge) = match args.scenario {
        Scenario::All | Scenario::Surge => (args.surge_count, true),
        Scenario::Decisions => (args.decisions.unwrap_or(5_000), false),
        Scenario::Reads => (1_000, false),
    };
    note(&format!(
        "setting up on {}: a fund, a round for {surge_count} awards, {} grantee users",
        args.admin.base, args.grantee_users
    ));
    let world = setup::prepare(
        &api,
        &args.admin.email,
        &args.admin.password,
        surge_count,
        args.grantee_users,
    )
    .await?;
    args.fund_file.write(&world.fund)?;
    let mut reports: Vec<ScenarioReport> = Vec::new();

    note(&format!(
        "{}: {surge_count} applications, {} at once, at most {} s",
        if measure_surge { "surge" } else { "preparing" },
        args.surge_concurrency,
        args.surge_seconds
    ));
    let (surge, submitted) = scenarios::surge(
        &api,
        &world,
        surge_count,
        args.surge_concurrency,
        Duration::from_secs(if measure_surge {
            args.surge_seconds
        } else {
            args.max_seconds
        }),
    )
    .await?;
    if measure_surge {
        reports.push(surge);
    }
    if args.scenario == Scenario::Surge {
        return Ok(finish(args, started_at, reports));
    }

    let (to_decide, measure_decisions): (&[Submitted], bool) = match args.scenario {
        Scenario::Reads => (submitted.get(..300).unwrap_or(&submitted), false),
        _ => {
            let n = args
                .decisions
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(submitted.len());
            (submitted.get(..n).unwrap_or(&submitted), true)
        }
    };
    note(&format!(
        "{}: {} award decisions, {} at once, at most {} s",
        if measure_decisions {
            "decisions"
        } else {
            "preparing"
        },
        to_decide.len(),
        args.decision_concurrency,
        args.decision_seconds
    ));
    let (decisions, mut awards) = scenarios::decisions(
        &api,
        &world,
        to_decide,
        args.decision_concurrency,
        Duration::from_secs(args.decision_seconds),
    )
    .await?;
    if measure_decisions {
        // The next phase takes the applications this one did not reach.
        let left = submitted
            .get(usize::try_from(decisions.attempted).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        reports.push(decisions);
        if args.bulk_batch > 0 && !left.is_empty() {
            note(&format!(
                "bulk decisions: {} applications in batches of {}, {} at once, at most {} s",
                left.len(),
                args.bulk_batch,
                args.bulk_concurrency,
                args.bulk_seconds
            ));
            let (bulk, mut more) = scenarios::bulk_decisions(
                &api,
                &world,
                left,
                args.bulk_batch,
                args.bulk_concurrency,
                Duration::from_secs(args.bulk_seconds),
            )
            .await?;
            reports.push(bulk);
            awards.append(&mut more);
        }
    }
    if args.scenario == Scenario::Decisions {
        return Ok(finish(args, started_at, reports));
    }

    note(&format!(
        "reads: {:.0} a second for {} s over {} applications and {} awards",
        args.read_rate,
        args.read_seconds,
        submitted.len(),
        awards.len()
    ));
    let reads = scenarios::reads(
        &api,
        &world,
        &submitted,
        &awards,
        args.read_rate,
        Duration::from_secs(args.read_seconds),
        args.read_max_in_flight,
    )
    .await?;
    reports.push(reads);
    Ok(finish(args, started_at, reports))
}

fn finish(args: &RunArgs, started_at: String, scenarios: Vec<ScenarioReport>) -> RunReport {
    RunReport {
        label: args.label.clone(),
        base: args.admin.base.clone(),
        started_at,
        grantee_users: args.grantee_users,
        scenarios,
    }
}

/// The administrator's two-factor secret, read.
fn secret(text: &str) -> anyhow::Result<grantledger_domain::two_factor::TotpSecret> {
    grantledger_domain::two_factor::TotpSecret::parse(text)
        .map_err(|e| anyhow::anyhow!("--two-factor-secret: {e}"))
}
