use super::*;
use crate::ids::{AwardId, FundId, RoundId};
use crate::money::{Money, MoneyDelta};
use crate::testing::m;
use proptest::prelude::*;

#[test]
fn account_keys() {
    let (f, r, a) = (FundId::new(), RoundId::new(), AwardId::new());
    for account in [
        Account::Funders,
        Account::FundUnallocated(f),
        Account::RoundAvailable(r),
        Account::AwardPayable(a),
        Account::Grantees,
    ] {
        assert_eq!(Account::from_key(&account.key()).unwrap(), account);
        let json = serde_json::to_string(&account).unwrap();
        assert_eq!(serde_json::from_str::<Account>(&json).unwrap(), account);
    }
    assert_eq!(Account::Funders.key(), "funders");
    assert_eq!(
        Account::RoundAvailable(r).key(),
        format!("round:{r}:available")
    );
    assert_eq!(Account::AwardPayable(a).key(), format!("award:{a}:payable"));
    let upper = format!("fund:{}:unallocated", f.to_string().to_uppercase());
    for bad in [
        "",
        "funder",
        "fund::unallocated",
        "fund:x:unallocated",
        upper.as_str(),
        &format!("fund:{f}:available"),
        &format!("fund:{f}:unallocated:x"),
    ] {
        assert!(Account::from_key(bad).is_err(), "{bad}");
    }
    assert!(Account::Grantees.is_external() && !Account::RoundAvailable(r).is_external());
}

#[test]
fn constructors_follow_the_table() {
    let (f, r, a) = (FundId::new(), RoundId::new(), AwardId::new());
    use Account::*;
    use TransferKind as K;
    let cases = [
        (
            Transfer::budget_recorded(f, m("1")).unwrap(),
            Funders,
            FundUnallocated(f),
            K::BudgetRecorded,
        ),
        (
            Transfer::round_allocation(f, r, m("1")).unwrap(),
            FundUnallocated(f),
            RoundAvailable(r),
            K::RoundAllocation,
        ),
        (
            Transfer::allocation_adjusted(f, r, MoneyDelta::parse("1").unwrap()).unwrap(),
            FundUnallocated(f),
            RoundAvailable(r),
            K::AllocationAdjusted,
        ),
        (
            Transfer::allocation_adjusted(f, r, MoneyDelta::parse("-1").unwrap()).unwrap(),
            RoundAvailable(r),
            FundUnallocated(f),
            K::AllocationAdjusted,
        ),
        (
            Transfer::award_committed(r, a, m("1")).unwrap(),
            RoundAvailable(r),
            AwardPayable(a),
            K::AwardCommitted,
        ),
        (
            Transfer::variation(r, a, MoneyDelta::parse("1").unwrap()).unwrap(),
            RoundAvailable(r),
            AwardPayable(a),
            K::VariationUp,
        ),
        (
            Transfer::variation(r, a, MoneyDelta::parse("-1").unwrap()).unwrap(),
            AwardPayable(a),
            RoundAvailable(r),
            K::VariationDown,
        ),
        (
            Transfer::award_released(r, a, m("1")).unwrap(),
            AwardPayable(a),
            RoundAvailable(r),
            K::AwardReleased,
        ),
        (
            Transfer::disbursement_paid(a, m("1")).unwrap(),
            AwardPayable(a),
            Grantees,
            K::DisbursementPaid,
        ),
        (
            Transfer::recovery(r, m("1")).unwrap(),
            Grantees,
            RoundAvailable(r),
            K::Recovery,
        ),
        (
            Transfer::payment_returned(a, m("1")).unwrap(),
            Grantees,
            AwardPayable(a),
            K::PaymentReturned,
        ),
        (
            Transfer::budget_adjusted(f, MoneyDelta::parse("1").unwrap()).unwrap(),
            Funders,
            FundUnallocated(f),
            K::BudgetAdjusted,
        ),
        (
            Transfer::budget_adjusted(f, MoneyDelta::parse("-1").unwrap()).unwrap(),
            FundUnallocated(f),
            Funders,
            K::BudgetAdjusted,
        ),
    ];
    for (t, debit, credit, kind) in cases {
        assert_eq!(
            (t.debit(), t.credit(), t.amount(), t.kind()),
            (debit, credit, m("1"), kind)
        );
        assert_eq!(
            Transfer::from_parts(debit, credit, m("1"), kind).unwrap(),
            t
        );
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Transfer>(&json).unwrap(), t);
        assert!(
            matches!(
                Transfer::from_parts(credit, debit, m("1"), kind),
                Err(LedgerError::WrongAccounts { .. })
            ) || matches!(kind, K::BudgetAdjusted | K::AllocationAdjusted)
        );
    }
    assert_eq!(
        Transfer::budget_recorded(f, Money::ZERO),
        Err(LedgerError::ZeroAmount)
    );
    assert_eq!(
        Transfer::variation(r, a, MoneyDelta::ZERO),
        Err(LedgerError::ZeroAmount)
    );
    let err = Transfer::from_parts(Funders, Grantees, m("1"), K::Recovery).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a recovery transfer cannot move money from funders to grantees"
    );
}

