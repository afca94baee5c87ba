//! What a fund's page draws besides its reconciliation: its live awards by
//! amount, and the movements of money that commit and pay them. The
//! domain's [`grantledger_domain::fund_overview`] decides what they add up
//! to; these read only the rows it needs.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use grantledger_domain::award::AwardStatus;
use grantledger_domain::fund_overview::COMMITMENT_KINDS;
use grantledger_domain::ids::FundId;
use grantledger_domain::ledger::TransferKind;
use grantledger_domain::money::Money;

use crate::common::{db_id, parse};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::reconciliation::{Dialect, load};
use crate::schema::awards;

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

/// The fund's movements of money that commit it to awards or pay it to
/// grantees, summed by UTC day and kind: `(day, kind, pence)`. The domain's
/// [`grantledger_domain::fund_overview::money_over_time`] needs only the
/// day, so the database sums a day's transfers instead of sending each.
pub fn commitment_movements(
    conn: &mut AnyConnection,
    fund: FundId,
) -> Result<Vec<(NaiveDate, TransferKind, i64)>, StoreError> {
    #[derive(QueryableByName)]
    struct DayRow {
        #[diesel(sql_type = Text)]
        day: String,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = BigInt)]
        pence: i64,
    }
    let d = Dialect::of(conn);
    // Every value in the text is a typed id or one of the domain's kinds.
    let kinds: Vec<String> = COMMITMENT_KINDS
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect();
    let sql = format!(
        "SELECT {} AS day, kind, CAST(SUM(amount_pence) AS BIGINT) AS pence FROM ledger_transfers \
         WHERE fund_id = {} AND kind IN ({}) GROUP BY 1, 2",
        d.day("created_at"),
        d.uuid(fund.into()),
        kinds.join(", ")
    );
    load::<DayRow>(conn, &sql)?
        .into_iter()
        .map(|r| {
            let day = NaiveDate::parse_from_str(&r.day, "%Y-%m-%d")
                .map_err(|e| StoreError::corrupt("transfer day", e))?;
            Ok((
                day,
                parse::<TransferKind>("transfer kind", &r.kind)?,
                r.pence,
            ))
        })
        .collect()
}
