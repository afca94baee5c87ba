//! How the portal writes money, dates and statuses for people.

use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::Money;

use crate::portal::messages::Messages;

/// `£2,500.00`: pounds with thousands separated, always two decimals.
#[must_use]
pub fn pounds(money: Money) -> String {
    money.pounds()
}

/// Pence as pounds, like [`pounds`], for figures that may be negative
/// (a reconciliation's differences).
#[must_use]
pub fn pounds_of_pence(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let pence = pence.unsigned_abs();
    format!("{sign}£{}.{:02}", grouped(pence / 100), pence % 100)
}

/// Whole pounds, rounded down, for a chart's axis: `£4,000,000`.
#[must_use]
pub fn whole_pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    format!("{sign}£{}", grouped(pence.unsigned_abs() / 100))
}

fn grouped(whole: u64) -> String {
    let whole = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

/// `1 December 2026 at 17:00 UTC`: the server keeps UTC and says so.
#[must_use]
pub fn instant(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y at %H:%M UTC").to_string()
}

/// `1 December 2026`.
#[must_use]
pub fn date(on: NaiveDate) -> String {
    on.format("%-d %B %Y").to_string()
}

/// A status in words, from the catalogue (`<kind>-status-<wire name>`),
/// and the GOV.UK tag colour that goes with it.
#[must_use]
pub fn status(m: &Messages, kind: &str, wire: &str) -> (String, &'static str) {
    let colour = match wire {
        "draft" | "offered" => "blue",
        "submitted" | "under_review" | "changes_requested" => "yellow",
        "awarded" | "accepted" | "completed" | "paid" | "confirmed" => "green",
        "approved" => "turquoise",
        "rejected" | "declined" | "cancelled" | "failed" => "red",
        _ => "grey",
    };
    (m.t(&format!("{kind}-status-{wire}")), colour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use grantledger_domain::application::ApplicationStatus;
    use grantledger_domain::award::AwardStatus;

    #[test]
    fn pounds_are_grouped_with_two_decimals() {
        let p = |s: &str| pounds(Money::parse(s).unwrap());
        assert_eq!(p("0.00"), "£0.00");
        assert_eq!(p("300.5"), "£300.50");
        assert_eq!(p("2500.00"), "£2,500.00");
        assert_eq!(p("4000000.01"), "£4,000,000.01");
        assert_eq!(p("100000"), "£100,000.00");
        assert_eq!(pounds_of_pence(-123_456), "-£1,234.56");
        assert_eq!(whole_pounds(400_000_099), "£4,000,000");
    }

    #[test]
    fn every_status_has_words_in_the_catalogue() {
        let m = crate::portal::messages::english();
        for s in ApplicationStatus::ALL {
            assert!(m.has(&format!("application-status-{s}")), "{s}");
        }
        for s in AwardStatus::ALL {
            assert!(m.has(&format!("award-status-{s}")), "{s}");
        }
        for s in grantledger_domain::payment_run::PaymentRunStatus::ALL {
            assert!(m.has(&format!("run-status-{s}")), "{s}");
        }
        for s in grantledger_domain::disbursement::DisbursementStatus::ALL {
            assert!(m.has(&format!("tranche-status-{s}")), "{s}");
        }
    }
}
