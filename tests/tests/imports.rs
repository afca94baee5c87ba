//! Bulk CSV imports over HTTP on both backends: grantees and award
//! decisions import all or nothing, report every bad line by number, and
//! change nothing when run twice.

use grantledger_store::awards::{self, AwardFilter};
use grantledger_store::common::PageRequest;
use grantledger_store::grantees::{self, GranteeFilter};
use grantledger_tests::{Grantee, TestApp, api_tests, assert_documents_idempotency_key, expect};
use serde_json::{Value, json};

const HEADER: &str =
    "name,org_id,organisation_type,region,local_authority,postcode,annual_income\n";

fn counts(app: &TestApp) -> (usize, usize) {
    app.db
        .db
        .read(|c| {
            let g = grantees::list(
                c,
                &GranteeFilter::default(),
                PageRequest::new(Some(500), None),
            )?;
            let a = awards::list(
                c,
                &AwardFilter::default(),
                PageRequest::new(Some(500), None),
            )?;
            Ok::<_, grantledger_store::StoreError>((g.items.len(), a.items.len()))
        })
        .unwrap()
}

fn import(
    app: &TestApp,
    token: &str,
    path: &str,
    file: impl Into<Vec<u8>>,
) -> reqwest::blocking::Response {
    app.post_raw(path, Some(token), "text/csv", file.into())
}

fn lines(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn grantee_imports_are_all_or_nothing_and_idempotent(app: &TestApp) {
    let admin = app.admin();
    let file = format!(
        "{HEADER}Reading Friends Lambeth,GB-CHC-1234567,registered_charity,london,Lambeth,SE11 5QY,60000.00\n\
         Made by Mortals CIC,GB-COH-09876543,cic,north_west,Tameside,OL6 7SF,48000\n\
         \"EPIC Dad, Bedford\",,community_group,east_of_england,Bedford,mk40 1sj,9500\n"
    );
    let before = counts(app);
    let summary = expect(
        import(app, &admin, "/v1/imports/grantees", file.clone()),
        200,
    );
    assert_eq!(
        summary,
        json!({"rows": 3, "created": 3, "updated": 0, "unchanged": 0})
    );
    assert_eq!(counts(app).0, before.0 + 3);
    // Twice: nothing changes.
    let again = expect(
        import(app, &admin, "/v1/imports/grantees", file.clone()),
        200,
    );
    assert_eq!(
        again,
        json!({"rows": 3, "created": 0, "updated": 0, "unchanged": 3})
    );
    // A changed income updates the same organisation (matched by name and postcode).
    let changed = file.replace("9500", "9900");
    let updated = expect(import(app, &admin, "/v1/imports/grantees", changed), 200);
    assert_eq!(
        updated,
        json!({"rows": 3, "created": 0, "updated": 1, "unchanged": 2})
    );
    assert_eq!(counts(app).0, before.0 + 3);

    // Malformed files: refused whole, every bad line named, nothing changed.
    let held = counts(app);
    let bad = format!(
        "{HEADER}New Group A,,community_group,london,Lambeth,SE11 5QY,100\n\
         New Group B,,charity,london,Lambeth,SE11 5QY,100\n\
         New Group C,,cic,london,Lambeth,SE11 5QY,1,000.00\n\
         New Group D,,cic,london,Lambeth,SE11 5QY,12.345\n\
         new group a,,community_group,london,Lambeth,se11 5qy,100\n\
         New Group E,GB-CHC-12,cic,atlantis,Lambeth,XX,100\n"
    );
    let problem = expect(import(app, &admin, "/v1/imports/grantees", bad), 422);
    let found = lines(&problem);
    let at: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        at,
        [
            "line 3", "line 4", "line 5", "line 6", "line 7", "line 7", "line 7"
        ],
        "{found:?}"
    );
    assert!(found[0].1.starts_with("organisation_type: "), "{found:?}");
    assert!(found[1].1.contains("fields"), "{found:?}");
    assert_eq!(found[2].1, "annual_income: more than 2 decimal places");
    assert_eq!(found[3].1, "the same organisation as line 2");
    assert_eq!(counts(app), held);

    let problem = expect(
        import(
            app,
            &admin,
            "/v1/imports/grantees",
            "name,postcode\nA,SE11 5QY\n",
        ),
        422,
    );
    assert!(lines(&problem).iter().all(|(f, _)| f == "line 1"));
    assert!(
        lines(&problem)
            .iter()
            .any(|(_, m)| m == "missing column \"region\"")
    );
    let mut latin1 = HEADER.as_bytes().to_vec();
    latin1.extend_from_slice(b"Caf\xe9 Club,,community_group,london,Lambeth,SE11 5QY,1\n");
    let problem = expect(import(app, &admin, "/v1/imports/grantees", latin1), 422);
    assert_eq!(lines(&problem)[0].0, "line 2");
    // A row that clashes with a held organisation's org id under another name
    // is an update, not a duplicate: the register number is the identity.
    assert_eq!(counts(app), held);

    // Media type, size, role.
    let wrong = app.post_raw(
        "/v1/imports/grantees",
        Some(&admin),
        "application/json",
        "{}",
    );
    expect(wrong, 415);
    // Over the limit: 413 as soon as the length is seen (the server may close
    // the connection while the client is still sending, which is also a refusal).
    let huge = vec![b'a'; 5 * 1024 * 1024];
    let sent = app
        .client
        .post(app.url("/v1/imports/grantees"))
        .bearer_auth(&admin)
        .header("Content-Type", "text/csv")
        .body(huge)
        .send();
    match sent {
        Ok(response) => assert_eq!(response.status().as_u16(), 413),
        Err(error) => assert!(error.is_request() || error.is_body(), "{error}"),
    }
    let auditor = app.auditor();
    expect(import(app, &auditor, "/v1/imports/grantees", file), 403);
    assert_eq!(counts(app), held);
}

