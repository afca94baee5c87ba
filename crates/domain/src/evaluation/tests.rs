use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::grantee::Region;
use crate::ids::RoundId;
use crate::transition::testing::check_table;

use UclaAnswer::{HardlyEverOrNever as Low, Often as High, SomeOfTheTime as Mid};

fn t3(df: f64) -> f64 {
    (t_quantile(0.975, df).unwrap() * 1000.0).round() / 1000.0
}

#[test]
fn t_quantile_matches_printed_tables() {
    for (df, expected) in [
        (1.0, 12.706),
        (2.0, 4.303),
        (3.0, 3.182),
        (5.0, 2.571),
        (10.0, 2.228),
        (20.0, 2.086),
        (30.0, 2.042),
        (60.0, 2.000),
        (120.0, 1.980),
        (1_000.0, 1.962),
        (1_001.0, 1.962),
        (1e6, 1.960),
        (1e12, 1.960),
    ] {
        assert_eq!(t3(df), expected, "df = {df}");
    }
    // One-sided 95%.
    assert!((t_quantile(0.95, 10.0).unwrap() - 1.812_461).abs() < 1e-5);
    // Exact closed forms: df = 1 is Cauchy, df = 2 has a formula.
    let p: f64 = 0.9;
    let cauchy = (core::f64::consts::PI * (p - 0.5)).tan();
    assert!((t_quantile(p, 1.0).unwrap() - cauchy).abs() < 1e-9);
    let two = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
    assert!((t_quantile(p, 2.0).unwrap() - two).abs() < 1e-9);
    // Continuity across the switch to the expansion.
    let below = t_quantile(0.975, 1_000.0).unwrap();
    let above = t_quantile(0.975, 1_000.000_1).unwrap();
    assert!((below - above).abs() < 1e-9, "{below} {above}");
}

#[test]
fn t_quantile_is_symmetric_and_refuses_nonsense() {
    assert_eq!(t_quantile(0.5, 7.0), Some(0.0));
    let hi = t_quantile(0.975, 7.0).unwrap();
    let lo = t_quantile(0.025, 7.0).unwrap();
    assert!((hi + lo).abs() < 1e-12);
    for (p, df) in [
        (0.0, 5.0),
        (1.0, 5.0),
        (0.5, 0.0),
        (0.9, -1.0),
        (f64::NAN, 3.0),
        (0.9, f64::NAN),
    ] {
        assert_eq!(t_quantile(p, df), None, "{p} {df}");
    }
    assert!((normal_quantile(0.5).unwrap()).abs() < 1e-12);
    assert!((normal_quantile(0.841_344_746).unwrap() - 1.0).abs() < 1e-6);
    assert!((normal_quantile(0.025).unwrap() + 1.959_964).abs() < 1e-6);
}

#[test]
fn moments_edge_cases() {
    assert_eq!(Moments::default().estimate(), None);
    let mut one = Moments::default();
    one.add(-3);
    let e = one.estimate().unwrap();
    assert_eq!(
        (e.n, e.mean, e.sd, e.ci_low, e.ci_high),
        (1, -3.0, None, None, None)
    );
    let mut same = Moments::default();
    for _ in 0..5 {
        same.add(2);
    }
    let e = same.estimate().unwrap();
    assert_eq!(
        (e.mean, e.sd, e.ci_low, e.ci_high),
        (2.0, Some(0.0), Some(2.0), Some(2.0))
    );
    // Hand-computed: 1, 2, 3, 4, 5 → mean 3, s² = 10/4, s = 1.5811,
    // t(0.975, 4) = 2.7764, half-width = 2.7764 · 1.5811 / √5 = 1.9632.
    let mut m = Moments::default();
    for x in 1..=5 {
        m.add(x);
    }
    let e = m.estimate().unwrap();
    assert_eq!(e.mean, 3.0);
    assert!((e.sd.unwrap() - 1.581_139).abs() < 1e-6);
    assert!((e.ci_low.unwrap() - 1.036_757).abs() < 1e-5, "{e:?}");
    assert!((e.ci_high.unwrap() - 4.963_243).abs() < 1e-5, "{e:?}");
}

fn code(c: &str) -> Option<ParticipantCode> {
    Some(ParticipantCode::parse(c).unwrap())
}

