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
