//! Criterion benchmarks of the domain's hot paths: money, eligibility and
//! decisions, outcome statistics, the audit chain's hashing and the
//! 360Giving encoder.
//!
//! `cargo bench -p grantledger-domain` (add `-- money` to run one group).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use grantledger_domain::Money;
use grantledger_domain::application::{Application, Decision};
use grantledger_domain::audit::{AuditEvent, Verifier, seal};
use grantledger_domain::evaluation::{
    DirectAnswer, OutcomeBuilder, ParticipantCode, Stage, SurveyResponse, UclaAnswer,
};
use grantledger_domain::grantee::{
    DueDiligence, Grantee, LocalAuthority, OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{ApplicationId, FundId, GranteeId, RoundId};
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn money(c: &mut Criterion) {
    let mut g = c.benchmark_group("money");
    g.bench_function("parse 2500.00", |b| {
        b.iter(|| Money::parse(black_box("2500.00")))
    });
    g.bench_function("parse 1234567.89", |b| {
        b.iter(|| Money::parse(black_box("1234567.89")))
    });
    g.bench_function("parse refused 1,000.00", |b| {
        b.iter(|| Money::parse(black_box("1,000.00")))
    });
    let amount = m("1234567.89");
    g.bench_function("display", |b| b.iter(|| black_box(amount).to_string()));
    let (a, x) = (m("2500.00"), m("1799.99"));
    g.bench_function("checked_add", |b| {
        b.iter(|| black_box(a).checked_add(black_box(x)))
    });
    g.bench_function("checked_sub", |b| {
        b.iter(|| black_box(a).checked_sub(black_box(x)))
    });
    let grants: Vec<Money> = (0..1_700)
        .map(|i| Money::from_pence(25_000 + i * 137).unwrap())
        .collect();
    g.throughput(Throughput::Elements(grants.len() as u64));
    g.bench_function("sum of 1,700 grants", |b| {
        b.iter(|| Money::sum(black_box(&grants).iter().copied()))
    });
    g.finish();
}

fn round_and_grantee() -> (Round, Grantee) {
    let now = Utc::now();
    let round = Round::new(
        RoundId::new(),
        FundId::new(),
        2,
        "Round 2",
        RoundWindow::new(now - Duration::days(1), now + Duration::days(30)).unwrap(),
        m("4000000.00"),
        GrantRange::new(m("500.00"), m("2500.00")).unwrap(),
        Eligibility {
            organisation_types: vec![
                OrganisationType::CommunityGroup,
                OrganisationType::Cic,
                OrganisationType::RegisteredCharity,
                OrganisationType::Cio,
            ],
            max_annual_income: Some(m("50000.00")),
            regions: vec![
                Region::NorthWest,
                Region::NorthEast,
                Region::YorkshireAndTheHumber,
            ],
            one_application_per_organisation: false,
        },
    )
    .unwrap();
    let grantee = Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse("Made by Mortals CIC").unwrap(),
        org_id: None,
        organisation_type: OrganisationType::Cic,
        region: Region::YorkshireAndTheHumber,
        local_authority: LocalAuthority::parse("Leeds").unwrap(),
        postcode: Postcode::parse("LS1 4DY").unwrap(),
        annual_income: m("48000.00"),
        due_diligence: DueDiligence::pending(),
    };
    (round, grantee)
}

fn eligibility(c: &mut Criterion) {
    let mut g = c.benchmark_group("eligibility");
    let (round, grantee) = round_and_grantee();
    g.bench_function("eligible", |b| {
        b.iter(|| round.check_eligibility(black_box(&grantee), black_box(m("2000.00"))))
    });
    let mut wrong = grantee.clone();
    wrong.organisation_type = OrganisationType::Company;
    wrong.region = Region::London;
    wrong.annual_income = m("2000000.00");
    g.bench_function("ineligible on every rule", |b| {
        b.iter(|| round.check_eligibility(black_box(&wrong), black_box(m("5000.00"))))
    });
    let draft = Application::draft(
        ApplicationId::new(),
        round.id,
        grantee.id,
        m("2000.00"),
        "Armchair Adventures",
        "An immersive podcast for people who cannot leave home.",
    )
    .unwrap();
    let now = Utc::now();
    g.bench_function("submit a draft", |b| {
        b.iter(|| black_box(&draft).submit(&round, &grantee, now))
    });
    let submitted = draft.submit(&round, &grantee, now).unwrap();
    g.bench_function("decide an award", |b| {
        b.iter(|| black_box(&submitted).decide(&round, Decision::award(m("1800.00"))))
    });
    g.finish();
}

