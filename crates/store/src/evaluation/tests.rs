//! Evaluation store tests, on both backends.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use grantledger_domain::Money;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::evaluation::{
    DirectAnswer, ParticipantCode, ReturnContent, ReviewDecision, ReviewStatus, Stage,
    SurveyResponse,
};
use grantledger_domain::fund::{Fund, FundName, Funder};
use grantledger_domain::grantee::{
    DueDiligence, Grantee, LocalAuthority, OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{AwardId, FundId, GranteeId, RoundId};
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};

use super::fixture;
use crate::common::{Actor, PageRequest};
use crate::error::StoreError;
use crate::testing::TestDb;
use crate::{evaluation, funds, grantees, rounds};

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn actor() -> Actor {
    Actor::system("test")
}

struct Setup {
    fund: FundId,
    round: RoundId,
}

fn setup(db: &TestDb, code: &str) -> Setup {
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse(code).unwrap(),
        FundName::parse("Building Connections Fund").unwrap(),
        None,
        vec![Funder {
            name: OrganisationName::parse("DCMS").unwrap(),
            org_id: None,
            contribution: m("1000000.00"),
        }],
    )
    .unwrap();
    let opens = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let round = Round::new(
        RoundId::new(),
        fund.id,
        1,
        "Round 1",
        RoundWindow::new(opens, opens + Duration::days(42)).unwrap(),
        m("500000.00"),
        GrantRange::new(m("500.00"), m("2500.00")).unwrap(),
        Eligibility::default(),
    )
    .unwrap();
    db.db
        .write(|c| {
            funds::create(c, &fund, &actor(), Utc::now())?;
            rounds::create(c, &round, &actor(), Utc::now())
        })
        .unwrap();
    Setup {
        fund: fund.id,
        round: round.id,
    }
}

fn grantee(db: &TestDb, region: Region) -> GranteeId {
    let g = Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse("Tuesday Lunch Club").unwrap(),
        org_id: None,
        organisation_type: OrganisationType::CommunityGroup,
        region,
        local_authority: LocalAuthority::parse("Gateshead").unwrap(),
        postcode: Postcode::parse("NE8 1HE").unwrap(),
        annual_income: m("12000.00"),
        due_diligence: DueDiligence::pending(),
    };
    db.db
        .write(|c| grantees::create(c, &g, &actor(), Utc::now()))
        .unwrap();
    g.id
}

fn award(db: &TestDb, s: &Setup, grantee: GranteeId, status: AwardStatus) -> AwardId {
    db.db
        .write(|c| fixture::award(c, s.fund, s.round, grantee, status))
        .unwrap()
}

fn content(participants: u32, codes: &[&str]) -> ReturnContent {
    let mut responses = Vec::new();
    for c in codes {
        for stage in Stage::ALL {
            responses.push(SurveyResponse {
                stage,
                participant_code: Some(ParticipantCode::parse(c).unwrap()),
                direct: Some(if stage == Stage::Baseline {
                    DirectAnswer::OftenAlways
                } else {
                    DirectAnswer::Occasionally
                }),
                lack_companionship: None,
                left_out: None,
                isolated: None,
            });
        }
    }
    ReturnContent {
        period_start: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
        participants_reached: participants,
        volunteers: 4,
        sessions_delivered: 24,
        narrative: "Weekly lunches and a walking group.".into(),
        case_study: Some("M. came every week.".into()),
        responses,
    }
}

fn submit(
    db: &TestDb,
    award: AwardId,
    c: &ReturnContent,
) -> Result<
    (
        crate::common::Record<grantledger_domain::evaluation::EvaluationReturn>,
        evaluation::ReturnVersion,
    ),
    StoreError,
> {
    db.db.write(|conn| {
        let ctx = evaluation::award_context(conn, award)?;
        evaluation::submit(conn, &ctx, c, &actor(), Utc::now())
    })
}

fn review(
    db: &TestDb,
    id: grantledger_domain::ids::EvaluationReturnId,
    decision: ReviewDecision,
    comment: Option<&str>,
) -> Result<ReviewStatus, StoreError> {
    db.db.write(|c| {
        let before = evaluation::get(c, id)?;
        evaluation::review(c, &before, decision, comment, &actor(), Utc::now())
            .map(|r| r.value.status)
    })
}