fn resp(
    stage: Stage,
    c: Option<&str>,
    direct: Option<DirectAnswer>,
    u: Option<[UclaAnswer; 3]>,
) -> SurveyResponse {
    SurveyResponse {
        stage,
        participant_code: c.and_then(code),
        direct,
        lack_companionship: u.map(|u| u[0]),
        left_out: u.map(|u| u[1]),
        isolated: u.map(|u| u[2]),
    }
}

#[test]
fn tally_without_pairs() {
    let mut t = Tally::default();
    t.add_return(
        10,
        &[
            resp(
                Stage::Baseline,
                Some("A"),
                Some(DirectAnswer::OftenAlways),
                Some([High; 3]),
            ),
            resp(
                Stage::FollowUp,
                Some("B"),
                Some(DirectAnswer::Never),
                Some([Low; 3]),
            ),
            resp(Stage::Baseline, None, None, None),
        ],
    );
    assert_eq!(t.paired, 0);
    assert_eq!(t.change, Moments::default());
    assert_eq!((t.improved, t.same, t.worse), (0, 0, 0));
    assert_eq!(t.baseline.respondents, 2);
    assert_eq!(t.baseline.direct, [1, 0, 0, 0, 0]);
    assert_eq!(t.baseline.direct_not_answered, 1);
    assert_eq!(t.baseline.ucla.mean(), Some(9.0));
    assert_eq!(t.follow_up.ucla.mean(), Some(3.0));
    let mut b = OutcomeBuilder::new([]);
    b.add(RoundId::new(), Region::London, 10, &[]);
    let report = b.exact();
    assert_eq!(report.total.ucla.change.mean, None);
    assert_eq!(report.total.ucla.change.improved_percent, None);
    assert_eq!(report.total.often_always_percent.baseline, None);
}

#[test]
fn tally_with_one_pair_and_incomplete_pairs() {
    let mut t = Tally::default();
    t.add_return(
        5,
        &[
            resp(Stage::Baseline, Some("A"), None, Some([High, High, Mid])),
            resp(Stage::FollowUp, Some("A"), None, Some([High, High, High])),
            // Paired, but the follow-up misses an item: counted as a pair,
            // not in the score change.
            resp(Stage::Baseline, Some("B"), None, Some([Low; 3])),
            resp(Stage::FollowUp, Some("B"), None, None),
        ],
    );
    assert_eq!(t.paired, 2);
    assert_eq!(t.change.n, 1);
    assert_eq!((t.improved, t.same, t.worse), (0, 0, 1));
    let e = t.change.estimate().unwrap();
    assert_eq!((e.mean, e.ci_low), (1.0, None));
    // Pairs are matched within a return only.
    let mut other = Tally::default();
    other.add_return(1, &[resp(Stage::Baseline, Some("A"), None, None)]);
    other.add_return(1, &[resp(Stage::FollowUp, Some("A"), None, None)]);
    assert_eq!(other.paired, 0);
}

#[test]
fn all_answers_missing() {
    let responses: Vec<_> = (0..12)
        .map(|i| {
            resp(
                if i % 2 == 0 {
                    Stage::Baseline
                } else {
                    Stage::FollowUp
                },
                Some(&format!("P{}", i / 2)),
                None,
                None,
            )
        })
        .collect();
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::Scotland, 12, &responses);
    let r = b.exact().total;
    assert_eq!(r.respondents.paired, Some(6));
    assert_eq!(r.direct.baseline.not_answered, Some(6));
    assert_eq!(r.direct.baseline.answered, Some(0));
    assert_eq!(r.often_always_percent.baseline, None);
    assert_eq!(r.ucla.baseline.n, Some(0));
    assert_eq!(r.ucla.baseline.mean, None);
    assert_eq!(r.ucla.change.n, Some(0));
    assert_eq!(r.ucla.change.mean, None);
}