/// `returns` evaluation returns of `per_return` participants each, answered
/// at baseline and follow-up, with a spread of answers.
fn survey(returns: usize, per_return: usize) -> Vec<(RoundId, Region, Vec<SurveyResponse>)> {
    let rounds = [RoundId::new(), RoundId::new()];
    let regions = [
        Region::NorthWest,
        Region::London,
        Region::Wales,
        Region::Scotland,
    ];
    let ucla = [
        UclaAnswer::HardlyEverOrNever,
        UclaAnswer::SomeOfTheTime,
        UclaAnswer::Often,
    ];
    let direct = [
        DirectAnswer::OftenAlways,
        DirectAnswer::SomeOfTheTime,
        DirectAnswer::Occasionally,
        DirectAnswer::HardlyEver,
        DirectAnswer::Never,
    ];
    (0..returns)
        .map(|r| {
            let responses = (0..per_return)
                .flat_map(|p| {
                    let code = ParticipantCode::parse(&format!("P{p:03}")).unwrap();
                    [Stage::Baseline, Stage::FollowUp].map(|stage| {
                        let k = r + p + usize::from(stage == Stage::FollowUp);
                        SurveyResponse {
                            stage,
                            participant_code: Some(code.clone()),
                            direct: (k % 7 != 0).then_some(direct[k % 5]),
                            lack_companionship: Some(ucla[k % 3]),
                            left_out: Some(ucla[(k / 3) % 3]),
                            isolated: Some(ucla[(k / 9) % 3]),
                        }
                    })
                })
                .collect();
            (rounds[r % 2], regions[r % 4], responses)
        })
        .collect()
}

fn outcomes(c: &mut Criterion) {
    let mut g = c.benchmark_group("outcomes");
    g.sample_size(20);
    // A Local Connections Fund-sized programme: 1,700 returns, 20 paired
    // participants each (68,000 responses).
    let returns = survey(1_700, 20);
    let rounds: Vec<RoundId> = {
        let mut r: Vec<RoundId> = returns.iter().map(|(r, _, _)| *r).collect();
        r.dedup();
        r.truncate(2);
        r
    };
    g.throughput(Throughput::Elements(returns.len() as u64));
    let build = || {
        let mut b = OutcomeBuilder::new(rounds.iter().copied());
        for (round, region, responses) in &returns {
            b.add(*round, *region, 40, responses);
        }
        b
    };
    g.bench_function("tally 1,700 returns", |b| b.iter(build));
    let built = build();
    g.bench_function("exact figures", |b| b.iter(|| black_box(&built).exact()));
    g.bench_function("published (disclosure control)", |b| {
        b.iter(|| black_box(&built).published())
    });
    g.finish();
}

fn events(n: i64) -> Vec<AuditEvent> {
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let fund = uuid::Uuid::now_v7();
    (1..=n)
        .map(|seq| AuditEvent {
            seq,
            id: uuid::Uuid::now_v7(),
            occurred_at: at + Duration::milliseconds(seq),
            actor_id: Some(uuid::Uuid::now_v7()),
            actor: "admin@example.org".to_owned(),
            action: "application.awarded".to_owned(),
            entity_type: "application".to_owned(),
            entity_id: uuid::Uuid::now_v7(),
            fund_id: Some(fund),
            before: Some(
                r#"{"status":"submitted","amount_requested":"2000.00","version":2}"#.to_owned(),
            ),
            after: Some(
                r#"{"status":"awarded","amount_requested":"2000.00","version":3}"#.to_owned(),
            ),
        })
        .collect()
}

