use super::*;

fn figures() -> Figures {
    let (fund, round) = (FundId::new(), RoundId::new());
    let unallocated = Account::FundUnallocated(fund).key();
    let available = Account::RoundAvailable(round).key();
    let group = |kind: &str, debit: &str, credit: &str, amount: i64| TransferGroup {
        kind: kind.into(),
        debit: debit.into(),
        credit: credit.into(),
        count: 1,
        amount,
    };
    // Budget 1000, round 600, award 100 committed, 40 paid, 10 recovered
    // (award now 90, paid 30), another award 50 cancelled unpaid.
    Figures {
        fund_id: fund,
        fund_code: "LCF".into(),
        fund_name: "Local Connections Fund".into(),
        as_of: None,
        budget: 100_000,
        rounds: vec![RoundFigures {
            id: round,
            number: 1,
            name: "Round 1".into(),
            allocation: 60_000,
            awards: 2,
            committed: 9_000,
            paid: 3_000,
            paid_disbursements: 3_000,
            designated_funder: None,
        }],
        transfers: vec![
            group("budget_recorded", "funders", &unallocated, 100_000),
            group("round_allocation", &unallocated, &available, 60_000),
            group("award_committed", &available, AWARD_ACCOUNTS, 15_000),
            group("award_released", AWARD_ACCOUNTS, &available, 5_000),
            group("disbursement_paid", AWARD_ACCOUNTS, "grantees", 4_000),
            group("recovery", "grantees", &available, 1_000),
        ],
        stored: Some(StoredBalances {
            accounts: vec![(unallocated, 40_000), (available, 51_000)],
        }),
        award_accounts: AwardAccounts {
            accounts: 2,
            expected: 6_000,
            ledger: 6_000,
            stored: Some(6_000),
            mismatched: 0,
            examples: vec![],
        },
        payment_runs: Some(PaymentRunFigures {
            runs: 1,
            recorded: 4_000,
            paid: 4_000,
            mismatched: 0,
        }),
        by_region: vec![],
        by_grantee: vec![],
        funders: vec![
            FunderFigures {
                name: "DCMS".into(),
                org_id: Some("GB-GOR-D5".into()),
                contribution: 60_000,
            },
            FunderFigures {
                name: "Partner".into(),
                org_id: None,
                contribution: 40_000,
            },
        ],
    }
}

#[test]
fn a_confirmed_run_that_did_not_pay_its_total_is_caught() {
    let mut f = figures();
    f.payment_runs = Some(PaymentRunFigures {
        runs: 1,
        recorded: 4_500,
        paid: 4_000,
        mismatched: 1,
    });
    let r = reconcile(f);
    assert_eq!(
        failed(&r),
        [
            ("payment_runs".to_owned(), "fund".to_owned()),
            ("payment_runs_mismatched".to_owned(), "fund".to_owned())
        ]
    );
    let mut f = figures();
    f.payment_runs = None;
    let r = reconcile(f);
    assert!(r.passed);
    assert!(!r.checks.iter().any(|c| c.check.starts_with("payment_runs")));
}

fn failed(r: &Reconciliation) -> Vec<(String, String)> {
    r.failures()
        .map(|c| (c.check.clone(), c.scope.clone()))
        .collect()
}

#[test]
fn consistent_figures_pass() {
    let r = reconcile(figures());
    assert!(r.passed, "{:#?}", failed(&r));
    assert_eq!(r.outstanding.to_string(), "60.00");
    assert_eq!(r.by_round[0].available.to_string(), "510.00");
    assert!(r.checks.len() >= 12);
}

#[test]
fn an_award_amount_changed_in_the_table_is_caught() {
    let mut f = figures();
    f.rounds[0].committed += 100;
    let r = reconcile(f);
    let failed = failed(&r);
    assert!(
        failed.contains(&("round_committed".into(), "round 1".into())),
        "{failed:?}"
    );
    assert!(failed.contains(&("round_allocation".into(), "round 1".into())));
}

#[test]
fn a_forged_transfer_is_caught() {
    let mut f = figures();
    f.transfers.push(TransferGroup {
        kind: "disbursement_paid".into(),
        debit: Account::RoundAvailable(f.rounds[0].id).key(),
        credit: "grantees".into(),
        count: 1,
        amount: 500,
    });
    let r = reconcile(f);
    let failed = failed(&r);
    assert!(
        failed.contains(&("transfer_kinds".into(), "fund".into())),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|(c, _)| c == "stored_balance"),
        "{failed:?}"
    );
}