#[test]
fn identical_answers_give_no_change_and_a_zero_width_interval() {
    let mut responses = Vec::new();
    for i in 0..15 {
        let c = format!("P{i}");
        responses.push(resp(
            Stage::Baseline,
            Some(&c),
            Some(DirectAnswer::SomeOfTheTime),
            Some([Mid; 3]),
        ));
        responses.push(resp(
            Stage::FollowUp,
            Some(&c),
            Some(DirectAnswer::SomeOfTheTime),
            Some([Mid; 3]),
        ));
    }
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::Wales, 15, &responses);
    let c = b.exact().total.ucla.change;
    assert_eq!(
        (c.n, c.mean, c.ci_low, c.ci_high),
        (Some(15), Some(0.0), Some(0.0), Some(0.0))
    );
    assert_eq!((c.improved, c.same, c.worse), (Some(0), Some(15), Some(0)));
    assert_eq!(c.same_percent, Some(100.0));
    // Published: the zero cells are suppressed, and so one more cell of
    // each line; the means are still published (base 15).
    let p = b.published().total;
    assert_eq!(p.ucla.change.mean, Some(0.0));
    assert_eq!(p.ucla.baseline.mean, Some(6.0));
    assert_eq!(p.ucla.change.improved, None);
    assert_eq!(p.ucla.change.worse, None);
}

#[test]
fn hand_computed_outcomes() {
    // Baseline direct: 4 often/always of 8 answered (+1 missing); follow-up 1 of 8.
    let d = |i: usize| DirectAnswer::ALL.get(i).copied();
    let mut responses = Vec::new();
    let base = [
        Some(0),
        Some(0),
        Some(0),
        Some(0),
        Some(1),
        Some(2),
        Some(3),
        Some(4),
        None,
    ];
    let follow = [
        Some(0),
        Some(1),
        Some(1),
        Some(2),
        Some(2),
        Some(3),
        Some(4),
        Some(4),
    ];
    let scores_before = [[High; 3], [High, High, Mid], [Mid; 3], [Mid, Mid, Low]];
    let scores_after = [[Mid; 3], [High, High, Mid], [Mid, Mid, Low], [Mid; 3]];
    for (i, a) in base.iter().enumerate() {
        let c = format!("P{i}");
        let u = scores_before.get(i).copied();
        responses.push(resp(Stage::Baseline, Some(&c), a.and_then(d), u));
    }
    for (i, a) in follow.iter().enumerate() {
        let c = format!("P{i}");
        let u = scores_after.get(i).copied();
        responses.push(resp(Stage::FollowUp, Some(&c), a.and_then(d), u));
    }
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::NorthWest, 9, &responses);
    let r = b.exact().total;
    assert_eq!(
        (
            r.respondents.baseline,
            r.respondents.follow_up,
            r.respondents.paired
        ),
        (Some(9), Some(8), Some(8))
    );
    assert_eq!(r.direct.baseline.often_always, Some(4));
    assert_eq!(r.direct.baseline.answered, Some(8));
    assert_eq!(r.often_always_percent.baseline, Some(50.0));
    assert_eq!(r.often_always_percent.follow_up, Some(12.5));
    // Scores before 9, 8, 6, 5 (mean 7); after 6, 8, 5, 6 (mean 6.25).
    assert_eq!(r.ucla.baseline.mean, Some(7.0));
    assert_eq!(r.ucla.follow_up.mean, Some(6.25));
    // Changes −3, 0, −1, +1: mean −0.75, s² = (5.0625+0.5625+0.0625+3.0625)/3
    // = 2.9167, s = 1.7078, t(3) = 3.1824, half = 3.1824·1.7078/2 = 2.7175.
    let c = r.ucla.change;
    assert_eq!((c.n, c.mean), (Some(4), Some(-0.75)));
    assert_eq!((c.ci_low, c.ci_high), (Some(-3.47), Some(1.97)));
    assert_eq!((c.improved, c.same, c.worse), (Some(2), Some(1), Some(1)));
    assert_eq!(
        (c.improved_percent, c.same_percent, c.worse_percent),
        (Some(50.0), Some(25.0), Some(25.0))
    );
}