#[test]
fn internal_accounts_never_go_negative() {
    let (f, r, a) = (FundId::new(), RoundId::new(), AwardId::new());
    let mut b = Balances::new();
    b.apply(&Transfer::budget_recorded(f, m("100")).unwrap())
        .unwrap();
    b.apply(&Transfer::round_allocation(f, r, m("60")).unwrap())
        .unwrap();
    let before = b.clone();
    let err = b
        .apply(&Transfer::round_allocation(f, r, m("40.01")).unwrap())
        .unwrap_err();
    assert_eq!(
        err,
        LedgerError::InsufficientFunds {
            account: Account::FundUnallocated(f),
            balance: m("40"),
            requested: m("40.01")
        }
    );
    assert_eq!(
        err.to_string(),
        "not enough money: the fund's unallocated budget holds 40.00, but 40.01 is needed"
    );
    assert_eq!(b, before);
    b.apply(&Transfer::award_committed(r, a, m("60")).unwrap())
        .unwrap();
    assert!(
        b.apply(&Transfer::award_committed(r, AwardId::new(), m("0.01")).unwrap())
            .is_err()
    );
    b.apply(&Transfer::disbursement_paid(a, m("60")).unwrap())
        .unwrap();
    b.apply(&Transfer::recovery(r, m("10")).unwrap()).unwrap();
    assert_eq!(b.balance(&Account::Funders), -10_000);
    assert_eq!(b.balance(&Account::Grantees), 5_000);
    assert_eq!(b.balance(&Account::RoundAvailable(r)), 1_000);
    assert_eq!(b.total(), 0);
    assert!(b.is_consistent());
    assert_eq!(b.iter().count(), 5);
}

#[derive(Debug, Clone)]
enum Op {
    Budget(usize, i64),
    Allocate(usize, usize, i64),
    Commit(usize, usize, i64),
    Vary(usize, usize, i64),
    Release(usize, usize, i64),
    Pay(usize, i64),
    Recover(usize, i64),
}

fn op() -> impl Strategy<Value = Op> {
    let amt = 1i64..=1_000_000;
    prop_oneof![
        (0..2usize, amt.clone()).prop_map(|(f, p)| Op::Budget(f, p)),
        (0..2usize, 0..3usize, amt.clone()).prop_map(|(f, r, p)| Op::Allocate(f, r, p)),
        (0..3usize, 0..4usize, amt.clone()).prop_map(|(r, a, p)| Op::Commit(r, a, p)),
        (0..3usize, 0..4usize, -1_000_000i64..=1_000_000).prop_map(|(r, a, p)| Op::Vary(r, a, p)),
        (0..3usize, 0..4usize, amt.clone()).prop_map(|(r, a, p)| Op::Release(r, a, p)),
        (0..4usize, amt.clone()).prop_map(|(a, p)| Op::Pay(a, p)),
        (0..3usize, amt).prop_map(|(r, p)| Op::Recover(r, p)),
    ]
}

proptest! {
    #[test]
    fn any_sequence_keeps_the_books_balanced(ops in proptest::collection::vec(op(), 0..200)) {
        let funds = [FundId::new(), FundId::new()];
        let rounds = [RoundId::new(), RoundId::new(), RoundId::new()];
        let awards = [AwardId::new(), AwardId::new(), AwardId::new(), AwardId::new()];
        let mut b = Balances::new();
        for op in ops {
            let money = |p: i64| Money::from_pence(p).unwrap();
            let t = match op {
                Op::Budget(f, p) => Transfer::budget_recorded(funds[f], money(p)),
                Op::Allocate(f, r, p) => Transfer::round_allocation(funds[f], rounds[r], money(p)),
                Op::Commit(r, a, p) => Transfer::award_committed(rounds[r], awards[a], money(p)),
                Op::Vary(r, a, p) => Transfer::variation(rounds[r], awards[a], MoneyDelta::from_pence(p).unwrap()),
                Op::Release(r, a, p) => Transfer::award_released(rounds[r], awards[a], money(p)),
                Op::Pay(a, p) => Transfer::disbursement_paid(awards[a], money(p)),
                Op::Recover(r, p) => Transfer::recovery(rounds[r], money(p)),
            };
            let Ok(t) = t else { continue };
            let before = b.clone();
            match b.apply(&t) {
                Ok(()) => {}
                Err(LedgerError::InsufficientFunds { account, balance, requested }) => {
                    prop_assert_eq!(&b, &before);
                    prop_assert!(!account.is_external());
                    prop_assert!(requested > balance);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
            prop_assert_eq!(b.total(), 0);
            prop_assert!(b.is_consistent());
        }
    }
}
