//! What the bank details and payment run commands share: who is acting
//! (`--as EMAIL`), the bank details keys, and the output format.

use grantledger_domain::user::Email;
use grantledger_store::Database;
use grantledger_store::bank_details::Keyring;
use grantledger_store::common::Actor;

use super::{check_bank_keys, describe_api_error};
use crate::auth::principal::Principal;
use crate::policy::{Action, authorize};

/// How a `show` or `list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ViewFormat {
    /// Lines for people.
    #[default]
    Text,
    /// The API's JSON.
    Json,
}

/// `--as EMAIL`: the person acting, for commands under dual control.
#[derive(Debug, Clone, clap::Args)]
pub struct ActingArgs {
    /// The user acting (their sign-in email). Required: dual control needs
    /// to know who made, entered, verified or approved what, on the
    /// command line as on the web.
    #[arg(long = "as", value_name = "EMAIL")]
    pub acting: Option<String>,
}

/// A user resolved from `--as`: as the policy sees them, and as the audit
/// trail records them.
#[derive(Debug)]
pub struct Acting {
    /// Their role and organisation, for the policy's checks.
    pub principal: Principal,
    /// Who the audit trail names.
    pub actor: Actor,
}

impl ActingArgs {
    /// The user named by `--as`, refused when missing, unknown, disabled
    /// or with a role the policy does not allow `action` (`what` is the
    /// command, for the message).
    pub fn resolve(&self, db: &Database, action: Action, what: &str) -> anyhow::Result<Acting> {
        let Some(given) = self.acting.as_deref() else {
            anyhow::bail!(
                "{what} needs --as EMAIL naming the user acting: two different people must make and \
                 approve each change, so the command line cannot act anonymously"
            );
        };
        let email = Email::parse(given)
            .map_err(|e| anyhow::anyhow!("--as {given:?} is not an email address: {e}"))?;
        let found = db
            .read(|c| grantledger_store::users::find_for_login(c, &email))
            .map_err(|e| describe_api_error(e.into()))?;
        let user = match found {
            Some((user, _hash)) => user.value,
            None => anyhow::bail!("--as {email}: there is no user with that email"),
        };
        if user.disabled {
            anyhow::bail!("--as {email}: that user is disabled");
        }
        let principal = Principal {
            user_id: user.id,
            role: user.role,
            grantee_id: user.grantee_id,
        };
        authorize(&principal, action)
            .map_err(describe_api_error)
            .map_err(|e| anyhow::anyhow!("--as {email}: {e}"))?;
        Ok(Acting {
            principal,
            actor: Actor::user(user.id, email.as_str()),
        })
    }
}

/// The bank details keyring, checked against the stored details first: a
/// missing or wrong key is named by its id here, rather than surfacing
/// later as an internal error.
pub fn keyring(
    db: &Database,
    settings: &crate::config::BankKeySettings,
) -> anyhow::Result<Keyring> {
    let keys = settings.keyring(false)?;
    check_bank_keys(db, &keys)?;
    Ok(keys)
}

/// Prints a view as pretty JSON on standard output.
pub fn print_json(view: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(view)?);
    Ok(())
}

/// The operator at the console, for reads: whoever holds the database and
/// its key sees what an auditor sees (every grantee, accounts masked). No
/// user is named because a read changes nothing.
pub fn operator() -> Principal {
    Principal {
        user_id: grantledger_domain::ids::UserId::from_uuid(uuid::Uuid::nil()),
        role: grantledger_domain::user::Role::Auditor,
        grantee_id: None,
    }
}
