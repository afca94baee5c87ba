//! `grantledger bank-details …`: the bank details routes on the command
//! line, over the same operations. Accounts are shown only masked, from
//! the API's own view of them.

use anyhow::Context;
use clap::Subcommand;
use grantledger_domain::ids::GranteeId;
use grantledger_store::Database;

use super::common::{ActingArgs, ViewFormat, keyring, operator, print_json};
use super::describe_api_error;
use crate::config::{BankKeySettings, ModulusSettings};
use crate::operations::bank_details as op;
use crate::policy::Action;
use crate::routes::bank_details::{BankDetailsView, MaskedAccount, WaitingView};

/// `grantledger bank-details …`.
#[derive(Debug, Subcommand)]
pub enum BankDetailsCommand {
    /// Show a grantee's bank details, the account number masked to its
    /// last 4 digits, and whether its payments are held.
    Show(ShowArgs),
    /// Enter or change a grantee's bank details (an administrator, or a
    /// grantee user of that organisation). The change waits for another
    /// administrator to verify it; payments are held until then.
    Enter(EnterArgs),
    /// Verify the waiting change: an administrator other than the person
    /// who entered it.
    Verify(DecideArgs),
    /// Reject the waiting change, saying why; the account in force stays.
    Reject(DecideArgs),
    /// List changes waiting for verification, oldest first.
    Waiting(WaitingArgs),
    /// Re-seal every stored account under the current key, so previous
    /// keys (GRANTLEDGER_BANK_PREVIOUS_KEYS) can be retired. Prints how many.
    Rekey(RekeyArgs),
}

/// Flags of `bank-details show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The grantee's id.
    #[arg(long)]
    pub grantee: uuid::Uuid,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ViewFormat,
    /// The keys sealing bank details.
    #[command(flatten)]
    pub bank: BankKeySettings,
    /// The modulus checking tables (the view says whether each account passed).
    #[command(flatten)]
    pub modulus: ModulusSettings,
}

/// Flags of `bank-details enter`.
#[derive(Debug, clap::Args)]
pub struct EnterArgs {
    /// The grantee's id.
    #[arg(long)]
    pub grantee: uuid::Uuid,
    /// Who is entering them.
    #[command(flatten)]
    pub acting: ActingArgs,
    /// The name on the account, as the bank has it.
    #[arg(long)]
    pub account_name: String,
    /// The sort code, e.g. 12-34-56.
    #[arg(long)]
    pub sort_code: String,
    /// The 8-digit account number. GRANTLEDGER_ACCOUNT_NUMBER keeps it out
    /// of shell history and the process list.
    #[arg(long, env = "GRANTLEDGER_ACCOUNT_NUMBER", hide_env_values = true)]
    pub account_number: String,
    /// For building-society accounts that need one.
    #[arg(long)]
    pub roll_number: Option<String>,
    /// The keys sealing bank details.
    #[command(flatten)]
    pub bank: BankKeySettings,
    /// The modulus checking tables.
    #[command(flatten)]
    pub modulus: ModulusSettings,
    /// Where links in the notices to the organisation's users point.
    #[command(flatten)]
    pub notices: crate::config::NoticeSettings,
}

/// Flags of `bank-details verify` and `reject`.
#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// The grantee's id.
    #[arg(long)]
    pub grantee: uuid::Uuid,
    /// Who is deciding.
    #[command(flatten)]
    pub acting: ActingArgs,
    /// How the change was checked (e.g. "called the treasurer on the
    /// number we hold"), or why it is refused.
    #[arg(long)]
    pub note: String,
    /// The keys sealing bank details.
    #[command(flatten)]
    pub bank: BankKeySettings,
    /// The modulus checking tables.
    #[command(flatten)]
    pub modulus: ModulusSettings,
    /// Where links in the notices to the organisation's users point.
    #[command(flatten)]
    pub notices: crate::config::NoticeSettings,
}

/// Flags of `bank-details waiting`.
#[derive(Debug, clap::Args)]
pub struct WaitingArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ViewFormat,
}

/// Flags of `bank-details rekey`.
#[derive(Debug, clap::Args)]
pub struct RekeyArgs {
    /// The current key, and the previous keys the stored rows are sealed under.
    #[command(flatten)]
    pub bank: BankKeySettings,
}

