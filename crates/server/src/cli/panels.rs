//! `grantledger panel …`: a round's assessment criteria, assigning
//! assessors and the panel view from the command line, over the same
//! operations as the API and the portal (issue 20).

use std::path::PathBuf;

use anyhow::Context;
use grantledger_domain::assessment::assignment::AssessorsPerApplication;
use grantledger_domain::ids::{RoundId, UserId};
use grantledger_store::Database;
use grantledger_store::common::Actor;

use super::describe_api_error;
use crate::cli::common::ViewFormat;
use crate::operations::panels as op;
use crate::routes::panels::{AssignmentPlanView, CriteriaBody, CriteriaView, PanelView};

/// `grantledger panel …`.
#[derive(Debug, clap::Subcommand)]
pub enum PanelCommand {
    /// Set a round's criteria from a JSON file shaped as the body of
    /// `PUT /v1/rounds/{id}/criteria`: `{"scale": {"min": 1, "max": 5},
    /// "margin": "1", "criteria": [{"name": "…", "weight": 3}, …]}`.
    Criteria(CriteriaArgs),
    /// Assign assessors to every application of the round awaiting
    /// assessment, balanced, never one conflicted on it.
    Assign(AssignArgs),
    /// Print the panel view: each application's weighted scores, mean,
    /// spread and whether assessors disagree.
    Show(ShowArgs),
}

/// Options of `panel criteria`.
#[derive(Debug, clap::Args)]
pub struct CriteriaArgs {
    /// The round.
    #[arg(long)]
    pub round: uuid::Uuid,
    /// The JSON file.
    #[arg(long)]
    pub file: PathBuf,
}

/// Options of `panel assign`.
#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The round.
    #[arg(long)]
    pub round: uuid::Uuid,
    /// Assessors per application (1–10).
    #[arg(long, value_parser = per_application)]
    pub per_application: AssessorsPerApplication,
    /// An assessor to draw on (repeat it); every enabled assessor when
    /// none is given.
    #[arg(long = "assessor")]
    pub assessors: Vec<uuid::Uuid>,
}

fn per_application(s: &str) -> Result<AssessorsPerApplication, String> {
    let n: u8 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number from 1 to 10"))?;
    AssessorsPerApplication::new(n).map_err(|e| e.to_string())
}

/// Options of `panel show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The round.
    #[arg(long)]
    pub round: uuid::Uuid,
    /// `text` (tab-separated lines) or `json` (the API's answer).
    #[arg(long, value_enum, default_value_t)]
    pub format: ViewFormat,
}

/// Runs a `panel` command.
pub fn run(db: &Database, command: &PanelCommand) -> anyhow::Result<()> {
    let actor = Actor::system("cli");
    match command {
        PanelCommand::Criteria(args) => {
            let text = std::fs::read_to_string(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let body: CriteriaBody = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a criteria body", args.file.display()))?;
            let (criteria, margin) = body.criteria().map_err(describe_api_error)?;
            let round = RoundId::from_uuid(args.round);
            let set = db
                .write(|c| op::set_criteria(c, &actor, round, &criteria, margin))
                .map_err(describe_api_error)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&CriteriaView::from(set))?
            );
        }
        PanelCommand::Assign(args) => {
            let round = RoundId::from_uuid(args.round);
            let assessors = args
                .assessors
                .iter()
                .map(|u| UserId::from_uuid(*u))
                .collect();
            let plan = db
                .write(|c| {
                    op::assign_automatically(c, &actor, round, args.per_application, assessors)
                })
                .map_err(describe_api_error)?;
            let view = AssignmentPlanView::from(plan);
            println!("{} assignments made", view.assignments.len());
            for s in &view.shortfalls {
                eprintln!(
                    "{}: {} of {} assessors ({} free of a conflict)",
                    s.application_id, s.assigned, s.wanted, s.eligible
                );
            }
        }
        PanelCommand::Show(args) => {
            let round = RoundId::from_uuid(args.round);
            let panel = db
                .read(|c| op::panel(c, round))
                .map_err(describe_api_error)?;
            let view = PanelView::from(panel);
            match args.format {
                ViewFormat::Json => println!("{}", serde_json::to_string_pretty(&view)?),
                ViewFormat::Text => {
                    for r in &view.rows {
                        let scores: Vec<String> =
                            r.scores.iter().map(|s| s.weighted.score.clone()).collect();
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}",
                            r.application_id,
                            scores.join(" "),
                            r.mean.as_deref().unwrap_or("-"),
                            r.spread.as_deref().unwrap_or("-"),
                            r.recommendation
                                .as_ref()
                                .map_or("", |rec| rec.decision.as_str()),
                            if r.disagreement { "disagree" } else { "" },
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
