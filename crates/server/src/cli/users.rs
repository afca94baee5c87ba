//! `grantledger user invite`: an administrator invites someone from the
//! command line, as from the portal or the API (issue 18).

use chrono::Utc;
use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::Role;
use grantledger_store::Database;

use super::describe_api_error;
use crate::cli::common::ActingArgs;
use crate::config::NoticeSettings;
use crate::operations::accounts::{Invitation, invite};
use crate::policy::Action;

/// Flags of `user invite`.
#[derive(Debug, clap::Args)]
pub struct UserInviteArgs {
    /// The address to invite (the email with the link goes there).
    pub email: String,
    /// Role: admin, assessor, grantee or auditor.
    #[arg(long)]
    pub role: Role,
    /// For grantee users: the id of the grantee organisation.
    #[arg(long)]
    pub grantee: Option<uuid::Uuid>,
    /// The administrator inviting.
    #[command(flatten)]
    pub acting: ActingArgs,
    /// Where the link points.
    #[command(flatten)]
    pub notices: NoticeSettings,
}

/// Makes the account, queues the email and prints the set-password link
/// (for handing over by another channel when mail is not set up).
pub fn run(db: &Database, args: &UserInviteArgs) -> anyhow::Result<()> {
    let acting = args
        .acting
        .resolve(db, Action::ManageUsers, "user invite")?;
    let invitation = Invitation {
        email: args.email.clone(),
        role: args.role,
        grantee_id: args.grantee.map(GranteeId::from_uuid),
    };
    let notices = args.notices.notices();
    let invited = db
        .write(|c| invite(c, &notices, &acting.principal, &invitation, Utc::now()))
        .map_err(describe_api_error)?;
    println!("{}", invited.link);
    eprintln!(
        "invited {} ({}) as {}; the link works once, for 7 days",
        invited.user.value.email, invited.user.value.id, invited.user.value.role
    );
    Ok(())
}

/// Flags of `user two-factor`.
#[derive(Debug, clap::Args)]
pub struct TwoFactorArgs {
    /// Whose sign-in to set up.
    pub email: String,
    /// The secret (base32), when the person already has it in their app;
    /// without it a new one is made and printed.
    #[arg(long, env = "GRANTLEDGER_TWO_FACTOR_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
}

/// Flags of `user reset-two-factor`.
#[derive(Debug, clap::Args)]
pub struct ResetTwoFactorArgs {
    /// Whose two-factor sign-in to reset.
    pub email: String,
    /// Where the link in the email telling them points.
    #[command(flatten)]
    pub notices: NoticeSettings,
}

/// Flags of `user code`.
#[derive(Debug, clap::Args)]
pub struct CodeArgs {
    /// The secret (base32).
    #[arg(env = "GRANTLEDGER_TWO_FACTOR_SECRET", hide_env_values = true)]
    pub secret: String,
}

fn find(
    c: &mut grantledger_store::AnyConnection,
    email: &str,
) -> Result<grantledger_domain::user::User, crate::error::ApiError> {
    let email = grantledger_domain::user::Email::parse(email)
        .map_err(|e| crate::error::ApiError::invalid("email", e.to_string()))?;
    grantledger_store::users::find_for_login(c, &email)?
        .map(|(user, _)| user.value)
        .ok_or_else(|| crate::error::ApiError::not_found("user"))
}

/// Sets up two-factor sign-in for someone from the command line (the
/// operator already holds the database): prints the secret, the address
/// for a QR code, and the recovery codes.
pub fn enrol(db: &Database, args: &TwoFactorArgs) -> anyhow::Result<()> {
    use grantledger_domain::two_factor::TotpSecret;
    let secret = match &args.secret {
        Some(text) => TotpSecret::parse(text).map_err(|e| anyhow::anyhow!("--secret: {e}"))?,
        None => {
            let mut bytes = [0u8; grantledger_domain::two_factor::SECRET_BYTES];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
            TotpSecret::from_bytes(bytes)
        }
    };
    let actor = grantledger_store::common::Actor::system("cli");
    let (user, codes) = db
        .write(|c| {
            let user = find(c, &args.email)?;
            let codes = crate::operations::two_factor::enrol_with_secret(
                c,
                &user,
                &secret,
                &actor,
                Utc::now(),
            )?;
            Ok::<_, crate::error::ApiError>((user, codes))
        })
        .map_err(describe_api_error)?;
    println!("secret: {}", secret.base32());
    println!(
        "otpauth: {}",
        secret.otpauth_url(crate::operations::two_factor::ISSUER, user.email.as_str())
    );
    for code in codes {
        println!("recovery code: {}", code.as_str());
    }
    eprintln!("two-factor sign-in is on for {}", user.email);
    Ok(())
}

/// An operator's reset of someone's two-factor sign-in.
pub fn reset(db: &Database, args: &ResetTwoFactorArgs) -> anyhow::Result<()> {
    let actor = grantledger_store::common::Actor::system("cli");
    let notices = args.notices.notices();
    let user = db
        .write(|c| {
            let user = find(c, &args.email)?;
            crate::operations::two_factor::reset(c, &notices, user.id, &actor, Utc::now())?;
            Ok::<_, crate::error::ApiError>(user)
        })
        .map_err(describe_api_error)?;
    eprintln!(
        "two-factor sign-in reset for {}; their sessions and tokens have ended",
        user.email
    );
    Ok(())
}

/// Prints the code an authenticator app would show now for `secret`: for
/// the demo's published secret, and for scripts that sign staff in.
pub fn code(args: &CodeArgs) -> anyhow::Result<()> {
    use grantledger_domain::two_factor::{TotpSecret, step_at};
    let secret = TotpSecret::parse(&args.secret).map_err(|e| anyhow::anyhow!("secret: {e}"))?;
    println!("{}", secret.code_for_step(step_at(Utc::now())));
    Ok(())
}