/// Runs `bank-details …`.
pub fn run(db: &Database, command: &BankDetailsCommand) -> anyhow::Result<()> {
    match command {
        BankDetailsCommand::Show(args) => {
            let keys = keyring(db, &args.bank)?;
            let modulus = args.modulus.table()?;
            let id = GranteeId::from_uuid(args.grantee);
            let details = db
                .read(|c| op::show(c, &keys, &operator(), id))
                .map_err(describe_api_error)?;
            print_details(&BankDetailsView::of(id, &details, &modulus), args.format)
        }
        BankDetailsCommand::Enter(args) => {
            let modulus = args.modulus.table()?;
            // Checked before anything else, so a mistyped number is named
            // without touching the database.
            let account = op::parse(
                &op::TypedAccount {
                    account_name: args.account_name.clone(),
                    sort_code: args.sort_code.clone(),
                    account_number: args.account_number.clone(),
                    roll_number: args.roll_number.clone(),
                },
                &modulus,
            )
            .map_err(describe_api_error)?;
            let keys = keyring(db, &args.bank)?;
            let acting =
                args.acting
                    .resolve(db, Action::EnterBankDetails, "entering bank details")?;
            let id = GranteeId::from_uuid(args.grantee);
            // A grantee user may enter only its own organisation's details.
            acting
                .principal
                .require_visible(id, "grantee")
                .map_err(describe_api_error)?;
            let details = db
                .write(|c| {
                    op::enter_as(
                        c,
                        &keys,
                        &args.notices.notices(),
                        &acting.actor,
                        id,
                        &account,
                    )
                })
                .map_err(describe_api_error)?;
            eprintln!(
                "entered; payments to this grantee are held until an administrator other than \
                 the person who entered them verifies them"
            );
            print_details(
                &BankDetailsView::of(id, &details, &modulus),
                ViewFormat::Text,
            )
        }
        BankDetailsCommand::Verify(args) | BankDetailsCommand::Reject(args) => {
            let verify = matches!(command, BankDetailsCommand::Verify(_));
            let keys = keyring(db, &args.bank)?;
            let modulus = args.modulus.table()?;
            let what = if verify {
                "verifying bank details"
            } else {
                "rejecting bank details"
            };
            let acting = args.acting.resolve(db, Action::VerifyBankDetails, what)?;
            let id = GranteeId::from_uuid(args.grantee);
            let notices = args.notices.notices();
            let details = db
                .write(|c| {
                    if verify {
                        op::verify(c, &keys, &notices, &acting.actor, id, &args.note)
                    } else {
                        op::reject(c, &keys, &notices, &acting.actor, id, &args.note)
                    }
                })
                .map_err(describe_api_error)?;
            eprintln!("{}", if verify { "verified" } else { "rejected" });
            print_details(
                &BankDetailsView::of(id, &details, &modulus),
                ViewFormat::Text,
            )
        }
        BankDetailsCommand::Waiting(args) => {
            let waiting: Vec<WaitingView> = db
                .read(op::waiting)
                .map_err(describe_api_error)?
                .into_iter()
                .map(WaitingView::from)
                .collect();
            match args.format {
                ViewFormat::Json => print_json(&waiting),
                ViewFormat::Text => {
                    for w in &waiting {
                        println!(
                            "{}\t{}\tentered by {} at {}",
                            w.grantee_id,
                            w.grantee_name,
                            w.entered_by,
                            w.entered_at.to_rfc3339()
                        );
                    }
                    eprintln!("{} waiting for verification", waiting.len());
                    Ok(())
                }
            }
        }
        BankDetailsCommand::Rekey(args) => {
            let keys = keyring(db, &args.bank)?;
            let actor = grantledger_store::common::Actor::system("cli");
            let count = db
                .write(|c| {
                    grantledger_store::bank_details::rekey(c, &keys, &actor, chrono::Utc::now())
                })
                .map_err(|e| describe_api_error(e.into()))
                .context("re-sealing bank details")?;
            println!("{count}");
            eprintln!(
                "re-sealed {count} stored accounts under key {:?}; every account is now under it, \
                 so GRANTLEDGER_BANK_PREVIOUS_KEYS can be emptied",
                keys.current_id()
            );
            Ok(())
        }
    }
}

/// Prints a grantee's details, masked as the API shows them.
fn print_details(view: &BankDetailsView, format: ViewFormat) -> anyhow::Result<()> {
    if format == ViewFormat::Json {
        return print_json(view);
    }
    println!("grantee: {}", view.grantee_id);
    match &view.payment_hold {
        Some(hold) => println!("payments: held ({hold})"),
        None => println!("payments: not held"),
    }
    match &view.in_force {
        Some(v) => {
            println!("in force: {}", account_line(&v.account));
            println!(
                "  verified by {} at {}: {}",
                v.verified_by,
                v.verified_at.to_rfc3339(),
                v.verification_note
            );
        }
        None => println!("in force: none"),
    }
    match &view.pending {
        Some(p) => println!("waiting for verification: {}", account_line(p)),
        None => println!("waiting for verification: none"),
    }
    Ok(())
}

fn account_line(a: &MaskedAccount) -> String {
    let roll = a
        .roll_number
        .as_ref()
        .map(|r| format!(", roll number {r}"))
        .unwrap_or_default();
    format!(
        "{}, {} {}{roll} (modulus check: {}; entered by {} at {})",
        a.account_name,
        a.sort_code,
        a.account_number,
        a.modulus_check,
        a.entered_by,
        a.entered_at.to_rfc3339()
    )
}
