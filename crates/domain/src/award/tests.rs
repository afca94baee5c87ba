use super::*;
use crate::money::MoneyDelta;
use crate::reference::FundCode;
use crate::testing::{grantee, m, round};

pub(crate) fn offered(amount: &str) -> Award {
    let (r, g) = (round(), grantee());
    let app = Application::draft(ApplicationId::new(), r.id, g.id, m(amount), "t", "s").unwrap();
    let reference = AwardReference::new(FundCode::parse("LCF").unwrap(), 1, 7).unwrap();
    let award = Award::offer(AwardId::new(), reference, &app, &r, m(amount));
    assert_eq!(
        (award.round_id, award.fund_id, award.grantee_id),
        (r.id, r.fund_id, g.id)
    );
    award
}

#[test]
fn lifecycle_with_payments() {
    let a = offered("1000").accept().unwrap();
    assert!(matches!(a.complete(), Err(AwardError::NotFullyPaid { .. })));
    let a = a.record_payment(m("400")).unwrap();
    assert_eq!(a.outstanding(), m("600"));
    assert_eq!(
        a.record_payment(m("600.01")),
        Err(AwardError::PaymentExceedsOutstanding {
            amount: m("600.01"),
            outstanding: m("600")
        })
    );
    assert_eq!(a.record_payment(Money::ZERO), Err(AwardError::ZeroAmount));
    let a = a.record_payment(m("600")).unwrap();
    let done = a.complete().unwrap();
    assert_eq!(done.status, AwardStatus::Completed);
    assert_eq!(done.committed(), m("1000"));
    assert!(matches!(
        done.record_payment(m("1")),
        Err(AwardError::Transition(_))
    ));
    assert_eq!(
        offered("1")
            .accept()
            .unwrap()
            .complete()
            .unwrap_err()
            .to_string(),
        "the award cannot be completed until it is fully paid: 0.00 of 1.00 paid"
    );
}

#[test]
fn cannot_pay_an_offer() {
    let err = offered("1000").record_payment(m("1")).unwrap_err();
    assert_eq!(err.to_string(), "cannot pay an award that is offered");
}

#[test]
fn decline_and_cancel_release_the_unpaid_amount() {
    let (declined, released) = offered("1000").decline().unwrap();
    assert_eq!(
        (declined.status, released, declined.committed()),
        (AwardStatus::Declined, m("1000"), Money::ZERO)
    );
    let part_paid = offered("1000")
        .accept()
        .unwrap()
        .record_payment(m("250"))
        .unwrap();
    let (cancelled, released) = part_paid.cancel().unwrap();
    assert_eq!(
        (cancelled.status, released, cancelled.committed()),
        (AwardStatus::Cancelled, m("750"), m("250"))
    );
    // Nothing is owed on a cancelled award: the unpaid part went back.
    assert_eq!(
        (part_paid.outstanding(), cancelled.outstanding()),
        (m("750"), Money::ZERO)
    );
    assert_eq!(declined.outstanding(), Money::ZERO);
    assert_eq!(
        cancelled.cancel().unwrap_err().to_string(),
        "cannot cancel an award that is cancelled"
    );
    assert!(part_paid.decline().is_err());
}

