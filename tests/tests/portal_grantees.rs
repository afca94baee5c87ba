//! Registering and changing grantee organisations in the portal (issue
//! 17), on both backends: every field refused in words, an organisation
//! already held named (and registered anyway once the form says it is
//! different), changes saved at the version read, and only
//! administrators allowed.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{TestApp, api_tests, expect};

fn admin(app: &TestApp) -> (Visitor, String) {
    let email = app.user_email(Role::Admin, None);
    let token = app.login(&email, grantledger_tests::PASSWORD);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    (v, token)
}

const WALKERS: [(&str, &str); 7] = [
    ("name", "Mossley Walkers"),
    ("org_id", ""),
    ("organisation_type", "community_group"),
    ("region", "north_west"),
    ("local_authority", "Tameside"),
    ("postcode", "OL5 0AA"),
    ("annual_income", "12,500.00"),
];

fn an_administrator_registers_a_grantee(app: &TestApp) {
    let (mut v, token) = admin(app);
    assert!(
        v.get("/grantees")
            .expect(200)
            .body
            .contains("/grantees/new")
    );
    let form = v.get("/grantees/new").expect(200);
    assert!(form.body.contains("Register a grantee"));

    let blank = v.submit("/grantees/new", "/grantees/new", &[]);
    assert_eq!(blank.status, 422);
    for field in [
        "name",
        "organisation_type",
        "region",
        "local_authority",
        "postcode",
        "annual_income",
    ] {
        assert!(
            blank.body.contains(&format!("href=\"#{field}\"")),
            "{field}"
        );
    }
    let bad_postcode: Vec<(&str, &str)> = WALKERS
        .iter()
        .map(|&(k, v)| {
            if k == "postcode" {
                (k, "NOT A POSTCODE")
            } else {
                (k, v)
            }
        })
        .collect();
    let refused = v.submit("/grantees/new", "/grantees/new", &bad_postcode);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Mossley Walkers"), "kept as typed");

    let made = v
        .submit("/grantees/new", "/grantees/new", &WALKERS)
        .expect(303);
    let path = made.location().to_owned();
    let id = path.trim_start_matches("/grantees/").to_owned();
    let held = expect(app.get(&format!("/v1/grantees/{id}"), Some(&token)), 200);
    assert_eq!(held["name"], "Mossley Walkers");
    assert_eq!(held["annual_income"], "12500.00");
    assert_eq!(held["region"], "north_west");

    // The same name at the same postcode is named, then allowed once the
    // form says it is a different organisation.
    let again = v.submit("/grantees/new", "/grantees/new", &WALKERS);
    assert_eq!(again.status, 422);
    assert!(again.body.contains("already registered"), "{}", again.body);
    assert!(again.body.contains("distinct_organisation"));
    let mut distinct = WALKERS.to_vec();
    distinct.push(("distinct_organisation", "yes"));
    v.submit("/grantees/new", "/grantees/new", &distinct)
        .expect(303);
}

fn an_administrator_changes_a_grantee_at_the_version_read(app: &TestApp) {
    let (mut v, token) = admin(app);
    let id = {
        let made = v
            .submit("/grantees/new", "/grantees/new", &WALKERS)
            .expect(303);
        made.location().trim_start_matches("/grantees/").to_owned()
    };
    let edit = format!("/grantees/{id}/edit");
    assert!(
        v.get(&format!("/grantees/{id}"))
            .expect(200)
            .body
            .contains(&edit)
    );
    let form = v.get(&edit).expect(200);
    assert!(form.body.contains("value=\"Tameside\""));
    let csrf = form.csrf();
    let version =
        grantledger_tests::portal::value_after(&form.body, "name=\"version\" value=\"").unwrap();
    let mut changed: Vec<(&str, &str)> = WALKERS
        .iter()
        .map(|&(k, v)| {
            if k == "annual_income" {
                (k, "14000")
            } else {
                (k, v)
            }
        })
        .collect();
    changed.push(("csrf", &csrf));
    changed.push(("version", &version));
    v.post(&edit, &changed).expect(303);
    let held = expect(app.get(&format!("/v1/grantees/{id}"), Some(&token)), 200);
    assert_eq!(held["annual_income"], "14000.00");
    // The same form again is at an old version: refused, nothing changed.
    let mut stale = changed.clone();
    for pair in &mut stale {
        if pair.0 == "annual_income" {
            pair.1 = "99";
        }
    }
    let refused = v.post(&edit, &stale);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("changed this organisation"));
    let held = expect(app.get(&format!("/v1/grantees/{id}"), Some(&token)), 200);
    assert_eq!(held["annual_income"], "14000.00");
    v.get(&format!("/grantees/{}/edit", uuid::Uuid::now_v7()))
        .expect(404);
}