#[test]
fn a_changed_stored_balance_is_caught() {
    let mut f = figures();
    if let Some(s) = f.stored.as_mut() {
        s.accounts[1].1 += 1;
    }
    let r = reconcile(f);
    let failed = failed(&r);
    assert!(failed.iter().any(|(c, _)| c == "stored_balance"));
    assert!(failed.iter().any(|(c, _)| c == "zero_sum"));
}

#[test]
fn csv_rows_have_the_header_width() {
    let r = reconcile(figures());
    let rows: Vec<_> = r.csv_rows().collect();
    assert_eq!(
        rows.len(),
        r.checks.len() + r.by_round.len() + r.by_funder.len()
    );
    assert_eq!(rows[0][0], "check");
}

#[test]
fn pence_show_sign_and_two_decimals() {
    assert_eq!(Pence(-1250).to_string(), "-12.50");
    assert_eq!(Pence(5).to_string(), "0.05");
    assert_eq!(Pence(0).to_string(), "0.00");
}

#[test]
fn each_funder_sees_its_pro_rata_share() {
    let report = reconcile(figures());
    assert!(
        report.passed,
        "{:#?}",
        report.failures().collect::<Vec<_>>()
    );
    let shares: Vec<(&str, String, String, String, String)> = report
        .by_funder
        .iter()
        .map(|f| {
            (
                f.share_percent.as_str(),
                f.allocated.to_string(),
                f.committed.to_string(),
                f.paid.to_string(),
                f.unallocated.to_string(),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            (
                "60.00",
                "360.00".into(),
                "54.00".into(),
                "18.00".into(),
                "240.00".into()
            ),
            (
                "40.00",
                "240.00".into(),
                "36.00".into(),
                "12.00".into(),
                "160.00".into()
            ),
        ]
    );
    // Contributions that do not add up to the budget fail a check.
    let mut f = figures();
    f.funders[1].contribution = 1;
    assert!(!reconcile(f).passed);
    let rows: Vec<[String; 12]> = report.csv_rows().collect();
    let funder_rows: Vec<_> = rows.iter().filter(|r| r[0] == "funder").collect();
    assert_eq!(funder_rows.len(), 2);
    assert!(
        funder_rows[0][3].starts_with("GB-GOR-D5: contributed 600.00 (60.00%"),
        "{:?}",
        funder_rows[0]
    );
}

proptest::proptest! {
    #[test]
    fn pro_rata_parts_sum_to_the_total_and_stay_within_a_penny(
        total in 0_i64..10_000_000_000,
        weights in proptest::collection::vec(0_i64..1_000_000_000, 1..6),
    ) {
        let parts = pro_rata(total, &weights);
        let sum: i64 = weights.iter().sum();
        if sum == 0 {
            proptest::prop_assert!(parts.iter().all(|p| *p == 0));
        } else {
            proptest::prop_assert_eq!(parts.iter().sum::<i64>(), total);
            for (part, w) in parts.iter().zip(&weights) {
                let exact = i128::from(total) * i128::from(*w);
                let floor = exact / i128::from(sum);
                proptest::prop_assert!(i128::from(*part) == floor || i128::from(*part) == floor + 1);
            }
        }
    }
}

/// As of a past instant the account rows are not compared (they hold
/// today's balances); now they are. Only the first twenty disagreeing
/// accounts are named, in the order given, but all are counted.
#[test]
fn award_accounts_compare_rows_only_now_and_name_the_first_twenty() {
    let row_differs = AccountBalances {
        expected: 100,
        ledger: 100,
        stored: 90,
    };
    let past = AwardAccounts::compare([("award:a:payable".to_owned(), row_differs)], false);
    assert_eq!((past.mismatched, past.stored), (0, None));
    let now = AwardAccounts::compare([("award:a:payable".to_owned(), row_differs)], true);
    assert_eq!((now.mismatched, now.stored), (1, Some(90)));
    assert_eq!(now.examples[0].stored, Some(Pence(90)));

    let edited = AccountBalances {
        expected: 1,
        ledger: 0,
        stored: 0,
    };
    let many = (0..25).map(|i| (format!("award:{i:02}:payable"), edited));
    let r = AwardAccounts::compare(many, true);
    assert_eq!((r.accounts, r.mismatched), (25, 25));
    assert_eq!(r.examples.len(), AwardAccounts::EXAMPLES);
    assert_eq!(r.examples[0].account, "award:00:payable");
    assert_eq!(r.examples[19].account, "award:19:payable");
}
