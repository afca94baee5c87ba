//! `grantledger form …`: a round's application form from the command
//! line, over the same operations as the API and the portal (issue 19).

use std::path::PathBuf;

use anyhow::Context;
use grantledger_domain::form::Form;
use grantledger_domain::ids::RoundId;
use grantledger_store::Database;
use grantledger_store::common::Actor;

use super::describe_api_error;
use crate::cli::common::ViewFormat;
use crate::operations::forms as op;
use crate::routes::forms::RoundFormView;

/// `grantledger form …`.
#[derive(Debug, clap::Subcommand)]
pub enum FormCommand {
    /// Print a round's form: an outline, or the JSON the API answers.
    Show(ShowArgs),
    /// Save a new version of a round's form from a JSON file shaped as
    /// the body of `PUT /v1/rounds/{id}/form` (docs/FORMS.md). Refused
    /// once the round has opened.
    Set(SetArgs),
}

/// Options of `form show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The round.
    #[arg(long)]
    pub round: uuid::Uuid,
    /// `text` (an outline) or `json`.
    #[arg(long, value_enum, default_value_t)]
    pub format: ViewFormat,
}

/// Options of `form set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The round.
    #[arg(long)]
    pub round: uuid::Uuid,
    /// The JSON file.
    #[arg(long)]
    pub file: PathBuf,
    /// The version you are replacing (as `form show` printed it); leave
    /// out for a round without a form.
    #[arg(long)]
    pub replaces: Option<u32>,
}

/// Runs a `form` command.
pub fn run(db: &Database, command: &FormCommand) -> anyhow::Result<()> {
    match command {
        FormCommand::Show(args) => {
            let round = RoundId::from_uuid(args.round);
            let form = db.read(|c| op::get(c, round)).map_err(describe_api_error)?;
            match args.format {
                ViewFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&RoundFormView::from(form))?
                ),
                ViewFormat::Text => {
                    println!("version {}", form.version);
                    for s in form.form.sections() {
                        println!("{}\t{}", s.id, s.title);
                        for q in &s.questions {
                            let required = if q.required { "required" } else { "optional" };
                            println!("  {}\t{}\t{}\t{}", q.id, q.kind.code(), required, q.label);
                        }
                    }
                }
            }
        }
        FormCommand::Set(args) => {
            let text = std::fs::read_to_string(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let form: Form = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a usable form", args.file.display()))?;
            let round = RoundId::from_uuid(args.round);
            let actor = Actor::system("cli");
            let saved = db
                .write(|c| op::set(c, &actor, round, args.replaces, &form))
                .map_err(describe_api_error)?;
            println!("version {} saved", saved.version);
        }
    }
    Ok(())
}