fn returns_are_versioned_and_reviewed(db: &TestDb) {
    let s = setup(db, "BCF");
    let g = grantee(db, Region::NorthEast);
    let a = award(db, &s, g, AwardStatus::Accepted);
    let v1 = content(10, &["A", "B"]);
    let (first, version) = submit(db, a, &v1).unwrap();
    assert_eq!(
        (
            first.value.status,
            first.value.latest_version,
            first.version
        ),
        (ReviewStatus::Submitted, 1, 1)
    );
    assert_eq!(version.content, v1);
    assert_eq!(version.number, 1);
    // Amending before review is a new version; the first is kept.
    let v2 = content(12, &["A", "B", "C"]);
    let (second, _) = submit(db, a, &v2).unwrap();
    assert_eq!(second.value.id, first.value.id);
    assert_eq!(second.value.latest_version, 2);
    assert_eq!(
        review(
            db,
            first.value.id,
            ReviewDecision::RequestChanges,
            Some("Please add the follow-up surveys")
        )
        .unwrap(),
        ReviewStatus::ChangesRequested
    );
    // Not twice.
    assert!(matches!(
        review(db, first.value.id, ReviewDecision::Accept, None),
        Err(StoreError::Conflict(_))
    ));
    let (third, _) = submit(db, a, &content(12, &["A"])).unwrap();
    assert_eq!(
        (third.value.status, third.value.latest_version),
        (ReviewStatus::Submitted, 3)
    );
    assert_eq!(
        review(db, first.value.id, ReviewDecision::Accept, None).unwrap(),
        ReviewStatus::Accepted
    );
    match submit(db, a, &v1) {
        Err(StoreError::Conflict(msg)) => {
            assert_eq!(msg, "cannot resubmit an evaluation return that is accepted")
        }
        other => panic!("{other:?}"),
    }
    let all = db
        .db
        .read(|c| evaluation::versions(c, first.value.id))
        .unwrap();
    assert_eq!(all.iter().map(|v| v.number).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all.first().unwrap().content, v1);
    assert_eq!(all.get(1).unwrap().content, v2);
    let reviews = db
        .db
        .read(|c| evaluation::reviews(c, first.value.id))
        .unwrap();
    assert_eq!(
        reviews
            .iter()
            .map(|r| (r.version_number, r.decision))
            .collect::<Vec<_>>(),
        [
            (2, ReviewDecision::RequestChanges),
            (3, ReviewDecision::Accept)
        ]
    );
    assert_eq!(
        reviews.first().unwrap().comment.as_deref(),
        Some("Please add the follow-up surveys")
    );
    // Versions and reviews cannot be changed or removed.
    for statement in [
        "UPDATE evaluation_return_versions SET participants_reached = 1",
        "DELETE FROM evaluation_return_versions",
        "UPDATE evaluation_reviews SET comment = 'edited'",
        "DELETE FROM evaluation_reviews",
    ] {
        let result = db
            .db
            .read(|c| c.batch_execute(statement).map_err(StoreError::from));
        assert!(
            format!("{result:?}").contains("append-only"),
            "{statement}: {result:?}"
        );
    }
    // Every change was audited: 3 submissions and 2 reviews.
    let events: i64 = db
        .db
        .read(|c| {
            use crate::schema::audit_events;
            use diesel::prelude::*;
            audit_events::table
                .filter(audit_events::entity_type.eq("evaluation_return"))
                .count()
                .get_result(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert_eq!(events, 5);
}

fn only_accepted_or_completed_awards_take_returns(db: &TestDb) {
    let s = setup(db, "BCF");
    let g = grantee(db, Region::London);
    for status in [
        AwardStatus::Offered,
        AwardStatus::Declined,
        AwardStatus::Cancelled,
    ] {
        let a = award(db, &s, g, status);
        match submit(db, a, &content(5, &[])) {
            Err(StoreError::Conflict(msg)) => assert!(msg.contains(status.as_str()), "{msg}"),
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(db.db.read(|c| evaluation::for_award(c, a)).unwrap(), None);
    }
    let completed = award(db, &s, g, AwardStatus::Completed);
    assert!(submit(db, completed, &content(5, &[])).is_ok());
    assert!(matches!(
        db.db.read(|c| evaluation::award_context(c, AwardId::new())),
        Err(StoreError::NotFound { entity: "award" })
    ));
}

fn overdue_lists_awards_owing_a_return(db: &TestDb) {
    let s = setup(db, "BCF");
    let g = grantee(db, Region::Wales);
    let today = NaiveDate::from_ymd_opt(2027, 1, 10).unwrap();
    let past = NaiveDate::from_ymd_opt(2027, 1, 9).unwrap();
    let set_due = |a: AwardId, due: NaiveDate| {
        db.db
            .write(|c| {
                let ctx = evaluation::award_context(c, a)?;
                evaluation::set_return_due_date(c, &ctx, Some(due), &actor(), Utc::now())
            })
            .unwrap()
    };
    let nothing = award(db, &s, g, AwardStatus::Accepted);
    let ctx = set_due(nothing, past);
    assert_eq!((ctx.return_due_on, ctx.version), (Some(past), 2));
    let submitted = award(db, &s, g, AwardStatus::Accepted);
    set_due(submitted, past);
    submit(db, submitted, &content(3, &[])).unwrap();
    let sent_back = award(db, &s, g, AwardStatus::Completed);
    set_due(sent_back, past);
    let (r, _) = submit(db, sent_back, &content(3, &[])).unwrap();
    review(
        db,
        r.value.id,
        ReviewDecision::RequestChanges,
        Some("Numbers please"),
    )
    .unwrap();
    let due_today = award(db, &s, g, AwardStatus::Accepted);
    set_due(due_today, today);
    let offered = award(db, &s, g, AwardStatus::Offered);
    set_due(offered, past);
    let no_date = award(db, &s, g, AwardStatus::Accepted);
    let _ = no_date;
    // A stale award version is refused.
    let stale = db.db.write(|c| {
        let mut ctx = evaluation::award_context(c, nothing)?;
        ctx.version -= 1;
        evaluation::set_return_due_date(c, &ctx, None, &actor(), Utc::now())
    });
    assert!(
        matches!(stale, Err(StoreError::StaleVersion { .. })),
        "{stale:?}"
    );

    let page = db
        .db
        .read(|c| evaluation::overdue(c, today, None, PageRequest::default()))
        .unwrap();
    let got: Vec<_> = page
        .items
        .iter()
        .map(|o| (o.award.id, o.return_status))
        .collect();
    assert_eq!(
        got,
        [
            (nothing, None),
            (sent_back, Some(ReviewStatus::ChangesRequested))
        ]
    );
    let first = db
        .db
        .read(|c| evaluation::overdue(c, today, Some(s.fund), PageRequest::new(Some(1), None)))
        .unwrap();
    assert_eq!(first.items.len(), 1);
    let second = db
        .db
        .read(|c| {
            evaluation::overdue(
                c,
                today,
                Some(s.fund),
                PageRequest::new(Some(1), first.next),
            )
        })
        .unwrap();
    assert_eq!(second.items.first().map(|o| o.award.id), Some(sent_back));
    let other_fund = db
        .db
        .read(|c| evaluation::overdue(c, today, Some(FundId::new()), PageRequest::default()))
        .unwrap();
    assert!(other_fund.items.is_empty());
}

fn outcomes_use_the_latest_version_of_counted_returns(db: &TestDb) {
    let s = setup(db, "BCF");
    let north = grantee(db, Region::NorthEast);
    let london = grantee(db, Region::London);
    let a1 = award(db, &s, north, AwardStatus::Accepted);
    let a2 = award(db, &s, london, AwardStatus::Accepted);
    let a3 = award(db, &s, london, AwardStatus::Accepted);
    submit(db, a1, &content(50, &["A"])).unwrap();
    submit(db, a1, &content(20, &["A", "B", "C"])).unwrap(); // latest counts
    submit(db, a2, &content(7, &["X"])).unwrap();
    let (r3, _) = submit(db, a3, &content(100, &["Q"])).unwrap();
    review(
        db,
        r3.value.id,
        ReviewDecision::RequestChanges,
        Some("Check the totals"),
    )
    .unwrap();
    let builder = db.db.read(|c| evaluation::outcomes(c, s.fund)).unwrap();
    let report = builder.exact();
    assert_eq!(report.total.returns, Some(2));
    assert_eq!(report.total.participants_reached, Some(27));
    assert_eq!(report.total.respondents.paired, Some(4));
    assert_eq!(report.total.direct.baseline.often_always, Some(4));
    assert_eq!(report.by_round.len(), 1);
    assert_eq!(report.by_round.first().unwrap().round_id, s.round);
    let regions: Vec<_> = report
        .by_region
        .iter()
        .map(|r| (r.region, r.figures.returns))
        .collect();
    assert_eq!(
        regions,
        [(Region::NorthEast, Some(1)), (Region::London, Some(1))]
    );
    let empty = db
        .db
        .read(|c| evaluation::outcomes(c, FundId::new()))
        .unwrap()
        .exact();
    assert_eq!(empty.total.returns, Some(0));
}

/// A return whose participants answer every way: the direct question and
/// the UCLA items vary with `k`, some answer at one stage only.
fn varied(k: usize) -> ReturnContent {
    use grantledger_domain::evaluation::UclaAnswer;
    let ucla = [
        None,
        Some(UclaAnswer::HardlyEverOrNever),
        Some(UclaAnswer::SomeOfTheTime),
        Some(UclaAnswer::Often),
    ];
    let mut c = content(40, &[]);
    for p in 0..12 {
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            if (p + k).is_multiple_of(5) && stage == Stage::FollowUp {
                continue;
            }
            let pick = |n: usize| p * 7 + k * 3 + i * 5 + n;
            c.responses.push(SurveyResponse {
                stage,
                participant_code: Some(ParticipantCode::parse(&format!("P{p}")).unwrap()),
                direct: DirectAnswer::ALL.get(pick(0) % 6).copied(),
                lack_companionship: ucla.get(pick(1) % 4).copied().flatten(),
                left_out: ucla.get(pick(2) % 4).copied().flatten(),
                isolated: ucla.get(pick(3) % 4).copied().flatten(),
            });
        }
    }
    c
}

fn outcomes_from_stored_tallies_equal_outcomes_from_responses(db: &TestDb) {
    let s = setup(db, "BCF");
    let regions = [Region::NorthEast, Region::London, Region::Wales];
    for k in 0..9 {
        let g = grantee(db, *regions.get(k % 3).unwrap());
        let a = award(db, &s, g, AwardStatus::Accepted);
        submit(db, a, &varied(k)).unwrap();
        if k % 4 == 0 {
            submit(db, a, &varied(k + 1)).unwrap();
        }
    }
    let report = || db.db.read(|c| evaluation::outcomes(c, s.fund)).unwrap();
    let tallied = report();
    assert_eq!(tallied.exact().total.returns, Some(9));
    // Versions submitted before tallies were stored have none: remove them
    // (past the append-only triggers, as only a test may) and the report
    // must tally the responses themselves to the same figures.
    db.db
        .write(|c| {
            let sql = match c {
                crate::AnyConnection::Sqlite(_) => {
                    "DROP TRIGGER evaluation_version_tallies_no_delete;"
                }
                crate::AnyConnection::Postgresql(_) => {
                    "DROP TRIGGER evaluation_version_tallies_append_only ON evaluation_version_tallies;"
                }
            };
            c.batch_execute(sql)?;
            c.batch_execute("DELETE FROM evaluation_version_tallies;")?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let from_responses = report();
    assert_eq!(from_responses.exact(), tallied.exact());
    assert_eq!(from_responses.published(), tallied.published());
    assert_eq!(from_responses.exact().total.returns, Some(9));
}

crate::backend_tests!(
    returns_are_versioned_and_reviewed,
    only_accepted_or_completed_awards_take_returns,
    overdue_lists_awards_owing_a_return,
    outcomes_use_the_latest_version_of_counted_returns,
    outcomes_from_stored_tallies_equal_outcomes_from_responses,
);
