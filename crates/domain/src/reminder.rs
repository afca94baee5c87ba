//! When to remind a grantee organisation (issue 18): an offer not accepted
//! after 14 days, an evaluation return due in 30, 7 and 1 days and weekly
//! once overdue, a draft whose round closes in 7 days and in 1 day.
//!
//! Each rule answers, for a moment, which of the subject's reminders is due
//! — its *occasion*, a key such as `due-7:2027-03-31` — so that whoever
//! sends reminders records the occasion and sends each once, however often
//! it looks and however long it was stopped: after a gap, only the most
//! urgent reminder is due (a return due in 5 days gets the 7-day reminder,
//! never a late 30-day one). A new due date or closing time starts new
//! occasions.
//!
//! ```
//! use chrono::NaiveDate;
//! use grantledger_domain::reminder::{Reminder, return_reminder};
//!
//! let due = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
//! let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
//! let far = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
//! assert_eq!(return_reminder(due, far), None);
//! let soon = return_reminder(due, day(26)).unwrap();
//! assert_eq!(soon, Reminder::ReturnDue { on: due, days_left: 5, before: 7 });
//! assert_eq!(soon.occasion(), "due-7:2027-03-31");
//! let late = return_reminder(due, NaiveDate::from_ymd_opt(2027, 4, 9).unwrap()).unwrap();
//! assert_eq!(late.occasion(), "overdue-1:2027-03-31");
//! ```

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Days an offer may wait before its organisation is reminded to accept it.
pub const OFFER_WAITING_DAYS: i64 = 14;

/// Days before a return is due when its organisation is reminded, latest
/// first.
pub const RETURN_DUE_DAYS: [i64; 3] = [30, 7, 1];

/// Days between reminders once a return is overdue.
pub const OVERDUE_EVERY_DAYS: i64 = 7;

/// Days before a round closes when an organisation with a draft in it is
/// reminded, latest first.
pub const ROUND_CLOSING_DAYS: [i64; 2] = [7, 1];

/// A reminder that is due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// An offer has waited [`OFFER_WAITING_DAYS`] or more to be accepted.
    OfferWaiting {
        /// When it was offered.
        offered_at: DateTime<Utc>,
    },
    /// A return falls due soon.
    ReturnDue {
        /// The day it is due.
        on: NaiveDate,
        /// Days from today until then (0: today).
        days_left: i64,
        /// Which of [`RETURN_DUE_DAYS`] this is.
        before: i64,
    },
    /// A return is overdue.
    ReturnOverdue {
        /// The day it was due.
        on: NaiveDate,
        /// Days since then (1 or more).
        days_late: i64,
    },
    /// A draft's round closes soon.
    RoundClosing {
        /// When the round closes.
        at: DateTime<Utc>,
        /// Whole days left, rounded up (1: within the next 24 hours).
        days_left: i64,
        /// Which of [`ROUND_CLOSING_DAYS`] this is.
        before: i64,
    },
}

impl Reminder {
    /// The key naming this reminder among its subject's: the same for
    /// every moment at which this reminder is the one due.
    #[must_use]
    pub fn occasion(&self) -> String {
        match self {
            Reminder::OfferWaiting { .. } => format!("offer-{OFFER_WAITING_DAYS}"),
            Reminder::ReturnDue { on, before, .. } => format!("due-{before}:{on}"),
            Reminder::ReturnOverdue { on, days_late } => {
                format!("overdue-{}:{on}", (days_late - 1) / OVERDUE_EVERY_DAYS)
            }
            Reminder::RoundClosing { at, before, .. } => {
                format!("closing-{before}:{}", at.format("%Y-%m-%dT%H:%MZ"))
            }
        }
    }

    /// What the reminder is, for the outbox and the log.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Reminder::OfferWaiting { .. } => "reminder.offer_waiting",
            Reminder::ReturnDue { .. } => "reminder.return_due",
            Reminder::ReturnOverdue { .. } => "reminder.return_overdue",
            Reminder::RoundClosing { .. } => "reminder.round_closing",
        }
    }
}

