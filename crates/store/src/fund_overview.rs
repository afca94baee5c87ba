//! What a fund's page draws besides its reconciliation: its live awards by
//! amount, and the movements of money that commit and pay them. The
//! domain's [`grantledger_domain::fund_overview`] decides what they add up
//! to; these read only the rows it needs.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::fund_overview::COMMITMENT_KINDS;
use grantledger_domain::ids::FundId;
use grantledger_domain::ledger::TransferKind;
use grantledger_domain::money::Money;

use crate::common::{db_id, parse};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{awards, ledger_transfers};
use crate::sql_types::DbTime;

/// Each distinct amount of the fund's live awards (offered, accepted or
/// completed) and how many awards have it. Microgrants come in few
/// amounts, so this is short even for thousands of awards.
pub fn award_amounts(
    conn: &mut AnyConnection,
    fund: FundId,
) -> Result<Vec<(Money, i64)>, StoreError> {
    let live: Vec<&str> = AwardStatus::ALL
        .iter()
        .filter(|s| s.is_live())
        .map(|s| s.as_str())
        .collect();
    let rows: Vec<(i64, i64)> = awards::table
        .filter(awards::fund_id.eq(db_id(fund)))
        .filter(awards::status.eq_any(live))
        .group_by(awards::amount_pence)
        .select((awards::amount_pence, diesel::dsl::count_star()))
        .load(conn)?;
    rows.into_iter()
        .map(|(pence, n)| {
            let amount =
                Money::from_pence(pence).map_err(|e| StoreError::corrupt("award amount", e))?;
            Ok((amount, n))
        })
        .collect()
}

/// Every movement of the fund's money that commits it to awards or pays
/// it to grantees, with when it happened and how much (in pence).
pub fn commitment_movements(
    conn: &mut AnyConnection,
    fund: FundId,
) -> Result<Vec<(DateTime<Utc>, TransferKind, i64)>, StoreError> {
    let kinds: Vec<&str> = COMMITMENT_KINDS.iter().map(|k| k.as_str()).collect();
    let rows: Vec<(DbTime, String, i64)> = ledger_transfers::table
        .filter(ledger_transfers::fund_id.eq(db_id(fund)))
        .filter(ledger_transfers::kind.eq_any(kinds))
        .select((
            ledger_transfers::created_at,
            ledger_transfers::kind,
            ledger_transfers::amount_pence,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(at, kind, pence)| Ok((at.0, parse::<TransferKind>("transfer kind", &kind)?, pence)))
        .collect()
}