#[test]
fn variations() {
    let a = offered("1000")
        .accept()
        .unwrap()
        .record_payment(m("300"))
        .unwrap();
    let (up, delta) = a.vary(m("1200"), "More sessions").unwrap();
    assert_eq!(
        (up.amount, delta),
        (m("1200"), MoneyDelta::from_pence(20_000).unwrap())
    );
    let (down, delta) = a.vary(m("300"), "Project ended early").unwrap();
    assert_eq!(
        (down.amount, delta.to_string().as_str()),
        (m("300"), "-700.00")
    );
    assert_eq!(
        a.vary(m("299.99"), "x"),
        Err(VariationError::BelowPaid {
            new_amount: m("299.99"),
            paid: m("300")
        })
    );
    assert_eq!(
        a.vary(m("299.99"), "x").unwrap_err().to_string(),
        "the new amount 299.99 is less than the 300.00 already paid"
    );
    assert_eq!(
        a.vary(m("1000"), "x"),
        Err(VariationError::Unchanged { amount: m("1000") })
    );
    assert_eq!(
        a.vary(m("900"), "  ").unwrap_err().to_string(),
        "variation reason must not be empty"
    );
    assert_eq!(
        offered("1000").vary(Money::ZERO, "x"),
        Err(VariationError::Zero)
    );
    let (declined, _) = offered("1000").decline().unwrap();
    assert_eq!(
        declined.vary(m("900"), "x").unwrap_err().to_string(),
        "cannot vary an award that is declined"
    );
    let done = offered("1")
        .accept()
        .unwrap()
        .record_payment(m("1"))
        .unwrap()
        .complete()
        .unwrap();
    assert!(matches!(
        done.vary(m("2"), "x"),
        Err(VariationError::Transition(_))
    ));
}

#[test]
fn recovery_shrinks_the_award() {
    let a = offered("1000")
        .accept()
        .unwrap()
        .record_payment(m("400"))
        .unwrap();
    let r = a.record_recovery(m("100")).unwrap();
    assert_eq!(
        (r.amount, r.paid, r.outstanding()),
        (m("900"), m("300"), m("600"))
    );
    assert_eq!(
        a.record_recovery(m("400.01")),
        Err(AwardError::RecoveryExceedsPaid {
            amount: m("400.01"),
            paid: m("400")
        })
    );
    assert_eq!(a.record_recovery(Money::ZERO), Err(AwardError::ZeroAmount));
}

#[test]
fn returns_are_taken_on_live_awards_and_on_cancelled_ones_that_paid() {
    use crate::evaluation::award_takes_returns;
    let taken: Vec<_> = AwardStatus::ALL
        .into_iter()
        .filter(|s| award_takes_returns(*s, Money::ZERO))
        .collect();
    assert_eq!(taken, [AwardStatus::Accepted, AwardStatus::Completed]);
    assert!(award_takes_returns(AwardStatus::Cancelled, m("0.01")));
    assert!(!award_takes_returns(AwardStatus::Declined, m("0.01")));
}

#[test]
fn a_return_is_due_on_or_after_the_award_day() {
    use chrono::{NaiveDate, TimeZone, Utc};
    let made = Utc.with_ymd_and_hms(2026, 3, 2, 0, 30, 0).unwrap();
    let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    assert_eq!(return_due_on(made, day(2)), Ok(day(2)));
    assert_eq!(
        return_due_on(made, day(1)).unwrap_err().to_string(),
        "the return cannot be due on 2026-03-01, before the award was made on 2026-03-02"
    );
}

#[test]
fn a_variation_stays_in_the_round_range_unless_overridden() {
    use crate::round::GrantRange;
    let range = GrantRange::new(m("300"), m("2500")).unwrap();
    let a = offered("1000").accept().unwrap();
    assert!(a.vary_in_range(range, m("2500"), "More", None).is_ok());
    let err = a.vary_in_range(range, m("3000"), "More", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the new amount 3000.00 is outside this round's grant range of 300.00 to 2500.00; an administrator may go outside it only with a range_override giving the reason"
    );
    assert!(matches!(
        a.vary_in_range(range, m("299.99"), "Less", None),
        Err(VariationError::OutsideRange { .. })
    ));
    let why = RangeOverride::parse(" Match funding from the council ").unwrap();
    assert_eq!(why.reason(), "Match funding from the council");
    let (varied, _) = a
        .vary_in_range(range, m("3000"), "More", Some(&why))
        .unwrap();
    assert_eq!(varied.amount, m("3000"));
    assert!(matches!(
        a.vary_in_range(range, m("2000"), "More", Some(&why)),
        Err(VariationError::OverrideNotNeeded { .. })
    ));
    assert!(RangeOverride::parse("  ").is_err());
    // The award's own rules still come first.
    assert!(matches!(
        a.vary_in_range(range, Money::ZERO, "None", Some(&why)),
        Err(VariationError::Zero)
    ));
}