/// The reminder due at `now` for an offer made at `offered_at` and not yet
/// accepted or declined: one, once it has waited [`OFFER_WAITING_DAYS`].
#[must_use]
pub fn offer_reminder(offered_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Reminder> {
    (now - offered_at >= Duration::days(OFFER_WAITING_DAYS))
        .then_some(Reminder::OfferWaiting { offered_at })
}

/// The reminder due `today` for a return due `on` and not yet in: the
/// nearest of [`RETURN_DUE_DAYS`] it is within, or once overdue one each
/// [`OVERDUE_EVERY_DAYS`] (the first the day after it was due).
#[must_use]
pub fn return_reminder(on: NaiveDate, today: NaiveDate) -> Option<Reminder> {
    let days_left = (on - today).num_days();
    if days_left < 0 {
        return Some(Reminder::ReturnOverdue {
            on,
            days_late: -days_left,
        });
    }
    nearest(&RETURN_DUE_DAYS, days_left).map(|before| Reminder::ReturnDue {
        on,
        days_left,
        before,
    })
}

/// The reminder due at `now` for a draft in a round closing at `at`: the
/// nearest of [`ROUND_CLOSING_DAYS`] it is within, none once it closed.
#[must_use]
pub fn draft_reminder(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Reminder> {
    let left = at - now;
    if left <= Duration::zero() {
        return None;
    }
    let day = Duration::days(1).num_seconds();
    let days_left = (left.num_seconds() + day - 1) / day;
    nearest(&ROUND_CLOSING_DAYS, days_left).map(|before| Reminder::RoundClosing {
        at,
        days_left,
        before,
    })
}

/// The smallest of `thresholds` (latest first) that `days` is within.
fn nearest(thresholds: &[i64], days: i64) -> Option<i64> {
    thresholds.iter().rev().copied().find(|&n| days <= n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn an_offer_is_reminded_once_it_has_waited_fourteen_days() {
        let offered = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(
            offer_reminder(offered, offered + Duration::days(14) - Duration::seconds(1)),
            None
        );
        let due = offer_reminder(offered, offered + Duration::days(14)).unwrap();
        assert_eq!(due.occasion(), "offer-14");
        assert_eq!(
            offer_reminder(offered, offered + Duration::days(40))
                .unwrap()
                .occasion(),
            "offer-14"
        );
    }

    #[test]
    fn a_return_is_reminded_at_30_7_and_1_days_then_weekly() {
        let on = date(2027, 3, 31);
        let occasion = |today| return_reminder(on, today).map(|r| r.occasion());
        assert_eq!(occasion(date(2027, 2, 28)), None);
        assert_eq!(occasion(date(2027, 3, 1)).unwrap(), "due-30:2027-03-31");
        assert_eq!(occasion(date(2027, 3, 23)).unwrap(), "due-30:2027-03-31");
        assert_eq!(occasion(date(2027, 3, 24)).unwrap(), "due-7:2027-03-31");
        assert_eq!(occasion(date(2027, 3, 30)).unwrap(), "due-1:2027-03-31");
        assert_eq!(occasion(date(2027, 3, 31)).unwrap(), "due-1:2027-03-31");
        assert_eq!(occasion(date(2027, 4, 1)).unwrap(), "overdue-0:2027-03-31");
        assert_eq!(occasion(date(2027, 4, 7)).unwrap(), "overdue-0:2027-03-31");
        assert_eq!(occasion(date(2027, 4, 8)).unwrap(), "overdue-1:2027-03-31");
        // A new due date is a new set of occasions.
        assert_eq!(
            return_reminder(date(2027, 4, 30), date(2027, 4, 8))
                .unwrap()
                .occasion(),
            "due-30:2027-04-30"
        );
    }

    #[test]
    fn a_draft_is_reminded_seven_days_and_one_day_before_its_round_closes() {
        let at = Utc.with_ymd_and_hms(2027, 2, 16, 17, 0, 0).unwrap();
        let occasion = |now| draft_reminder(at, now).map(|r| r.occasion());
        assert_eq!(occasion(at - Duration::days(8)), None);
        assert_eq!(
            occasion(at - Duration::days(7)).unwrap(),
            "closing-7:2027-02-16T17:00Z"
        );
        assert_eq!(
            occasion(at - Duration::hours(25)).unwrap(),
            "closing-7:2027-02-16T17:00Z"
        );
        assert_eq!(
            occasion(at - Duration::hours(24)).unwrap(),
            "closing-1:2027-02-16T17:00Z"
        );
        assert_eq!(occasion(at), None);
    }

    proptest! {
        /// Looking every day from far before to far after the due date
        /// meets each occasion on consecutive days only, and meets the
        /// 30-, 7- and 1-day reminders and then one a week.
        #[test]
        fn occasions_come_in_order_and_once(offset in 0i64..400) {
            let on = date(2027, 1, 1) + Duration::days(offset);
            let mut seen: Vec<String> = Vec::new();
            let mut day = on - Duration::days(60);
            while day <= on + Duration::days(30) {
                if let Some(r) = return_reminder(on, day) {
                    let o = r.occasion();
                    if seen.last() != Some(&o) {
                        prop_assert!(!seen.contains(&o), "{o} came back");
                        seen.push(o);
                    }
                }
                day += Duration::days(1);
            }
            let first: Vec<&str> = seen.iter().take(3).map(|s| s.split(':').next().unwrap()).collect();
            prop_assert_eq!(first, ["due-30", "due-7", "due-1"]);
            prop_assert_eq!(seen.len(), 3 + 5);
        }
    }
}
