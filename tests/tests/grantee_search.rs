//! Finding grantees (issues 17 and 20), on both backends: `GET /v1/grantees`
//! by name (ignoring case, spaces and punctuation), org id, postcode and
//! local authority, combined and paged; bad parameters refused naming them;
//! a grantee user still sees only its own organisation; and the staff
//! portal's search and detail pages.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, TestApp, api_tests, error_fields, expect};
use serde_json::{Value, json};

/// The names on a page of `GET /v1/grantees?{query}`.
fn names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page = expect(app.get(&format!("/v1/grantees?{query}"), Some(token)), 200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

fn register(app: &TestApp, admin: &str, changes: Value) -> String {
    app.grantee(admin, changes, DueDiligence::NotDone).id
}

/// Four grantees in two places.
fn some_grantees(app: &TestApp, admin: &str) {
    register(
        app,
        admin,
        json!({"name": "St Marys Church", "org_id": "GB-CHC-1000001",
               "local_authority": "Leeds", "postcode": "LS1 4DY", "region": "yorkshire_and_the_humber"}),
    );
    register(
        app,
        admin,
        json!({"name": "The Hebden Lunch Club", "local_authority": "Calderdale",
               "postcode": "HX7 8AD", "region": "yorkshire_and_the_humber"}),
    );
    register(
        app,
        admin,
        json!({"name": "St Mark's Youth Group", "local_authority": "Leeds",
               "postcode": "LS6 2AA", "region": "yorkshire_and_the_humber"}),
    );
    register(
        app,
        admin,
        json!({"name": "Friends & Neighbours", "local_authority": "North Tyneside",
               "postcode": "NE29 6AA"}),
    );
}

fn searches_by_name_ignoring_case_spaces_and_punctuation(app: &TestApp) {
    let admin = app.admin();
    some_grantees(app, &admin);
    assert_eq!(
        names(app, &admin, "name=st.%20mary's%20%20church"),
        ["St Marys Church"]
    );
    assert_eq!(names(app, &admin, "name=STMARYS"), ["St Marys Church"]);
    assert_eq!(
        names(app, &admin, "name=st"),
        ["St Marys Church", "St Mark's Youth Group"],
        "a beginning finds every name it starts"
    );
    assert_eq!(names(app, &admin, "name=hebden"), ["The Hebden Lunch Club"]);
    assert_eq!(
        names(app, &admin, "name=the%20hebden"),
        ["The Hebden Lunch Club"]
    );
    assert_eq!(
        names(app, &admin, "name=friends%20and"),
        ["Friends & Neighbours"]
    );
    assert!(
        names(app, &admin, "name=church").is_empty(),
        "a prefix, not a substring"
    );
}

fn searches_by_org_id_postcode_and_local_authority(app: &TestApp) {
    let admin = app.admin();
    some_grantees(app, &admin);
    assert_eq!(
        names(app, &admin, "org_id=GB-CHC-1000001"),
        ["St Marys Church"]
    );
    assert_eq!(
        names(app, &admin, "postcode=hx78ad"),
        ["The Hebden Lunch Club"]
    );
    assert_eq!(
        names(app, &admin, "local_authority=leeds"),
        ["St Marys Church", "St Mark's Youth Group"]
    );
    assert_eq!(
        names(app, &admin, "local_authority=NORTH%20%20tyneside"),
        ["Friends & Neighbours"]
    );
    assert!(names(app, &admin, "local_authority=Tyneside").is_empty());
}

fn filters_combine(app: &TestApp) {
    let admin = app.admin();
    some_grantees(app, &admin);
    assert_eq!(
        names(
            app,
            &admin,
            "name=st&local_authority=Leeds&postcode=LS6%202AA"
        ),
        ["St Mark's Youth Group"]
    );
    assert!(names(app, &admin, "name=hebden&local_authority=Leeds").is_empty());
    assert_eq!(
        names(
            app,
            &admin,
            "name=st&region=yorkshire_and_the_humber&organisation_type=community_group"
        ),
        ["St Marys Church", "St Mark's Youth Group"]
    );
    assert!(names(app, &admin, "name=friends&region=london").is_empty());
}

fn pages_through_matches_without_repeats_or_gaps(app: &TestApp) {
    let admin = app.admin();
    for i in 0..23 {
        register(app, &admin, json!({"name": format!("Paging Club {i:02}")}));
    }
    register(app, &admin, json!({"name": "Another Club"}));
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let query = match &after {
            Some(a) => format!("/v1/grantees?name=paging%20club&limit=5&after={a}"),
            None => "/v1/grantees?name=paging%20club&limit=5".to_owned(),
        };
        let page = expect(app.get(&query, Some(&admin)), 200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 5);
        seen.extend(items.iter().map(|g| g["name"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    let mut expected: Vec<String> = (0..23).map(|i| format!("Paging Club {i:02}")).collect();
    assert_eq!(seen, expected, "oldest first, each once");
    expected.sort();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 23);
}

fn bad_parameters_are_refused_naming_them(app: &TestApp) {
    let admin = app.admin();
    let long = "x".repeat(201);
    for (query, field) in [
        ("name=", "name"),
        ("name=%20%20", "name"),
        ("name=...", "name"),
        (&format!("name={long}") as &str, "name"),
        ("org_id=nonsense", "org_id"),
        ("postcode=NOTAPOSTCODE", "postcode"),
        ("local_authority=", "local_authority"),
    ] {
        let response = app.get(&format!("/v1/grantees?{query}"), Some(&admin));
        assert_eq!(
            grantledger_tests::content_type(&response),
            "application/problem+json",
            "{query}"
        );
        let problem = expect(response, 422);
        assert_eq!(error_fields(&problem), [field], "{query}: {problem}");
    }
    assert!(names(app, &admin, &format!("name={}", "x".repeat(200))).is_empty());
}

fn a_grantee_user_sees_only_its_own_organisation(app: &TestApp) {
    let admin = app.admin();
    some_grantees(app, &admin);
    let ours = app
        .grantee(
            &admin,
            json!({"name": "St Michael's Allotments", "local_authority": "Leeds", "postcode": "LS1 4DY"}),
            DueDiligence::NotDone,
        )
        .signed_in(app);
    let token = ours.user.clone().unwrap();
    for query in [
        "name=st",
        "name=st%20marys",
        "local_authority=Leeds",
        "postcode=LS1%204DY",
        "org_id=GB-CHC-1000001",
        "",
    ] {
        let found = names(app, &token, query);
        assert!(
            found.iter().all(|n| n == "St Michael's Allotments"),
            "{query}: {found:?}"
        );
    }
    assert_eq!(names(app, &token, "name=st"), ["St Michael's Allotments"]);
    assert!(names(app, &token, "name=st%20marys").is_empty());
}

fn signed_in(app: &TestApp, role: Role) -> Visitor {
    let mut v = Visitor::new(app);
    v.sign_in(&app.user_email(role, None));
    v
}

fn staff_search_grantees_and_open_one(app: &TestApp) {
    let admin_token = app.admin();
    some_grantees(app, &admin_token);
    let mut admin = signed_in(app, Role::Admin);
    let home = admin.get("/").expect(200);
    assert!(home.body.contains("href=\"/grantees\""), "{}", home.body);

    let all = admin.get("/grantees").expect(200);
    assert!(all.body.contains("St Marys Church"));
    assert!(all.body.contains("Neighbours"));

    let found = admin.get("/grantees?name=st.+mary%27s++church").expect(200);
    assert!(found.body.contains("St Marys Church"), "{}", found.body);
    assert!(!found.body.contains("Youth Group"));
    assert!(
        found.body.contains("value=\"st. mary&#x27;s  church\"") || found.body.contains("st. mary"),
        "the form keeps what was typed"
    );
    assert!(!found.body.contains("Hebden"));
    // The first link to a grantee that is not the form to register one.
    let id = found
        .body
        .split("href=\"/grantees/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .find(|id| id.parse::<uuid::Uuid>().is_ok())
        .expect("a link to the grantee");

    let detail = admin.get(&format!("/grantees/{id}")).expect(200);
    assert!(detail.body.contains("St Marys Church"));
    assert!(detail.body.contains("GB-CHC-1000001"));
    assert!(detail.body.contains("LS1 4DY"));
    assert!(
        detail
            .body
            .contains(&format!("/grantees/{id}/bank-details"))
    );

    let by_place = admin.get("/grantees?local_authority=leeds").expect(200);
    assert!(by_place.body.contains("St Mark"));
    assert!(!by_place.body.contains("Hebden"));

    let bad = admin.get("/grantees?postcode=nowhere").expect(200);
    assert!(bad.body.contains("govuk-error-summary"), "{}", bad.body);

    let mut auditor = signed_in(app, Role::Auditor);
    auditor.get("/grantees?name=hebden").expect(200);
}

fn grantee_users_cannot_search_grantees(app: &TestApp) {
    let admin = app.admin();
    let (ours, email) = app
        .grantee(&admin, json!({"name": "Our Club"}), DueDiligence::NotDone)
        .with_user_email(app);
    let mut visitor = Visitor::new(app);
    visitor.sign_in(&email);
    let status = visitor.get("/grantees").status;
    assert!(status == 403 || status == 404, "got {status}");
    let status = visitor.get(&format!("/grantees/{}", ours.id)).status;
    assert!(status == 403 || status == 404, "got {status}");
}

api_tests!(
    searches_by_name_ignoring_case_spaces_and_punctuation,
    searches_by_org_id_postcode_and_local_authority,
    filters_combine,
    pages_through_matches_without_repeats_or_gaps,
    bad_parameters_are_refused_naming_them,
    a_grantee_user_sees_only_its_own_organisation,
    staff_search_grantees_and_open_one,
    grantee_users_cannot_search_grantees,
);