fn award_imports_never_over_commit_and_are_idempotent(app: &TestApp) {
    let admin = app.admin();
    let fund = app.fund(&admin, "10000.00");
    let round = app.open_round(&fund, "5000.00", ("100.00", "2500.00"));
    expect(
        import(
            app,
            &admin,
            "/v1/imports/grantees",
            format!("{HEADER}Group,,community_group,london,Lambeth,SE11 5QY,100\n"),
        ),
        200,
    );
    let grantee = Grantee {
        id: expect(app.get("/v1/grantees", Some(&admin)), 200)["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        user: None,
    };
    let applications: Vec<String> = (0..3)
        .map(|i| {
            app.submitted_application_with(
                &round,
                &grantee,
                json!({"amount_requested": "2500.00", "project_title": format!("P{i}"), "summary": "S"}),
            )
        })
        .collect();
    let path = format!("/v1/rounds/{}/imports/awards", round.id);

    // Three awards of 2000 would take 6000 of a 5000 round: the third line
    // is refused and the first two are not kept either.
    let over = format!(
        "application_id,amount\n{},2000\n{},2000.00\n{},2000\n",
        applications[0], applications[1], applications[2]
    );
    let problem = expect(import(app, &admin, &path, over), 422);
    let found = lines(&problem);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "line 4");
    assert_eq!(counts(app).1, 0);

    // Bad values, an unknown application, a duplicate: every line named.
    let bad = format!(
        "application_id,amount\n{},abc\nnot-an-id,100\n{},100\n{},2000\n{},2000\n",
        applications[0],
        uuid::Uuid::now_v7(),
        applications[1],
        applications[1]
    );
    let found = lines(&expect(import(app, &admin, &path, bad), 422));
    let at: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(at, ["line 2", "line 3", "line 6"], "{found:?}");
    assert_eq!(counts(app).1, 0);
    let unknown = format!("application_id,amount\n{},100\n", uuid::Uuid::now_v7());
    let found = lines(&expect(import(app, &admin, &path, unknown), 422));
    assert!(found[0].1.contains("no application"), "{found:?}");

    // A good file awards; the same file again is unchanged; a different
    // amount for an awarded application is refused.
    let good = format!(
        "application_id,amount\n{},2000\n{},2500\n",
        applications[0], applications[1]
    );
    let summary = expect(import(app, &admin, &path, good.clone()), 200);
    assert_eq!(
        summary,
        json!({"rows": 2, "created": 2, "updated": 0, "unchanged": 0})
    );
    assert_eq!(counts(app).1, 2);
    let again = expect(import(app, &admin, &path, good), 200);
    assert_eq!(
        again,
        json!({"rows": 2, "created": 0, "updated": 0, "unchanged": 2})
    );
    let changed = format!("application_id,amount\n{},1500\n", applications[0]);
    let found = lines(&expect(import(app, &admin, &path, changed), 422));
    assert!(found[0].1.contains("already awarded 2000.00"), "{found:?}");
    assert_eq!(counts(app).1, 2);

    expect(
        import(
            app,
            &admin,
            &format!("/v1/rounds/{}/imports/awards", uuid::Uuid::now_v7()),
            "application_id,amount\n",
        ),
        404,
    );
}

