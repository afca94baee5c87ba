//! Data for the process tests, written straight through the store so a
//! test can start with thousands of applications in seconds: a fund whose
//! first round is open now, community groups, submitted applications and
//! users with the tests' password.

// Each test binary that includes `common` uses only part of this.
#![allow(dead_code)]

use chrono::{Duration, Utc};
use grantledger_domain::Money;
use grantledger_domain::application::Application;
use grantledger_domain::fund::{Fund, FundName};
use grantledger_domain::grantee::{
    DueDiligence, DueDiligenceOutcome, Grantee, LocalAuthority, OrganisationName, OrganisationType,
    Postcode, Region,
};
use grantledger_domain::ids::{ApplicationId, FundId, GranteeId, RoundId, UserId};
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_domain::user::Role;
use grantledger_store::common::Actor;
use grantledger_store::testing::TestDb;

use super::PASSWORD;

/// Money from its decimal text.
pub fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

/// Who the seed data is recorded as.
pub fn actor() -> Actor {
    Actor::system("test")
}

/// A fund `code` of `budget` and its round 1, open from a day ago for
/// thirty days, with `allocation` and grants from `min` to `max`, open to
/// any organisation.
pub fn fund_and_open_round(
    code: &str,
    name: &str,
    budget: &str,
    allocation: &str,
    (min, max): (&str, &str),
) -> (Fund, Round) {
    let now = Utc::now();
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse(code).unwrap(),
        FundName::parse(name).unwrap(),
        Some(m(budget)),
        vec![],
    )
    .unwrap();
    let round = Round::new(
        RoundId::new(),
        fund.id,
        1,
        "Round 1",
        RoundWindow::new(now - Duration::days(1), now + Duration::days(30)).unwrap(),
        m(allocation),
        GrantRange::new(m(min), m(max)).unwrap(),
        Eligibility::default(),
    )
    .unwrap();
    (fund, round)
}

/// A community group in Lambeth with an income of £1,000, its due
/// diligence passed when `passed` and pending otherwise.
pub fn group(name: &str, passed: bool) -> Grantee {
    let pending = DueDiligence::pending();
    Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse(name).unwrap(),
        org_id: None,
        organisation_type: OrganisationType::CommunityGroup,
        region: Region::London,
        local_authority: LocalAuthority::parse("Lambeth").unwrap(),
        postcode: Postcode::parse("SE11 5QY").unwrap(),
        annual_income: m("1000.00"),
        due_diligence: if passed {
            pending
                .record(DueDiligenceOutcome::Passed, UserId::new(), Utc::now())
                .unwrap()
        } else {
            pending
        },
    }
}

/// `grantee`'s application to `round` for £100, submitted.
pub fn submitted(round: &Round, grantee: &Grantee, title: &str, summary: &str) -> Application {
    Application::draft(
        ApplicationId::new(),
        round.id,
        grantee.id,
        m("100.00"),
        title,
        summary,
    )
    .unwrap()
    .submit(round, grantee, Utc::now())
    .unwrap()
}

/// A user who signs in with [`PASSWORD`].
/// Staff also get two-factor sign-in, with an authenticator the tests hold.
pub fn user(db: &TestDb, email: &str, role: Role, grantee: Option<GranteeId>) {
    let user = grantledger_server::routes::users::create_user(
        &db.db,
        email,
        PASSWORD,
        role,
        grantee,
        &actor(),
    )
    .unwrap();
    if role.requires_two_factor() {
        let secret = grantledger_domain::two_factor::TotpSecret::parse(super::TOTP_SECRET).unwrap();
        db.db
            .write(|c| {
                grantledger_server::operations::two_factor::enrol_with_secret(
                    c,
                    &user.value,
                    &secret,
                    &actor(),
                    Utc::now(),
                )
            })
            .unwrap();
        super::has_authenticator(email);
    }
}
