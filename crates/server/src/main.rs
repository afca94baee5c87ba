//! The `grantledger` command: the HTTP service and the operator's tools.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = grantledger_server::cli::Cli::parse();
    grantledger_server::telemetry::init(cli.log_format);
    match grantledger_server::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("grantledger: {error:#}");
            ExitCode::FAILURE
        }
    }
}