/// A file over the upload limit is refused with a 413 that says what to do
/// instead: split it, or use the command line. The request declares its
/// length and sends nothing more, so the answer is read whatever the
/// client's timing.
fn a_too_large_file_is_told_to_split_or_use_the_cli(app: &TestApp) {
    use std::io::{Read, Write};
    let admin = app.admin();
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /v1/imports/grantees HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        5 * 1024 * 1024
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let problem: Value = serde_json::from_str(body).unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("split"), "{detail}");
    assert!(detail.contains("grantledger import grantees"), "{detail}");
}

/// Issue 14 item 4: an import retried with its `Idempotency-Key` (the
/// answer was lost) is answered as the first was and applies once; the same
/// key on another file is refused; both import routes list the key.
fn a_retried_import_applies_once(app: &TestApp) {
    let admin = app.admin();
    let send = |key: &str, file: &str| {
        app.client
            .post(app.url("/v1/imports/grantees"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", key)
            .header("Content-Type", "text/csv")
            .body(file.to_owned())
            .send()
            .unwrap()
    };
    let file = format!(
        "{HEADER}Hebden Lunch Club,,community_group,yorkshire_and_the_humber,Calderdale,HX1 1AA,9000.00\n"
    );
    let first = expect(send("import-once", &file), 200);
    assert_eq!(first["created"], 1);
    let again = send("import-once", &file);
    assert_eq!(
        again
            .headers()
            .get("Idempotent-Replayed")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("true".to_owned())
    );
    // The replay is the first answer (created 1), not a second run's
    // (unchanged 1).
    assert_eq!(expect(again, 200), first);
    assert_eq!(counts(app).0, 1);
    let other = format!(
        "{HEADER}Todmorden Tea Dance,,community_group,yorkshire_and_the_humber,Calderdale,OL14 5AA,3000.00\n"
    );
    expect(send("import-once", &other), 422);
    assert_eq!(counts(app).0, 1);

    assert_documents_idempotency_key(
        app,
        &[
            "/v1/imports/grantees",
            "/v1/rounds/{id}/imports/awards",
            "/v1/evaluation-returns/{id}/review",
        ],
    );
}

/// Matching is done in memory over the whole file: a re-import that adds
/// an org id and changes an income updates the records it matches (by name
/// and postcode, any case), keeps their ids, and registers only the new.
fn a_reimport_updates_what_it_matches_and_adds_the_rest(app: &TestApp) {
    let admin = app.admin();
    let first = format!(
        "{HEADER}Hebden Lunch Club,,community_group,yorkshire_and_the_humber,Calderdale,HX1 1AA,9000.00\n\
         Reading Friends Lambeth,GB-CHC-1234567,registered_charity,london,Lambeth,SE11 5QY,60000.00\n"
    );
    let summary = expect(import(app, &admin, "/v1/imports/grantees", first), 200);
    assert_eq!(
        (summary["created"].as_u64(), summary["updated"].as_u64()),
        (Some(2), Some(0))
    );
    let ids = |app: &TestApp| -> Vec<(String, String)> {
        let mut held: Vec<(String, String)> =
            expect(app.get("/v1/grantees?limit=500", Some(&admin)), 200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    (
                        g["name"].as_str().unwrap().to_owned(),
                        g["id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
        held.sort();
        held
    };
    let before = ids(app);
    let second = format!(
        "{HEADER}HEBDEN LUNCH CLUB,GB-CHC-7654321,registered_charity,yorkshire_and_the_humber,Calderdale,HX1 1AA,9000.00\n\
         Reading Friends Lambeth,GB-CHC-1234567,registered_charity,london,Lambeth,SE11 5QY,65000.00\n\
         Todmorden Tea Dance,,community_group,yorkshire_and_the_humber,Calderdale,OL14 5AA,3000.00\n"
    );
    let summary = expect(
        import(app, &admin, "/v1/imports/grantees", second.clone()),
        200,
    );
    assert_eq!(
        (
            summary["created"].as_u64(),
            summary["updated"].as_u64(),
            summary["unchanged"].as_u64()
        ),
        (Some(1), Some(2), Some(0))
    );
    let after = ids(app);
    assert_eq!(after.len(), 3, "{after:?}");
    let id_of = |list: &[(String, String)], name: &str| {
        list.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, id)| id.clone())
    };
    for name in ["Hebden Lunch Club", "Reading Friends Lambeth"] {
        assert_eq!(id_of(&before, name), id_of(&after, name), "{name}");
    }
    let summary = expect(import(app, &admin, "/v1/imports/grantees", second), 200);
    assert_eq!(summary["unchanged"].as_u64(), Some(3));
}

/// The portal's upload page (issue 17): the same rules, the summary or
/// every bad line shown, only administrators.
fn the_portal_imports_from_an_uploaded_file(app: &TestApp) {
    use grantledger_domain::user::Role;
    use grantledger_tests::portal::Visitor;
    let admin_email = app.user_email(Role::Admin, None);
    let admin = app.login(&admin_email, grantledger_tests::PASSWORD);
    let mut v = Visitor::new(app);
    v.sign_in(&admin_email);
    assert!(v.get("/").expect(200).body.contains("href=\"/imports\""));
    let page = v.get("/imports").expect(200);
    let csrf = page.csrf();
    let before = counts(app);
    let good = format!("{HEADER}Portal Group,,community_group,london,Lambeth,SE11 5QY,100\n");
    let done = v
        .upload("/imports/grantees", &csrf, "file", good.into_bytes())
        .expect(200);
    assert!(
        done.body.contains("Imported 1 lines: 1 created"),
        "{}",
        done.body
    );
    assert_eq!(counts(app).0, before.0 + 1);
    let bad = format!(
        "{HEADER}Group X,,charity,london,Lambeth,SE11 5QY,100\nGroup Y,,cic,london,Lambeth,SE11 5QY,12.345\n"
    );
    let refused = v.upload("/imports/grantees", &csrf, "file", bad.into_bytes());
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("The file was not imported"));
    assert!(refused.body.contains("line 2") && refused.body.contains("line 3"));
    assert_eq!(counts(app).0, before.0 + 1, "nothing changed");

    // Award decisions for a chosen round.
    let fund = app.fund(&admin, "10000.00");
    let round = app.open_round(&fund, "5000.00", ("100.00", "2500.00"));
    let grantee = Grantee {
        id: expect(app.get("/v1/grantees", Some(&admin)), 200)["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        user: None,
    };
    let application = app.submitted_application_with(
        &round,
        &grantee,
        json!({"amount_requested": "2500.00", "project_title": "P", "summary": "S"}),
    );
    let chosen = v.get(&format!("/imports?round={}", round.id)).expect(200);
    let action = format!("/rounds/{}/import-awards", round.id);
    assert!(chosen.body.contains(&action));
    let file = format!("application_id,amount\n{application},2000\n");
    let done = v
        .upload(&action, &chosen.csrf(), "file", file.into_bytes())
        .expect(200);
    assert!(done.body.contains("1 created"), "{}", done.body);
    assert_eq!(counts(app).1, 1);

    // Others may not.
    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    assert_eq!(auditor.get("/imports").status, 403);
    let csrf = auditor.get("/").expect(200).csrf();
    let file = format!("{HEADER}Sneaky,,community_group,london,Lambeth,SE11 5QY,100\n");
    assert_eq!(
        auditor
            .upload("/imports/grantees", &csrf, "file", file.into_bytes())
            .status,
        403
    );
}

api_tests!(
    the_portal_imports_from_an_uploaded_file,
    a_retried_import_applies_once,
    a_reimport_updates_what_it_matches_and_adds_the_rest,
    grantee_imports_are_all_or_nothing_and_idempotent,
    award_imports_never_over_commit_and_are_idempotent,
    a_too_large_file_is_told_to_split_or_use_the_cli
);