fn only_administrators_register_or_change_grantees(app: &TestApp) {
    let (mut admin, _) = admin(app);
    let made = admin
        .submit("/grantees/new", "/grantees/new", &WALKERS)
        .expect(303);
    let edit = format!("{}/edit", made.location());
    for role in [Role::Auditor, Role::Assessor] {
        let mut v = Visitor::new(app);
        v.sign_in(&app.user_email(role, None));
        assert_eq!(v.get("/grantees/new").status, 403, "{role:?}");
        assert_eq!(v.get(&edit).status, 403, "{role:?}");
        let home = v.get("/").expect(200);
        let csrf = home.csrf();
        assert_eq!(
            v.post("/grantees/new", &[("csrf", &csrf)]).status,
            403,
            "{role:?}"
        );
        assert_eq!(v.post(&edit, &[("csrf", &csrf)]).status, 403, "{role:?}");
    }
}

/// The grantee-wide due-diligence decision that payments need, from the
/// grantee's page: a pass, a second click refused in words, a fail that
/// revokes it; administrators only. The page lists the grantee's awards,
/// and an awarded application links to its award.
fn an_administrator_records_due_diligence_and_finds_the_awards(app: &TestApp) {
    let (mut v, token) = admin(app);
    let round = app.small_round(&token, "DDP", "Due Diligence Fund");
    let grantee = app.grantee(
        &token,
        grantledger_tests::tameside("Stalybridge Knit and Natter"),
        grantledger_tests::DueDiligence::NotDone,
    );
    let page = format!("/grantees/{}", grantee.id);
    let action = format!("{page}/due-diligence");
    let shown = v.get(&page).expect(200);
    assert!(shown.body.contains("Record a pass") && shown.body.contains("Record a fail"));
    assert!(shown.body.contains("No awards yet."));
    v.submit(&page, &action, &[("outcome", "passed")])
        .expect(303);
    let api = expect(
        app.get(&format!("/v1/grantees/{}", grantee.id), Some(&token)),
        200,
    );
    assert_eq!(api["due_diligence"]["status"], "passed", "{api}");
    let shown = v.get(&page).expect(200);
    assert!(
        !shown.body.contains("Record a pass"),
        "a pass is not offered twice"
    );
    // A second click from a page read before the first (a double submit).
    let again = v.post(&action, &[("csrf", &shown.csrf()), ("outcome", "passed")]);
    assert_eq!(again.status, 409);
    assert!(again.body.contains("govuk-error-summary"), "{}", again.body);
    for role in [Role::Auditor, Role::Assessor] {
        let mut other = Visitor::new(app);
        other.sign_in(&app.user_email(role, None));
        let seen = other.get(&page).expect(200);
        assert!(!seen.body.contains("Record a fail"), "{role:?}");
        let refused = other.post(&action, &[("csrf", &seen.csrf()), ("outcome", "failed")]);
        assert_eq!(refused.status, 403, "{role:?}");
    }
    v.submit(&page, &action, &[("outcome", "failed")])
        .expect(303);
    let api = expect(
        app.get(&format!("/v1/grantees/{}", grantee.id), Some(&token)),
        200,
    );
    assert_eq!(api["due_diligence"]["status"], "failed", "{api}");

    let application = app.submitted_application(&round, &grantee, "750.00");
    let award = app.award(&round, &application, "750.00");
    let reference = expect(app.get(&format!("/v1/awards/{award}"), Some(&token)), 200)["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = format!("href=\"/awards/{award}\"");
    let shown = v.get(&page).expect(200);
    assert!(
        shown.body.contains(&link) && shown.body.contains(&reference),
        "{}",
        shown.body
    );
    let shown = v.get(&format!("/applications/{application}")).expect(200);
    assert!(shown.body.contains(&link), "{}", shown.body);
}

api_tests!(
    an_administrator_registers_a_grantee,
    an_administrator_changes_a_grantee_at_the_version_read,
    only_administrators_register_or_change_grantees,
    an_administrator_records_due_diligence_and_finds_the_awards,
);