#[test]
fn participant_codes() {
    for ok in ["P-0042", "abc_123", "X", "R1-G12-003", "123456789"] {
        assert!(ParticipantCode::parse(ok).is_ok(), "{ok}");
    }
    use ParticipantCodeError as E;
    for (bad, why) in [
        ("", E::Empty),
        ("   ", E::Empty),
        ("jo.bloggs@example.org", E::LooksLikeEmail),
        ("jo@x", E::LooksLikeEmail),
        ("QQ123456C", E::LooksLikeNiNumber),
        ("qq 12 34 56 c", E::LooksLikeNiNumber),
        ("AB123456", E::LooksLikeNiNumber),
        ("07700900123", E::LooksLikePhoneNumber),
        ("07700 900 123", E::LooksLikePhoneNumber),
        ("+447700900123", E::LooksLikePhoneNumber),
        ("(0161) 496-0000", E::LooksLikePhoneNumber),
        ("P1234567890", E::LooksLikePhoneNumber),
        ("Jo Bloggs", E::BadCharacter),
        ("P/1", E::BadCharacter),
        ("abcdefghijabcdefghijabcdefghijabc", E::TooLong(33)),
    ] {
        assert_eq!(ParticipantCode::parse(bad), Err(why), "{bad}");
    }
}

fn input(participants: u32, responses: Vec<ResponseInput>) -> ReturnInput {
    ReturnInput {
        period_start: NaiveDate::from_ymd_opt(2019, 9, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
        participants_reached: participants,
        volunteers: 2,
        sessions_delivered: 20,
        narrative: "  Lunches every Tuesday.  ".into(),
        case_study: Some("   ".into()),
        responses,
    }
}

fn ri(stage: &str, c: Option<&str>) -> ResponseInput {
    ResponseInput {
        stage: stage.into(),
        participant_code: c.map(Into::into),
        direct: Some("hardly_ever".into()),
        lack_companionship: Some("often".into()),
        left_out: None,
        isolated: Some("hardly_ever_or_never".into()),
    }
}

#[test]
fn a_valid_return_parses() {
    let content = ReturnContent::parse(input(
        2,
        vec![
            ri("baseline", Some("A")),
            ri("follow_up", Some("A")),
            ri("baseline", None),
        ],
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(content.narrative, "Lunches every Tuesday.");
    assert_eq!(content.case_study, None);
    assert_eq!(content.respondents(Stage::Baseline), 2);
    assert_eq!(
        content.responses.first().unwrap().direct,
        Some(DirectAnswer::HardlyEver)
    );
    let json = serde_json::to_string(&content).unwrap();
    assert_eq!(
        serde_json::from_str::<ReturnContent>(&json).unwrap(),
        content
    );
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let mut bad = input(
        1,
        vec![
            ri("baseline", Some("A")),
            ri("baseline", Some("A")),
            ri("during", None),
            ri("follow_up", Some("jo@example.org")),
        ],
    );
    bad.period_end = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    bad.narrative = " ".into();
    if let Some(r) = bad.responses.get_mut(3) {
        r.direct = Some("sometimes".into());
        r.left_out = Some("always".into());
    }
    let issues = ReturnContent::parse(bad).unwrap_err();
    let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "period_end",
            "narrative",
            "responses[1].participant_code",
            "responses[2].stage",
            "responses[3].participant_code",
            "responses[3].direct",
            "responses[3].left_out",
            "participants_reached",
        ]
    );
    let message = |f: &str| {
        issues
            .iter()
            .find(|i| i.field == f)
            .unwrap()
            .message
            .clone()
    };
    assert!(
        message("responses[1].participant_code")
            .contains("already used at baseline by responses[0]")
    );
    assert!(message("responses[3].participant_code").contains("email"));
    assert!(
        message("responses[3].direct").contains("often_always"),
        "{}",
        message("responses[3].direct")
    );
    assert!(
        message("participants_reached").contains("2 baseline responses"),
        "{}",
        message("participants_reached")
    );
}

#[test]
fn review_transitions() {
    use ReviewStatus::*;
    check_table(
        "evaluation return",
        &ReviewStatus::ALL,
        ReviewStatus::as_str,
        &[
            ("accept", ReviewStatus::accept),
            ("request changes to", ReviewStatus::request_changes),
            ("resubmit", ReviewStatus::resubmit),
        ],
        &[
            (Submitted, "accept", Accepted),
            (Submitted, "request changes to", ChangesRequested),
            (Submitted, "resubmit", Submitted),
            (ChangesRequested, "resubmit", Submitted),
        ],
    );
    assert_eq!(
        Accepted.resubmit().unwrap_err().to_string(),
        "cannot resubmit an evaluation return that is accepted"
    );
    assert!(review_comment(ReviewDecision::RequestChanges, Some("  ")).is_err());
    assert_eq!(review_comment(ReviewDecision::Accept, None), Ok(None));
    assert_eq!(
        review_comment(ReviewDecision::Accept, Some(" ok ")),
        Ok(Some("ok".into()))
    );
}

/// Checks a published report: every count is ≥ 10 and a multiple of 5, and
/// no additive line (inside a group, or across rounds or regions to the
/// total) has exactly one suppressed member.
fn assert_protected(report: &OutcomeReport) {
    let rows = |f: &Figures| {
        f.rows()
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let total = rows(&report.total);
    let groups: Vec<_> = report
        .by_round
        .iter()
        .map(|g| rows(&g.figures))
        .chain(report.by_region.iter().map(|g| rows(&g.figures)))
        .chain([total.clone()])
        .collect();
    for g in &groups {
        for (name, v) in g {
            let is_count =
                !name.contains("percent") && !name.contains("mean") && !name.contains("ci_");
            if let (true, Some(v)) = (is_count, v) {
                let v: u64 = v.parse().unwrap();
                assert!(v >= 10 && v % 5 == 0, "{name} = {v}");
            }
        }
        let hidden = |names: &[String]| {
            names
                .iter()
                .filter(|n| g.get(*n).unwrap().is_none())
                .count()
        };
        for stage in ["baseline", "follow_up"] {
            let answers = [
                "often_always",
                "some_of_the_time",
                "occasionally",
                "hardly_ever",
                "never",
                "answered",
            ];
            let line: Vec<String> = answers
                .iter()
                .map(|a| format!("direct.{stage}.{a}"))
                .collect();
            assert_ne!(hidden(&line), 1, "{line:?}");
            let line = vec![
                format!("direct.{stage}.answered"),
                format!("direct.{stage}.not_answered"),
                format!("respondents.{stage}"),
            ];
            assert_ne!(hidden(&line), 1, "{line:?}");
        }
        let line: Vec<String> = ["improved", "same", "worse", "n"]
            .iter()
            .map(|a| format!("ucla.change.{a}"))
            .collect();
        assert_ne!(hidden(&line), 1, "{line:?}");
    }
    for (name, value) in &total {
        if name.contains("percent") || name.contains("mean") || name.contains("ci_") {
            continue;
        }
        for parts in [
            report
                .by_round
                .iter()
                .map(|g| rows(&g.figures))
                .collect::<Vec<_>>(),
            report
                .by_region
                .iter()
                .map(|g| rows(&g.figures))
                .collect::<Vec<_>>(),
        ] {
            if parts.is_empty() {
                continue; // no regions: nothing to subtract
            }
            let hidden = parts
                .iter()
                .filter(|p| p.get(name).unwrap().is_none())
                .count()
                + usize::from(value.is_none());
            assert_ne!(
                hidden, 1,
                "{name}: one suppressed cell could be backed out from the total"
            );
        }
    }
}

fn arb_response() -> impl Strategy<Value = SurveyResponse> {
    let ucla = prop::option::of(prop::sample::select(UclaAnswer::ALL.to_vec()));
    (
        prop::bool::ANY,
        prop::option::of(0u8..12),
        prop::option::of(prop::sample::select(DirectAnswer::ALL.to_vec())),
        ucla.clone(),
        ucla.clone(),
        ucla,
    )
        .prop_map(|(follow, c, direct, a, b, i)| SurveyResponse {
            stage: if follow {
                Stage::FollowUp
            } else {
                Stage::Baseline
            },
            participant_code: c.and_then(|c| code(&format!("P{c}"))),
            direct,
            lack_companionship: a,
            left_out: b,
            isolated: i,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn published_outcomes_never_reveal_small_or_backed_out_counts(
        returns in prop::collection::vec((0usize..3, 0usize..4, prop::collection::vec(arb_response(), 0..25)), 0..30)
    ) {
        let rounds = [RoundId::new(), RoundId::new(), RoundId::new()];
        let regions = [Region::London, Region::Wales, Region::NorthEast, Region::Scotland];
        let mut b = OutcomeBuilder::new(rounds);
        for (round, region, mut responses) in returns {
            // One response per code and stage, as validation ensures.
            let mut seen = std::collections::HashSet::new();
            responses.retain(|r| r.participant_code.as_ref().is_none_or(|c| seen.insert((r.stage, c.clone()))));
            b.add(*rounds.get(round).unwrap(), *regions.get(region).unwrap(), 30, &responses);
        }
        let report = b.published();
        assert_protected(&report);
        prop_assert!(report.published);
    }

    #[test]
    fn suppression_tables_never_leave_a_line_with_one_hidden_cell(
        grid in prop::collection::vec(prop::collection::vec(0u64..40, 1..5), 1..5)
    ) {
        // A two-way table with row, column and grand totals.
        let cols = grid.iter().map(Vec::len).min().unwrap_or(1);
        let mut table = SuppressionTable::default();
        let cells: Vec<Vec<CellId>> = grid.iter().map(|row| row.iter().take(cols).map(|&v| table.cell(v)).collect()).collect();
        let row_totals: Vec<CellId> = grid.iter().map(|row| table.cell(row.iter().take(cols).sum())).collect();
        let col_totals: Vec<CellId> = (0..cols).map(|c| table.cell(grid.iter().map(|r| r.get(c).copied().unwrap_or(0)).sum())).collect();
        let grand = table.cell(grid.iter().map(|r| r.iter().take(cols).sum::<u64>()).sum());
        let mut lines = Vec::new();
        for (row, total) in cells.iter().zip(&row_totals) {
            lines.push((row.clone(), *total));
        }
        for (c, total) in col_totals.iter().enumerate() {
            lines.push((cells.iter().filter_map(|r| r.get(c).copied()).collect(), *total));
        }
        lines.push((row_totals.clone(), grand));
        lines.push((col_totals.clone(), grand));
        for (parts, total) in &lines {
            table.line(parts, *total);
        }
        let p = table.protect();
        for (parts, total) in &lines {
            let hidden = parts.iter().chain([total]).filter(|&&c| p.is_suppressed(c)).count();
            prop_assert_ne!(hidden, 1);
        }
        for id in cells.iter().flatten().chain(&row_totals).chain(&col_totals).chain([&grand]) {
            match p.published(*id) {
                Some(v) => prop_assert!(v >= 10 && v % 5 == 0 && table.value(*id) >= 10),
                None => prop_assert!(p.is_suppressed(*id)),
            }
        }
    }
}

#[test]
fn a_small_region_cannot_be_backed_out_of_the_total() {
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    let many = vec![resp(Stage::Baseline, None, Some(DirectAnswer::Never), None); 10];
    for _ in 0..4 {
        b.add(round, Region::London, 20, &many);
    }
    for _ in 0..3 {
        b.add(round, Region::Wales, 20, &many);
    }
    b.add(round, Region::Scotland, 20, &many); // 1 return
    let p = b.published();
    let returns = |r: Region| {
        p.by_region
            .iter()
            .find(|g| g.region == r)
            .unwrap()
            .figures
            .returns
    };
    assert_eq!(p.total.returns, None); // 8 returns in all
    assert_eq!(
        (
            returns(Region::London),
            returns(Region::Wales),
            returns(Region::Scotland)
        ),
        (None, None, None)
    );
    let respondents = |r: Region| {
        p.by_region
            .iter()
            .find(|g| g.region == r)
            .unwrap()
            .figures
            .respondents
            .baseline
    };
    // 40, 30 and 10: Scotland's 10 is published, nothing is suppressed.
    assert_eq!(respondents(Region::London), Some(40));
    assert_eq!(respondents(Region::Scotland), Some(10));
    assert_eq!(p.total.respondents.baseline, Some(80));
    assert_protected(&p);
}

#[test]
fn a_fund_without_returns_publishes_nothing_but_nulls() {
    let b = OutcomeBuilder::new([RoundId::new(), RoundId::new()]);
    let p = b.published();
    assert!(p.by_region.is_empty());
    assert_eq!(p.total.returns, None);
    assert_eq!(p.total.ucla.change.mean, None);
    assert_protected(&p);
}
