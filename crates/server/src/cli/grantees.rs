//! `grantledger grantee search`: find grantees from the command line by
//! name, org id, postcode or local authority, as the API and the portal do
//! (issue 20).

use grantledger_domain::grantee::{LocalAuthority, NameSearch, Postcode};
use grantledger_domain::org_id::OrgId;
use grantledger_store::Database;
use grantledger_store::common::PageRequest;

use super::describe_api_error;
use crate::cli::common::operator;
use crate::operations::grantees::{self as op, GranteeListing};

/// `grantledger grantee …`.
#[derive(Debug, clap::Subcommand)]
pub enum GranteeCommand {
    /// Find grantees, oldest first, one a line, tab-separated: id, name,
    /// org id, postcode, local authority, region, due diligence. Every
    /// option given must match.
    Search(SearchArgs),
}

/// Options of `grantee search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The beginning of the name; case, spaces and punctuation do not count.
    #[arg(long)]
    pub name: Option<NameSearch>,
    /// The org-id.guide identifier, e.g. GB-CHC-1234567.
    #[arg(long)]
    pub org_id: Option<OrgId>,
    /// The postcode, in any case and spacing.
    #[arg(long)]
    pub postcode: Option<Postcode>,
    /// The local authority (case does not count).
    #[arg(long)]
    pub local_authority: Option<LocalAuthority>,
    /// Most grantees to print (1–500).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// Runs a `grantee` command.
pub fn run(db: &Database, command: &GranteeCommand) -> anyhow::Result<()> {
    let GranteeCommand::Search(args) = command;
    let listing = GranteeListing {
        name: args.name.clone(),
        org_id: args.org_id.clone(),
        postcode: args.postcode.clone(),
        local_authority: args.local_authority.clone(),
        ..GranteeListing::default()
    };
    let principal = operator();
    let page = db
        .read(|c| {
            op::list(
                c,
                &principal,
                listing,
                PageRequest::new(Some(args.limit), None),
            )
        })
        .map_err(describe_api_error)?;
    for record in &page.items {
        let g = &record.value;
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            g.id,
            g.name,
            g.org_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            g.postcode,
            g.local_authority,
            g.region,
            g.due_diligence.status,
        );
    }
    if page.next.is_some() {
        eprintln!(
            "more grantees match than the {} shown: narrow the search or raise --limit",
            page.items.len()
        );
    }
    Ok(())
}
