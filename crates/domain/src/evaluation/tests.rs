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

/// Just above the median the quantile is tiny; an absolute stopping rule
/// (or ½ − P(T > t), which cancels) leaves few correct digits there.
/// Reference values: mpmath at 40 digits (inverting the regularised
/// incomplete beta); scipy.stats.t.ppf agrees except at p = ½ + 1e-12,
/// where it is itself off by 6e-7 relative.
#[test]
fn t_quantile_keeps_relative_precision_near_the_median() {
    for (p, df, expected) in [
        (0.500_000_1, 500.0, 2.507_881_899_993_11e-7),
        (0.5 + 1e-12, 3.0, 2.720_638_859_808_488_5e-12),
        (0.51, 2.0, 0.028_289_929_799_333_573),
        (0.6, 500.0, 0.253_481_949_851_665_8),
    ] {
        let t = t_quantile(p, df).unwrap();
        let relative = (t - expected).abs() / expected;
        assert!(
            relative < 1e-9,
            "p = {p}, df = {df}: {t} vs {expected} ({relative:e})"
        );
        let low = t_quantile(1.0 - p, df).unwrap();
        assert!((low + t).abs() / expected < 1e-6, "symmetry at p = {p}");
    }
    // The normal quantile, used above 1,000 degrees of freedom.
    let z = normal_quantile(0.500_000_1).unwrap();
    assert!((z - 2.506_628_273_311_648e-7).abs() / z < 1e-9, "{z}");
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
fn identical_answers_give_no_change_and_no_variation_instead_of_an_interval() {
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
    // No spread: "no variation", not a zero-width interval.
    assert_eq!(
        (c.n, c.mean, c.ci_low, c.ci_high, c.ci_note),
        (
            Some(15),
            Some(0.0),
            None,
            None,
            Some(IntervalNote::NoVariation)
        )
    );
    assert_eq!((c.improved, c.same, c.worse), (Some(0), Some(15), Some(0)));
    assert_eq!(c.same_percent, Some(100.0));
    // Published: the zero cells are suppressed; the means are published
    // (base 15), but not "no variation", nor a 100% same, which would say
    // improved and worse are 0.
    let p = b.published().total;
    assert_eq!(p.ucla.change.mean, Some(0.0));
    assert_eq!(p.ucla.baseline.mean, Some(6.0));
    assert_eq!(p.ucla.change.improved, None);
    assert_eq!(p.ucla.change.worse, None);
    assert_eq!(p.ucla.change.same_percent, None);
    assert_eq!((p.ucla.change.ci_low, p.ucla.change.ci_note), (None, None));
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
    // A t interval over 4 pairs would be −3.47 to 1.97: none is given
    // below 10 pairs.
    assert_eq!((c.ci_low, c.ci_high), (None, None));
    assert_eq!(c.ci_note, Some(IntervalNote::TooFewPairs));
    // The same 4 pairs' means: 7 → 6.25, beside the change.
    assert_eq!((c.baseline_mean, c.follow_up_mean), (Some(7.0), Some(6.25)));
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

/// The range subtraction leaves a line's one hidden member: published
/// counts are at least 10 and within 2 of their rounded value.
fn hidden_range(parts: &[Option<u64>], total: Option<u64>) -> Option<(i64, i64)> {
    let bounds = |v: u64| ((v as i64 - 2).max(10), v as i64 + 2);
    let hidden = parts.iter().chain([&total]).filter(|v| v.is_none()).count();
    if hidden != 1 {
        return None;
    }
    let (tl, th) = bounds(total?);
    let (pl, ph) = parts
        .iter()
        .flatten()
        .fold((0, 0), |(l, h), &v| (l + bounds(v).0, h + bounds(v).1));
    Some(((tl - ph).max(0), th - pl))
}

/// Checks a published report: every count is ≥ 10 and a multiple of 5;
/// every percentage is the published counts' own ratio, never 0 or 100;
/// every mean is banded; and a line with one suppressed member leaves it
/// at least three possible values by subtraction.
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
    let count = |g: &std::collections::BTreeMap<String, Option<String>>, name: &str| {
        g.get(name)
            .unwrap_or_else(|| panic!("{name}"))
            .as_ref()
            .map(|v| v.parse::<u64>().unwrap())
    };
    let check_line = |parts: Vec<Option<u64>>, total: Option<u64>, what: &str| {
        if let Some((lo, hi)) = hidden_range(&parts, total) {
            assert!(
                hi - lo >= 2,
                "{what}: one hidden member pinned to {lo}..={hi}"
            );
        }
    };
    for g in &groups {
        for (name, v) in g {
            let is_count = !["percent", "mean", "_ci", "ci_", "points", "mcnemar"]
                .iter()
                .any(|w| name.contains(w));
            if let (true, Some(v)) = (is_count, v) {
                let v: u64 = v.parse().unwrap();
                assert!(v >= 10 && v.is_multiple_of(5), "{name} = {v}");
            }
            if let (true, Some(v)) = (name.contains("mean"), v) {
                let v: f64 = v.parse().unwrap();
                assert_eq!(v % 0.5, 0.0, "{name} = {v}");
                let (low, high) = if name == "ucla.change.mean" {
                    (-6.0, 6.0)
                } else {
                    (3.0, 9.0)
                };
                assert!(
                    v >= low + 1.0 && v <= high - 1.0,
                    "{name} = {v} at the end of its scale"
                );
            }
        }
        for (percent, part, base) in [
            (
                "often_always_percent.baseline",
                "direct.baseline.often_always",
                "direct.baseline.answered",
            ),
            (
                "often_always_percent.follow_up",
                "direct.follow_up.often_always",
                "direct.follow_up.answered",
            ),
            (
                "ucla.change.improved_percent",
                "ucla.change.improved",
                "ucla.change.n",
            ),
            (
                "ucla.change.same_percent",
                "ucla.change.same",
                "ucla.change.n",
            ),
            (
                "ucla.change.worse_percent",
                "ucla.change.worse",
                "ucla.change.n",
            ),
        ] {
            let Some(shown) = g[percent].as_ref() else {
                continue;
            };
            let shown: f64 = shown.parse().unwrap();
            let (p, b) = (count(g, part).unwrap(), count(g, base).unwrap());
            assert_eq!(shown, (100.0 * p as f64 / b as f64).round(), "{percent}");
            assert!(shown > 0.0 && shown < 100.0, "{percent} = {shown}");
        }
        for stage in ["baseline", "follow_up"] {
            let answers = [
                "often_always",
                "some_of_the_time",
                "occasionally",
                "hardly_ever",
                "never",
            ];
            let line: Vec<Option<u64>> = answers
                .iter()
                .map(|a| count(g, &format!("direct.{stage}.{a}")))
                .collect();
            check_line(line, count(g, &format!("direct.{stage}.answered")), stage);
            check_line(
                vec![
                    count(g, &format!("direct.{stage}.answered")),
                    count(g, &format!("direct.{stage}.not_answered")),
                ],
                count(g, &format!("respondents.{stage}")),
                stage,
            );
        }
        let line = ["improved", "same", "worse"]
            .iter()
            .map(|a| count(g, &format!("ucla.change.{a}")))
            .collect();
        check_line(line, count(g, "ucla.change.n"), "change");
    }
    for (name, value) in &total {
        if !["percent", "mean", "_ci", "ci_", "points", "mcnemar"]
            .iter()
            .any(|w| name.contains(w))
        {
            for parts in [
                &report.by_round,
                &report
                    .by_region
                    .iter()
                    .map(|r| RoundFigures {
                        round_id: RoundId::new(),
                        figures: r.figures.clone(),
                    })
                    .collect::<Vec<_>>(),
            ] {
                if parts.is_empty() {
                    continue;
                }
                let line = parts
                    .iter()
                    .map(|p| count(&rows(&p.figures), name))
                    .collect();
                check_line(line, value.as_ref().map(|v| v.parse().unwrap()), name);
            }
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
    fn suppression_tables_never_leave_a_count_pinned_by_its_lines(
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
        prop_assert!(table.exposed(&p).is_empty());
        for (parts, total) in &lines {
            let shown: Vec<Option<u64>> = parts.iter().map(|&c| p.published(c)).collect();
            if let Some((lo, hi)) = hidden_range(&shown, p.published(*total)) {
                prop_assert!(hi - lo >= 2, "{:?} → {:?}: {}..={}", grid, shown, lo, hi);
            }
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

/// Newcombe (1998), "Two-sided confidence intervals for the single
/// proportion: comparison of seven methods", Table I, method 3 (Wilson
/// score without continuity correction).
#[test]
fn wilson_intervals_match_newcombes_worked_examples() {
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    for (x, n, low, high) in [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ] {
        let ci = wilson_interval(x, n).unwrap();
        assert_eq!((r4(ci.low), r4(ci.high)), (low, high), "{x}/{n}");
    }
    assert_eq!(wilson_interval(1, 0), None);
    assert_eq!(wilson_interval(3, 2), None);
    let all = wilson_interval(29, 29).unwrap();
    assert_eq!((r4(all.low), all.high), (0.883, 1.0));
}

/// Newcombe (1998), "Improved confidence intervals for the difference
/// between binomial proportions based on paired data", method 10, example
/// (a): 36, 12, 2, 0 gives 0.0569 to 0.3404 for first − second. The two
/// clinical tables are the paired examples of Fagerland, Lydersen & Laake
/// (2017, ch. 8; Bentur et al. 2009, Cavo et al. 2012), whose Newcombe
/// intervals (−0.5069 to −0.0256, −0.1186 to −0.0046) and exact McNemar p
/// (0.0703, 0.0525) were recomputed independently (Python, exact binomial
/// sums). Our change is follow-up − baseline, so signs flip where the
/// table's first proportion is the baseline.
#[test]
fn newcombe_paired_intervals_and_mcnemar_match_worked_examples() {
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let t = |both, baseline_only, follow_up_only, neither| PairedTable {
        both,
        baseline_only,
        follow_up_only,
        neither,
    };
    for (table, change, low, high, p) in [
        (t(36, 12, 2, 0), -0.2, -0.3404, -0.0569, 0.0129),
        (t(1, 1, 7, 12), 0.2857, 0.0256, 0.5069, 0.0703),
        (t(59, 6, 16, 80), 0.0621, 0.0046, 0.1186, 0.0525),
    ] {
        let ci = table.newcombe_interval().unwrap();
        assert_eq!(r4(table.change().unwrap()), change, "{table:?}");
        assert_eq!((r4(ci.low), r4(ci.high)), (low, high), "{table:?}");
        assert_eq!(r4(table.mcnemar_exact_p().unwrap()), p, "{table:?}");
    }
    // No pair changed: no evidence of change, and an interval around 0.
    let still = t(5, 0, 0, 5);
    assert_eq!(still.mcnemar_exact_p(), Some(1.0));
    let ci = still.newcombe_interval().unwrap();
    assert!(ci.low < 0.0 && ci.high > 0.0);
    assert_eq!(t(0, 0, 0, 0).newcombe_interval(), None);
    assert_eq!(t(0, 0, 0, 0).mcnemar_exact_p(), None);
    // Large discordant counts neither underflow nor lose the tail:
    // 2 · P(X ≤ 400 | 1000, ½) = 2.7284641560660184e-10 (exact fractions).
    let big = t(0, 600, 400, 0).mcnemar_exact_p().unwrap();
    assert!(
        (big / 2.728_464_156_066_018_4e-10 - 1.0).abs() < 1e-9,
        "{big:e}"
    );
    // Every interval stays inside −1..1.
    let edge = t(0, 20, 0, 0).newcombe_interval().unwrap();
    assert!(edge.low >= -1.0 && edge.high <= 1.0, "{edge:?}");
}

fn pair(
    code: &str,
    direct: [DirectAnswer; 2],
    before: [UclaAnswer; 3],
    after: [UclaAnswer; 3],
) -> [SurveyResponse; 2] {
    [
        resp(Stage::Baseline, Some(code), Some(direct[0]), Some(before)),
        resp(Stage::FollowUp, Some(code), Some(direct[1]), Some(after)),
    ]
}

#[test]
fn the_paired_share_often_always_lonely_has_a_newcombe_interval_and_mcnemar() {
    use DirectAnswer::{Never, OftenAlways as Lonely};
    // 30 pairs: 4 lonely at both stages, 12 no longer, 2 newly, 12 neither;
    // 6 more answered only at baseline, all lonely (not in the pairs).
    let mut responses = Vec::new();
    let groups = [
        (4, [Lonely, Lonely]),
        (12, [Lonely, Never]),
        (2, [Never, Lonely]),
        (12, [Never, Never]),
    ];
    let mut i = 0;
    for (n, direct) in groups {
        for _ in 0..n {
            responses.extend(pair(&format!("P{i}"), direct, [Mid; 3], [Mid; 3]));
            i += 1;
        }
    }
    for _ in 0..6 {
        responses.push(resp(Stage::Baseline, None, Some(Lonely), None));
    }
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::Wales, 40, &responses);
    let exact = b.exact().total;
    let p = &exact.often_always_paired;
    assert_eq!(
        (p.pairs, p.both, p.no_longer, p.newly, p.neither),
        (Some(30), Some(4), Some(12), Some(2), Some(12))
    );
    // Over the pairs: 16/30 = 53.3% → 6/30 = 20.0%, −33.3 points.
    assert_eq!(
        (p.baseline_percent, p.follow_up_percent, p.change_points),
        (Some(53.3), Some(20.0), Some(-33.3))
    );
    let table = PairedTable {
        both: 4,
        baseline_only: 12,
        follow_up_only: 2,
        neither: 12,
    };
    let ci = table.newcombe_interval().unwrap().scaled(100.0);
    assert_eq!(
        p.change_ci,
        Some(Interval {
            low: (ci.low * 10.0).round() / 10.0,
            high: (ci.high * 10.0).round() / 10.0
        })
    );
    assert!(ci.high < 0.0, "{ci:?}");
    // 2 · P(X ≤ 2 | 14, ½) = 2 · 106 / 16384.
    assert_eq!(p.mcnemar_p, Some(0.0129));
    // The stage share is over everyone answering at the stage (22/36) and
    // has its Wilson interval.
    assert_eq!(exact.often_always_percent.baseline, Some(61.1));
    let w = wilson_interval(22, 36).unwrap().scaled(100.0);
    assert_eq!(
        exact.often_always_ci.baseline,
        Some(w.map(|x| (x * 10.0).round() / 10.0))
    );
    // Published: only two of the four paired counts reach 10, so nothing
    // is computed from them.
    let published = b.published().total.often_always_paired;
    assert_eq!(
        (
            published.both,
            published.newly,
            published.change_points,
            published.mcnemar_p
        ),
        (None, None, None, None)
    );
}

#[test]
fn the_change_interval_is_withheld_below_ten_pairs_and_kept_inside_the_scale() {
    // 12 pairs: eleven from 9 to 3 (−6) and one unchanged: the t interval
    // would reach below −6.
    let mut responses = Vec::new();
    for i in 0..12 {
        let after = if i == 0 { [High; 3] } else { [Low; 3] };
        responses.extend(pair(
            &format!("P{i}"),
            [DirectAnswer::Never; 2],
            [High; 3],
            after,
        ));
    }
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::London, 12, &responses);
    let c = b.exact().total.ucla.change;
    assert_eq!(c.mean, Some(-5.5));
    let raw = {
        let mut m = Moments::default();
        for i in 0..12 {
            m.add(if i == 0 { 0 } else { -6 });
        }
        m.estimate().unwrap()
    };
    assert!(raw.ci_low.unwrap() < -6.0, "{raw:?}");
    assert_eq!(c.ci_low, Some(-6.0));
    assert_eq!(
        c.ci_high,
        Some((raw.ci_high.unwrap() * 100.0).round() / 100.0)
    );
    assert_eq!(c.ci_note, None);
    // Published: the mean −5.5 is shown as −5 ("−5 or lower"), and no
    // interval: only "improved" of improved/same/worse is published.
    let p = b.published().total.ucla.change;
    assert_eq!((p.mean, p.ci_low, p.ci_high), (Some(-5.0), None, None));
    // Nine pairs: no interval, and the reason.
    let mut few = OutcomeBuilder::new([round]);
    let nine: Vec<_> = responses.iter().take(18).cloned().collect();
    few.add(round, Region::London, 9, &nine);
    let c = few.exact().total.ucla.change;
    assert_eq!(
        (c.n, c.ci_low, c.ci_note),
        (Some(9), None, Some(IntervalNote::TooFewPairs))
    );
}

#[test]
fn paired_means_are_reported_beside_the_change_over_the_same_people() {
    // Two pairs (9 → 6, 5 → 5) and two people seen once (3 at baseline, 9
    // at follow-up): stage means 5.67 and 7.5 are over different people
    // from the change (−1.5); the pairs' own means are 7 → 5.5.
    let mut responses = Vec::new();
    responses.extend(pair("A", [DirectAnswer::Never; 2], [High; 3], [Mid; 3]));
    responses.extend(pair(
        "B",
        [DirectAnswer::Never; 2],
        [Mid, Mid, Low],
        [Mid, Mid, Low],
    ));
    responses.push(resp(Stage::Baseline, Some("C"), None, Some([Low; 3])));
    responses.push(resp(Stage::FollowUp, Some("D"), None, Some([High; 3])));
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::London, 4, &responses);
    let u = b.exact().total.ucla;
    assert_eq!(
        (u.baseline.mean, u.follow_up.mean),
        (Some(5.67), Some(6.67))
    );
    assert_eq!(u.change.mean, Some(-1.5));
    assert_eq!(
        (u.change.baseline_mean, u.change.follow_up_mean),
        (Some(7.0), Some(5.5))
    );
}

/// Issue 14, item 11: n = 14 pairs, 13 improved and 1 the same were
/// published as n 15, improved 15 and 93% — and 93% of a rounded 15 fits
/// only 14 or 15, revealing the one. Percentages now come from the
/// published counts; 15 of 15 is 100%, a bound, so none is shown.
#[test]
fn a_published_percentage_never_undoes_the_rounding() {
    let mut responses = Vec::new();
    for i in 0..14 {
        let after = if i == 0 { [High; 3] } else { [Mid; 3] };
        responses.extend(pair(
            &format!("P{i}"),
            [DirectAnswer::Never; 2],
            [High; 3],
            after,
        ));
    }
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::London, 14, &responses);
    let exact = b.exact().total.ucla.change;
    assert_eq!(
        (exact.n, exact.improved, exact.same, exact.improved_percent),
        (Some(14), Some(13), Some(1), Some(92.9))
    );
    let p = b.published().total.ucla.change;
    assert_eq!((p.n, p.improved, p.same), (Some(15), Some(15), None));
    assert_eq!((p.improved_percent, p.improved_ci), (None, None));
}

/// Issue 14, item 11: `answered` is not hidden merely because
/// `not_answered` is 0 — rounding already leaves the hidden 0 a range.
#[test]
fn answered_stays_published_when_nobody_skipped_the_question() {
    let responses = vec![resp(Stage::Baseline, None, Some(DirectAnswer::Never), None); 13];
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::London, 13, &responses);
    let d = b.published().total.direct.baseline;
    assert_eq!(
        (d.answered, d.not_answered, d.never),
        (Some(15), None, Some(15))
    );
    assert_eq!(b.published().total.respondents.baseline, Some(15));
}

/// Four answers of 13 and a fifth of 0, answered 52: published as 15 × 4
/// and 50, the hidden answer could only be 0 (each 15 is at least 13, 50 at
/// most 52). Rounding alone does not protect it: one more is suppressed.
#[test]
fn a_count_pinned_by_rounded_neighbours_is_protected() {
    let mut responses = Vec::new();
    for answer in [
        DirectAnswer::OftenAlways,
        DirectAnswer::SomeOfTheTime,
        DirectAnswer::Occasionally,
        DirectAnswer::HardlyEver,
    ] {
        responses.extend(vec![resp(Stage::Baseline, None, Some(answer), None); 13]);
    }
    let round = RoundId::new();
    let mut b = OutcomeBuilder::new([round]);
    b.add(round, Region::London, 52, &responses);
    let p = b.published();
    let d = &p.total.direct.baseline;
    let shown = [
        d.often_always,
        d.some_of_the_time,
        d.occasionally,
        d.hardly_ever,
    ];
    assert_eq!(d.never, None);
    assert!(shown.iter().any(Option::is_none), "{d:?}");
    assert_protected(&p);
}
