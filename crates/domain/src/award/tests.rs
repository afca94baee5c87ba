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