fn audit(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit");
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 1).unwrap();
    let events = events(1_000);
    let first = seal(None, &events[0], at);
    g.bench_function("seal one event", |b| {
        b.iter(|| seal(Some(black_box(&first)), black_box(&events[1]), at))
    });
    g.throughput(Throughput::Elements(events.len() as u64));
    let chain = |events: &[AuditEvent]| {
        let mut links = Vec::with_capacity(events.len());
        for event in events {
            let link = seal(links.last(), event, at);
            links.push(link);
        }
        links
    };
    g.bench_function("seal a chain of 1,000", |b| {
        b.iter(|| chain(black_box(&events)))
    });
    let links = chain(&events);
    g.bench_function("verify a chain of 1,000", |b| {
        b.iter_batched(
            || Verifier::new(true),
            |mut v| {
                for (link, event) in links.iter().zip(&events) {
                    v.check(link, Some(event));
                }
                v.finish()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// What the export's encoder thread does per grant: the grant built from
/// its award, grantee, fund and round, then written as JSON or a CSV row.
fn opendata(c: &mut Criterion) {
    use grantledger_domain::award::{Award, AwardStatus};
    use grantledger_domain::csv_writer::CsvWriter;
    use grantledger_domain::fund::{Fund, FundName, Funder};
    use grantledger_domain::ids::AwardId;
    use grantledger_domain::opendata::{GrantSource, Publisher};
    use grantledger_domain::org_id::OrgId;
    use grantledger_domain::reference::{AwardReference, FundCode};

    let mut g = c.benchmark_group("opendata");
    let funder = |name: &str, org_id: Option<&str>| Funder {
        name: OrganisationName::parse(name).unwrap(),
        org_id: org_id.map(|id| OrgId::parse(id).unwrap()),
        contribution: m("2000000.00"),
    };
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse("BCF").unwrap(),
        FundName::parse("Building Connections Fund").unwrap(),
        None,
        vec![
            funder("Department for Digital, Culture, Media and Sport", None),
            funder("The National Lottery Community Fund", Some("GB-GOR-PB188")),
        ],
    )
    .unwrap();
    let (_, mut grantee) = round_and_grantee();
    grantee.org_id = Some(OrgId::parse("GB-CHC-1234567").unwrap());
    let round_id = RoundId::new();
    let awards: Vec<Award> = (1..=1_000)
        .map(|n| Award {
            id: AwardId::new(),
            reference: AwardReference::new(fund.code.clone(), 2, n).unwrap(),
            application_id: ApplicationId::new(),
            round_id,
            fund_id: fund.id,
            grantee_id: grantee.id,
            amount: m("2500.00"),
            paid: m("1250.00"),
            status: AwardStatus::Accepted,
        })
        .collect();
    let at = Utc.with_ymd_and_hms(2019, 7, 15, 10, 0, 0).unwrap();
    let sources: Vec<GrantSource<'_>> = awards
        .iter()
        .map(|award| GrantSource {
            award,
            title: "Tuesday lunches and a walking group",
            description: "A hot lunch and good company every Tuesday, and a walk on Thursdays for people who live alone.",
            amount_applied_for: m("3000.00"),
            awarded_at: at,
            modified_at: at,
            end_date: None,
            grantee: &grantee,
            fund: &fund,
            round_number: 2,
            round_name: "Round 2",
        })
        .collect();
    let publisher = Publisher::new("grantledger", "Grant Ledger", None).unwrap();
    g.throughput(Throughput::Elements(sources.len() as u64));
    let mut out = Vec::with_capacity(2 << 20);
    g.bench_function("1,000 grants as JSON", |b| {
        b.iter(|| {
            out.clear();
            for source in &sources {
                let grant = source.to_grant(&publisher).unwrap();
                serde_json::to_writer(&mut out, &grant).unwrap();
            }
            out.len()
        })
    });
    g.bench_function("1,000 grants as CSV rows", |b| {
        b.iter(|| {
            let mut writer = CsvWriter::new(Vec::with_capacity(2 << 20));
            for source in &sources {
                let grant = source.to_grant(&publisher).unwrap();
                writer.write_record(grant.csv_record(2)).unwrap();
            }
            writer.into_inner().unwrap().len()
        })
    });
    g.finish();
}

criterion_group!(benches, money, eligibility, outcomes, audit, opendata);
criterion_main!(benches);
