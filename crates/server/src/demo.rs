//! A demonstration data set drawn from the government's loneliness
//! programme (annual report 2022, Open Government Licence v3.0): the £4m
//! Local Connections Fund with its partner funder and two rounds, the £7m
//! multi-funder Volunteering Futures Fund, grantees like those in the
//! report's case studies, and one user for each role. The Local
//! Connections Fund requires the four standard due-diligence checks; the
//! grantees paid from it have them recorded, one with a safeguarding
//! policy check that has expired.
//!
//! Loading is idempotent: if the demo administrator exists, nothing is added.

use chrono::{Duration, TimeZone, Utc};
use grantledger_domain::Money;
use grantledger_domain::application::Application;
use grantledger_domain::bank::BankAccount;
use grantledger_domain::disbursement::Disbursement;
use grantledger_domain::form::Form;
use grantledger_domain::fund::{Fund, FundName, Funder};
use grantledger_domain::grantee::{
    Check, CheckKind, CheckStatus, DueDiligence, DueDiligenceOutcome, Evidence, Grantee,
    LocalAuthority, NewCheck, OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{ApplicationId, CriterionId, DisbursementId};
use grantledger_domain::ids::{FundId, GranteeId, RoundId, UserId};
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_domain::user::{Email, Role};
use grantledger_store::bank_details::Keyring;
use grantledger_store::common::Actor;
use grantledger_store::disbursements::Outcome as Outcome2;
use grantledger_store::{
    Database, applications, awards, disbursements, due_diligence_checks, forms, funds, grantees,
    rounds, users,
};

use crate::error::ApiError;
use crate::operations;
use crate::operations::applications::{DecisionBody, Outcome, decide};
use crate::operations::bank_details;
use crate::operations::notices::Notices;
use crate::operations::users::create_user;

/// The password every demo user has. Demo mode only.
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// The two-factor secret of every demo staff user (base32): add it to an
/// authenticator app, or print its code with `grantledger user code`.
/// Demo mode only, like the password.
pub const DEMO_TWO_FACTOR_SECRET: &str = "DEMOGRANTLEDGERSTAFFTWOFACTORKEY";

/// The demo users: (email, role).
pub const DEMO_USERS: [(&str, Role); 6] = [
    ("admin@demo.grantledger.org", Role::Admin),
    ("assessor@demo.grantledger.org", Role::Assessor),
    ("auditor@demo.grantledger.org", Role::Auditor),
    ("grantee@demo.grantledger.org", Role::Grantee),
    // A second administrator, for the steps that need two: verifying bank
    // details another entered, approving a payment run another made.
    ("treasurer@demo.grantledger.org", Role::Admin),
    // A second assessor, so round 2's applications each have two.
    ("panel@demo.grantledger.org", Role::Assessor),
];

/// Staff must sign in with two factors; the demo's share one published
/// secret.
fn demo_two_factor(
    db: &Database,
    user: &grantledger_domain::user::User,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let secret = grantledger_domain::two_factor::TotpSecret::parse(DEMO_TWO_FACTOR_SECRET)
        .map_err(internal)?;
    db.write(|c| {
        crate::operations::two_factor::enrol_with_secret(c, user, &secret, actor, now).map(|_| ())
    })
}

fn m(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(|e| ApiError::Internal(e.to_string()))
}

fn internal<E: std::fmt::Display>(e: E) -> ApiError {
    ApiError::Internal(format!("demo data: {e}"))
}

fn funder(name: &str, pounds: i64) -> Result<Funder, ApiError> {
    // Open data names funders by their real org ids: the department and the
    // lottery distributor (a public body) are on the Government Organisation
    // Register; Pears Foundation is a registered charity. The others have
    // none here and get a 360G id from their name.
    let org_id = match name {
        "Department for Culture, Media and Sport" => Some("GB-GOR-D5"),
        "The National Lottery Community Fund" => Some("GB-GOR-PB188"),
        "Pears Foundation" => Some("GB-CHC-1009195"),
        _ => None,
    }
    .map(grantledger_domain::org_id::OrgId::parse)
    .transpose()
    .map_err(internal)?;
    Ok(Funder {
        name: OrganisationName::parse(name).map_err(internal)?,
        org_id,
        contribution: m(pounds * 100)?,
    })
}

struct DemoGrantee {
    name: &'static str,
    /// Registered charities and CICs carry their register's id, so the
    /// demo's open data shows recipients as good data does. The numbers are
    /// illustrative (the right shape for the register), not looked up.
    org_id: Option<&'static str>,
    kind: OrganisationType,
    region: Region,
    local_authority: &'static str,
    postcode: &'static str,
    income_pounds: i64,
}

const GRANTEES: [DemoGrantee; 5] = [
    DemoGrantee {
        name: "Made by Mortals CIC",
        org_id: Some("GB-COH-09876543"),
        kind: OrganisationType::Cic,
        region: Region::NorthWest,
        local_authority: "Tameside",
        postcode: "OL6 7SF",
        income_pounds: 48_000,
    },
    DemoGrantee {
        name: "EPIC Dad",
        org_id: None,
        kind: OrganisationType::CommunityGroup,
        region: Region::EastOfEngland,
        local_authority: "Bedford",
        postcode: "MK40 1SJ",
        income_pounds: 9_500,
    },
    DemoGrantee {
        name: "Big Steps 4 Change",
        org_id: None,
        kind: OrganisationType::CommunityGroup,
        region: Region::SouthWest,
        local_authority: "Plymouth",
        postcode: "PL1 2AA",
        income_pounds: 15_000,
    },
    DemoGrantee {
        name: "Reading Friends Lambeth",
        org_id: Some("GB-CHC-1234567"),
        kind: OrganisationType::RegisteredCharity,
        region: Region::London,
        local_authority: "Lambeth",
        postcode: "SE11 5QY",
        income_pounds: 60_000,
    },
    DemoGrantee {
        name: "Durham Online Chat Circle",
        org_id: None,
        kind: OrganisationType::CommunityGroup,
        region: Region::NorthEast,
        local_authority: "County Durham",
        postcode: "DH1 3HP",
        income_pounds: 4_200,
    },
];

/// Round 1's microgrants: every grantee applied; the first four were
/// awarded; those that passed due diligence accepted and were paid a first
/// tranche; the fifth was turned down.
fn microgrants(
    db: &Database,
    round: &Round,
    applicants: &[Grantee],
    actor: &Actor,
) -> Result<(), ApiError> {
    let submitted_at = round.window.opens_at() + Duration::days(3);
    db.write(|c| {
        for (i, grantee) in applicants.iter().enumerate() {
            let asked = m(200_000 + 10_000 * i64::try_from(i).unwrap_or(0))?;
            let draft = Application::draft(
                ApplicationId::new(),
                round.id,
                grantee.id,
                asked,
                &format!("{}: bringing people together", grantee.name),
                "Weekly sessions where people meet, make things and talk, so that nobody has to feel alone.",
            )
            .map_err(internal)?;
            let submitted = draft.submit(round, grantee, submitted_at).map_err(internal)?;
            applications::create(c, &submitted, round.fund_id, actor, submitted_at)?;
            let decision = if i < 4 {
                DecisionBody { outcome: Outcome::Award, amount: Some(asked), feedback: None, internal_note: None }
            } else {
                DecisionBody {
                    outcome: Outcome::Reject,
                    amount: None,
                    feedback: Some("Thank you for applying. The round was oversubscribed and we could not fund every good project.".into()),
                    internal_note: Some("Scored 5/10 by the panel: sound idea, but the budget lacked detail.".into()),
                }
            };
            let decided = decide(c, &Notices::default(), submitted.id, Some(round.id), &decision, actor)?;
            let Some(record) = decided.award else { continue };
            if !grantee.due_diligence.has_passed() {
                continue;
            }
            let accepted = record.value.award.accept().map_err(internal)?;
            let after = awards::Stored { award: accepted, ..record.value.clone() };
            let record = awards::save(c, &record, &after, None, "award.accepted", actor, Utc::now())?;
            let half = m(asked.pence() / 2)?;
            let due = round.window.closes_at().date_naive() + Duration::days(14);
            let tranche = Disbursement::schedule(DisbursementId::new(), &record.value.award, half, due, Money::ZERO, grantee)
                .map_err(internal)?;
            disbursements::schedule(c, &record.value, &tranche, actor, Utc::now())?;
            disbursements::settle(c, tranche.id, Outcome2::Paid, Some("demo BACS"), actor, Utc::now())?;
            // The rest is due now, for a payment run to pay.
            let rest = m(asked.pence() - half.pence())?;
            let tranche = Disbursement::schedule(DisbursementId::new(), &record.value.award, rest, now_date(), half, grantee)
                .map_err(internal)?;
            disbursements::schedule(c, &record.value, &tranche, actor, Utc::now())?;
        }
        Ok(())
    })
}

/// The four standard checks for each grantee that accepted an award (those
/// that passed due diligence), carried out a year ago and expiring in a
/// year; but the first's (the demo grantee user's organisation, whose
/// "Walk and talk" award has nothing scheduled yet) safeguarding policy
/// check expired a month ago, so scheduling a tranche of that award is
/// refused until the check is renewed.
fn checks(
    db: &Database,
    grantees: &[Grantee],
    admin: UserId,
    actor: &Actor,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let today = now_date();
    db.write(|c| {
        for (i, grantee) in grantees.iter().enumerate() {
            if !grantee.due_diligence.has_passed() {
                continue;
            }
            for kind in CheckKind::STANDARD {
                let lapsed = i == 0 && kind == CheckKind::SafeguardingPolicy;
                let (checked_on, expires_on, evidence) = if lapsed {
                    (
                        today - Duration::days(730),
                        today - Duration::days(30),
                        "Safeguarding policy dated two years ago; the renewed policy has not been sent",
                    )
                } else {
                    (
                        today - Duration::days(365),
                        today + Duration::days(365),
                        "Seen by the grants team (demo)",
                    )
                };
                let check = Check::record(
                    NewCheck {
                        kind,
                        status: CheckStatus::Passed,
                        evidence: Evidence::parse(evidence).map_err(internal)?,
                        checked_on: Some(checked_on),
                        expires_on: Some(expires_on),
                    },
                    admin,
                    now,
                )
                .map_err(internal)?;
                due_diligence_checks::record(c, grantee.id, &check, actor, now)?;
            }
        }
        Ok(())
    })
}

fn now_date() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

/// Bank details for the grantees with accepted awards, except the demo
/// grantee's own (entering them in the portal is one of its journeys):
/// entered by the first administrator and verified by the second, so a
/// payment run pays them and holds the demo grantee's tranche. The
/// accounts pass the modulus check (they are Pay.UK's published examples
/// of valid accounts) and belong to nobody.
fn verified_bank_details(
    db: &Database,
    bank_keys: &Keyring,
    grantees: &[Grantee],
    admin: UserId,
    treasurer: UserId,
) -> Result<(), ApiError> {
    let accounts = [("08-99-99", "66374958"), ("10-79-99", "88837491")];
    let entering = Actor::user(admin, DEMO_USERS[0].0);
    let verifying = Actor::user(treasurer, DEMO_USERS[4].0);
    // These grantees have no users, so no notice is written and the
    // portal address in one does not matter.
    let notices = Notices::default();
    for (grantee, (sort_code, number)) in grantees.iter().skip(1).zip(accounts) {
        let account = BankAccount::parse(grantee.name.as_str(), sort_code, number, "")
            .map_err(|e| internal(format!("{} bad bank fields", e.len())))?;
        db.write(|c| {
            bank_details::enter_as(c, bank_keys, &notices, &entering, grantee.id, &account)?;
            bank_details::verify(
                c,
                bank_keys,
                &notices,
                &verifying,
                grantee.id,
                "demo: confirmed by telephone with the treasurer on the number held",
            )
        })?;
    }
    Ok(())
}

/// The audit trail's name for the demo loader.
const DEMO_ACTOR: &str = "demo";

/// Whether the database holds nothing but demo data: every change in its
/// audit trail was made by the demo loader or by a demo user. An empty
/// database qualifies; one where anybody else has changed anything (a real
/// administrator, the CLI, an import) does not, and the demo's users with
/// their published password must never be added to it.
pub fn holds_only_demo_data(db: &Database) -> Result<bool, ApiError> {
    db.read(|c| {
        let (systems, user_ids) = grantledger_store::audit::actors(c)?;
        if systems.iter().any(|label| label != DEMO_ACTOR) {
            return Ok(false);
        }
        let mut demo_ids = Vec::new();
        for (email, _) in DEMO_USERS {
            let email = Email::parse(email).map_err(internal)?;
            if let Some((user, _)) = users::find_for_login(c, &email)? {
                demo_ids.push(user.value.id.as_uuid());
            }
        }
        Ok(user_ids.iter().all(|id| demo_ids.contains(id)))
    })
}

/// A microgrant form like the Local Connections Fund's (see forms/README.md).
pub const MICROGRANT_FORM: &str = include_str!("../forms/microgrant.json");
/// A small-grants form like The National Lottery Community Fund's.
pub const SMALL_GRANTS_FORM: &str = include_str!("../forms/small_grants.json");

/// Loads the demo data set unless it is already there. Returns whether it
/// loaded anything.
pub fn load(db: &Database, bank_keys: &Keyring) -> Result<bool, ApiError> {
    let admin_email = Email::parse(DEMO_USERS[0].0).map_err(internal)?;
    if db
        .read(|c| Ok::<_, ApiError>(users::find_for_login(c, &admin_email)?))?
        .is_some()
    {
        return Ok(false);
    }
    let actor = Actor::system(DEMO_ACTOR);
    let now = Utc::now();

    let lcf = Fund::new(
        FundId::new(),
        FundCode::parse("LCF").map_err(internal)?,
        FundName::parse("Local Connections Fund").map_err(internal)?,
        None,
        vec![
            funder("Department for Culture, Media and Sport", 2_000_000)?,
            funder("The National Lottery Community Fund", 2_000_000)?,
        ],
    )
    .map_err(internal)?
    .open()
    .map_err(internal)?;
    // The Local Connections Fund requires the four standard checks before
    // a tranche is scheduled (issue 20).
    let lcf = Fund {
        required_checks: CheckKind::STANDARD.to_vec(),
        ..lcf
    };
    let vff = Fund::new(
        FundId::new(),
        FundCode::parse("VFF").map_err(internal)?,
        FundName::parse("Volunteering Futures Fund").map_err(internal)?,
        None,
        vec![
            funder("Department for Culture, Media and Sport", 4_000_000)?,
            funder("Arts Council England", 1_000_000)?,
            funder("Pears Foundation", 1_000_000)?,
            funder("NHS Charities Together", 1_000_000)?,
        ],
    )
    .map_err(internal)?;

    let round =
        |fund: &Fund, number: u16, opens: chrono::DateTime<Utc>, weeks: i64, pounds: i64| {
            Round::new(
                RoundId::new(),
                fund.id,
                number,
                format!("Round {number}"),
                RoundWindow::new(opens, opens + Duration::weeks(weeks)).map_err(internal)?,
                m(pounds * 100)?,
                GrantRange::new(m(50_000)?, m(250_000)?).map_err(internal)?,
                Eligibility {
                    organisation_types: vec![
                        OrganisationType::RegisteredCharity,
                        OrganisationType::Cio,
                        OrganisationType::Cic,
                        OrganisationType::CommunityGroup,
                        OrganisationType::FaithGroup,
                    ],
                    max_annual_income: Some(m(10_000_000)?),
                    regions: vec![],
                    one_application_per_organisation: false,
                },
            )
            .map_err(internal)
        };
    let round_1 = round(
        &lcf,
        1,
        Utc.with_ymd_and_hms(2021, 1, 11, 9, 0, 0)
            .single()
            .ok_or_else(|| internal("date"))?,
        6,
        2_000_000,
    )?;
    // Round 2 is open now, so the demo can take applications.
    let round_2 = round(&lcf, 2, now - Duration::weeks(2), 8, 2_000_000)?;
    // The Volunteering Futures Fund's first round opens in three weeks: its
    // form can still be changed.
    let vff_round = round(&vff, 1, now + Duration::weeks(3), 8, 1_000_000)?;

    db.write(|c| {
        for fund in [&lcf, &vff] {
            funds::create(c, fund, &actor, now)?;
        }
        for r in [&round_1, &round_2, &vff_round] {
            rounds::create(c, r, &actor, now)?;
        }
        // Each round's form is set up before it opens; the demo is loaded
        // after round 2 opened, so it writes the form as set up then.
        for (r, form) in [(&round_2, MICROGRANT_FORM), (&vff_round, SMALL_GRANTS_FORM)] {
            let form: Form = serde_json::from_str(form).map_err(internal)?;
            forms::save(c, None, r.id, r.fund_id, &form, &actor, now)?;
        }
        Ok::<_, ApiError>(())
    })?;

    let admin = create_user(
        db,
        DEMO_USERS[0].0,
        DEMO_PASSWORD,
        Role::Admin,
        None,
        &actor,
    )?;
    demo_two_factor(db, &admin.value, &actor, now)?;
    let mut first_grantee: Option<GranteeId> = None;
    let mut registered: Vec<Grantee> = Vec::new();
    for (i, g) in GRANTEES.iter().enumerate() {
        let mut grantee = Grantee {
            id: GranteeId::new(),
            name: OrganisationName::parse(g.name).map_err(internal)?,
            org_id: g
                .org_id
                .map(grantledger_domain::org_id::OrgId::parse)
                .transpose()
                .map_err(internal)?,
            organisation_type: g.kind,
            region: g.region,
            local_authority: LocalAuthority::parse(g.local_authority).map_err(internal)?,
            postcode: Postcode::parse(g.postcode).map_err(internal)?,
            annual_income: m(g.income_pounds * 100)?,
            due_diligence: DueDiligence::pending(),
        };
        if i < 3 {
            grantee = grantee
                .record_due_diligence(DueDiligenceOutcome::Passed, admin.value.id, now)
                .map_err(internal)?;
        }
        db.write(|c| Ok::<_, ApiError>(grantees::create(c, &grantee, &actor, now)?))?;
        first_grantee.get_or_insert(grantee.id);
        registered.push(grantee);
    }

    let mut treasurer = None;
    let mut assessors = Vec::new();
    for (email, role) in DEMO_USERS.into_iter().skip(1) {
        let grantee = (role == Role::Grantee).then_some(first_grantee).flatten();
        let user = create_user(db, email, DEMO_PASSWORD, role, grantee, &actor)?;
        if role.requires_two_factor() {
            demo_two_factor(db, &user.value, &actor, now)?;
        }
        match role {
            Role::Admin => treasurer = Some(user.value.id),
            Role::Assessor => assessors.push(user.value.id),
            Role::Grantee | Role::Auditor => {}
        }
    }
    microgrants(db, &round_1, &registered, &actor)?;
    checks(db, &registered, admin.value.id, &actor)?;
    if let Some(treasurer) = treasurer {
        verified_bank_details(db, bank_keys, &registered, admin.value.id, treasurer)?;
    }
    evaluation_returns(db, lcf.id, &actor)?;
    if let Some(grantee) = registered.first() {
        portal_journeys(db, &round_1, grantee, &actor)?;
    }
    assessment_panel(db, &round_2, &registered, &assessors, &actor)?;
    Ok(true)
}

/// Round 2's assessment panel: weighted criteria, three applications each
/// assigned to both demo assessors, and scores that agree on one, disagree
/// on another, and leave the third for `assessor@` to score in the portal.
fn assessment_panel(
    db: &Database,
    round: &Round,
    registered: &[Grantee],
    assessors: &[UserId],
    actor: &Actor,
) -> Result<(), ApiError> {
    use grantledger_domain::assessment::assignment::AssessorsPerApplication;
    use grantledger_domain::assessment::criteria::{Criteria, Criterion, CriterionScore, Scale};
    use grantledger_domain::assessment::moderation::Margin;

    let criteria = Criteria::new(
        Scale::new(1, 5).map_err(internal)?,
        vec![
            Criterion::new(
                CriterionId::new(),
                "Reaches people who are lonely or at risk of loneliness",
                "5: most participants are chronically lonely; 1: few are",
                3,
            )
            .map_err(internal)?,
            Criterion::new(CriterionId::new(), "Led by and for the community", "", 2)
                .map_err(internal)?,
            Criterion::new(CriterionId::new(), "Value for money", "", 1).map_err(internal)?,
        ],
    )
    .map_err(internal)?;
    let ids: Vec<CriterionId> = criteria.criteria().iter().map(|c| c.id()).collect();
    let submitted_at = round.window.opens_at() + Duration::days(3);
    let projects = [
        ("Men's shed open mornings", 180_000, [[5, 4, 4], [4, 4, 3]]),
        (
            "Phone friends for housebound neighbours",
            95_000,
            [[5, 5, 4], [2, 3, 2]],
        ),
        ("Allotment afternoons", 140_000, [[0, 0, 0], [3, 4, 5]]),
    ];
    db.write(|c| {
        operations::panels::set_criteria(
            c,
            actor,
            round.id,
            &criteria,
            Margin::whole(1).map_err(internal)?,
        )?;
        let mut applied = Vec::new();
        for ((title, pence, scores), grantee) in projects.iter().zip(registered.iter().skip(1)) {
            let application = Application::draft(
                ApplicationId::new(),
                round.id,
                grantee.id,
                m(*pence)?,
                title,
                "Regular sessions where people meet, share a skill and talk, so that nobody is alone.",
            )
            .map_err(internal)?
            .submit(round, grantee, submitted_at)
            .map_err(internal)?;
            applications::create(c, &application, round.fund_id, actor, submitted_at)?;
            applied.push((application.id, scores));
        }
        operations::panels::assign_automatically(
            c,
            actor,
            round.id,
            AssessorsPerApplication::new(2).map_err(internal)?,
            assessors.to_vec(),
        )?;
        for (application, scores) in applied {
            for (assessor, sheet) in assessors.iter().zip(scores.iter()) {
                // A zero is "not scored yet": left for the assessor to do.
                if sheet.contains(&0) {
                    continue;
                }
                let principal = crate::auth::principal::Principal {
                    user_id: *assessor,
                    role: Role::Assessor,
                    grantee_id: None,
                };
                let scores = ids
                    .iter()
                    .zip(sheet.iter())
                    .map(|(id, score)| CriterionScore {
                        criterion_id: *id,
                        score: *score,
                        comment: String::new(),
                    })
                    .collect();
                operations::panels::score(c, &principal, application, scores)?;
            }
        }
        Ok(())
    })
}

/// Two more round-1 awards for the demo grantee, so that a newcomer signed
/// in as it can try every journey in the portal: an offer to accept or
/// decline, and an accepted award with no evaluation return yet. Made after
/// the returns above, so the published outcomes are unchanged.
fn portal_journeys(
    db: &Database,
    round: &Round,
    grantee: &Grantee,
    actor: &Actor,
) -> Result<(), ApiError> {
    let submitted_at = round.window.opens_at() + Duration::days(5);
    let projects = [
        (
            "Winter warmth café",
            "A warm room, soup and company on winter afternoons.",
            120_000,
            false,
        ),
        (
            "Walk and talk",
            "Weekly short walks in the park, ending with tea together.",
            90_000,
            true,
        ),
    ];
    db.write(|c| {
        for (title, summary, pence, accept) in projects {
            let asked = m(pence)?;
            let draft = Application::draft(
                ApplicationId::new(),
                round.id,
                grantee.id,
                asked,
                title,
                summary,
            )
            .map_err(internal)?;
            let submitted = draft
                .submit(round, grantee, submitted_at)
                .map_err(internal)?;
            applications::create(c, &submitted, round.fund_id, actor, submitted_at)?;
            let decision = DecisionBody {
                outcome: Outcome::Award,
                amount: Some(asked),
                feedback: None,
                internal_note: None,
            };
            let decided = decide(
                c,
                &Notices::default(),
                submitted.id,
                Some(round.id),
                &decision,
                actor,
            )?;
            if let (true, Some(record)) = (accept, decided.award) {
                let accepted = record.value.award.accept().map_err(internal)?;
                let after = awards::Stored {
                    award: accepted,
                    ..record.value.clone()
                };
                awards::save(
                    c,
                    &record,
                    &after,
                    None,
                    "award.accepted",
                    actor,
                    Utc::now(),
                )?;
            }
        }
        // And one turned down: the applicant reads the feedback, never
        // the panel's internal note.
        let draft = Application::draft(
            ApplicationId::new(),
            round.id,
            grantee.id,
            m(60_000)?,
            "Friday film club",
            "A film and a cup of tea every Friday afternoon, with a chat after.",
        )
        .map_err(internal)?;
        let submitted = draft
            .submit(round, grantee, submitted_at)
            .map_err(internal)?;
        applications::create(c, &submitted, round.fund_id, actor, submitted_at)?;
        let decision = DecisionBody {
            outcome: Outcome::Reject,
            amount: None,
            feedback: Some(
                "Thank you for applying. The panel funded projects reaching more people who \
                 are often lonely; we would welcome an application to a later round."
                    .into(),
            ),
            internal_note: Some(
                "Panel: 2/5 on reach (most members already attend other groups).".into(),
            ),
        };
        decide(
            c,
            &Notices::default(),
            submitted.id,
            Some(round.id),
            &decision,
            actor,
        )?;
        Ok(())
    })
}

/// Evaluation returns for the fund's accepted awards: survey responses of
/// 20 to 40 participants each at baseline and follow-up, made up for the
/// demo (no real person's answers). Enough people that the published
/// outcomes show rounded counts and means, and few enough in some answers
/// and regions that others are suppressed.
fn evaluation_returns(db: &Database, fund: FundId, actor: &Actor) -> Result<(), ApiError> {
    use grantledger_domain::award::AwardStatus;
    use grantledger_domain::evaluation::{
        DirectAnswer, ParticipantCode, ReturnContent, Stage, SurveyResponse, UclaAnswer,
    };
    use grantledger_store::awards::AwardFilter;
    use grantledger_store::common::PageRequest;
    use grantledger_store::evaluation;

    let filter = AwardFilter {
        fund_id: Some(fund),
        status: Some(AwardStatus::Accepted),
        ..AwardFilter::default()
    };
    let accepted = db.read(|c| {
        Ok::<_, ApiError>(awards::list(c, &filter, PageRequest::new(Some(100), None))?)
    })?;
    let direct = |level: usize| DirectAnswer::ALL.get(level.min(4)).copied();
    let ucla = |level: usize| UclaAnswer::ALL.get(level.min(2)).copied();
    for (k, record) in accepted.items.iter().enumerate() {
        let people = 40 - 9 * k;
        let mut responses = Vec::new();
        for p in 0..people {
            let code = ParticipantCode::parse(&format!("P-{k}{p:03}")).map_err(internal)?;
            // Loneliness from 0 (often/always, all items "often") to 4.
            let before = (p * 7 + k) % 5;
            // Most feel a little less lonely by follow-up; some no change,
            // a few more lonely.
            let after = match p % 6 {
                0..=2 => (before + 1).min(4),
                3 | 4 => before,
                _ => before.saturating_sub(1),
            };
            let answer = |stage, level: usize| SurveyResponse {
                stage,
                participant_code: Some(code.clone()),
                direct: direct(level).filter(|_| p % 11 != 5),
                lack_companionship: ucla(2 - level / 2),
                left_out: ucla((4 - level) / 2),
                isolated: ucla(2 - level.div_ceil(2)).filter(|_| p % 13 != 7),
            };
            responses.push(answer(Stage::Baseline, before));
            // One in eight did not answer at follow-up.
            if p % 8 != 3 {
                responses.push(answer(Stage::FollowUp, after));
            }
        }
        let award = &record.value.award;
        let date =
            |m, d| chrono::NaiveDate::from_ymd_opt(2021, m, d).ok_or_else(|| internal("date"));
        let content = ReturnContent {
            period_start: date(4, 1)?,
            period_end: date(9, 30)?,
            participants_reached: u32::try_from(people + 10).unwrap_or(u32::MAX),
            volunteers: 4,
            sessions_delivered: 24,
            narrative:
                "Weekly sessions ran all year; people who came at the start mostly kept coming."
                    .into(),
            case_study: None,
            responses,
        };
        db.write(|c| {
            let context = evaluation::award_context(c, award.id)?;
            evaluation::submit(c, &context, &content, actor, Utc::now())?;
            Ok::<_, ApiError>(())
        })?;
    }
    Ok(())
}
