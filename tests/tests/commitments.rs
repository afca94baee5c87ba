//! Commitments over HTTP, on both backends: the real pledge tracker imported
//! row for row, idempotent re-import, progress history, malformed files
//! refused whole, status by hand, filters, and the report in three formats.

use grantledger_domain::commitment::parse_tracker;
use grantledger_domain::user::Role;
use grantledger_tests::{TestApp, api_tests, expect};
use serde_json::{Value, json};

const REAL: &str = include_str!("../fixtures/pledge-tracker-appendix-2.txt");

fn import(app: &TestApp, token: &str, file: impl Into<reqwest::blocking::Body>) -> (u16, Value) {
    let response = app.post_raw("/v1/commitments/import", Some(token), "text/plain", file);
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

/// Every commitment, following `next` through the pages.
fn all(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after = String::new();
    loop {
        let page = expect(
            app.get(
                &format!("/v1/commitments?limit=25{query}{after}"),
                Some(token),
            ),
            200,
        );
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return items,
        }
    }
}

fn count_rows(app: &TestApp, table: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.db
        .db
        .read(|c| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<Count>(c)
                .map_err(grantledger_store::StoreError::from)
        })
        .unwrap()
        .n
}

/// What the database holds, to show that a refused import changed nothing.
fn snapshot(app: &TestApp, token: &str) -> (Vec<Value>, i64, i64) {
    (
        all(app, token, ""),
        count_rows(app, "commitment_history"),
        count_rows(app, "audit_events"),
    )
}

fn the_real_tracker_imports_row_for_row_and_again_changes_nothing(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let (status, summary) = import(app, &admin, REAL);
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["rows"], 61);
    assert_eq!(summary["created"], 61);

    // Read back as a grantee user: everyone signed in may read.
    let reader = app.user(Role::Auditor, None);
    let items = all(app, &reader, "");
    assert_eq!(items.len(), 61);

    // Every row of the file is there, with its text, departments and progress.
    let rows = parse_tracker(REAL.as_bytes()).unwrap();
    for row in &rows {
        let item = items
            .iter()
            .find(|i| i["number"] == row.number && i["occurrence"] == row.occurrence)
            .unwrap_or_else(|| panic!("pledge {} ({}) is missing", row.number, row.occurrence));
        assert_eq!(item["text"], row.text.as_str());
        assert_eq!(item["progress"], row.progress.as_str());
        let departments: Vec<&str> = row.departments.iter().map(|d| d.code()).collect();
        assert_eq!(item["departments"], json!(departments));
        assert_eq!(item["source_line"], row.line);
    }
    let numbered = |n: u64| items.iter().filter(|i| i["number"] == n).count();
    assert_eq!(numbered(50), 4);
    assert_eq!(numbered(51), 2);
    assert_eq!(numbered(38), 0);
    for n in (1..=58).filter(|n| ![38, 50, 51].contains(n)) {
        assert_eq!(numbered(n), 1, "pledge {n}");
    }
    let ten = items.iter().find(|i| i["number"] == 10).unwrap();
    assert_eq!(ten["progress"], "");
    assert_eq!(ten["status"], "not_reported");
    assert_eq!(ten["departments"], json!(["DHSC", "NHSE", "DWP"]));
    let texts: Vec<&str> = items
        .iter()
        .filter(|i| i["number"] == 50)
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert!(texts[2].starts_with("Extend Personal Advisor support"));
    // DFE and DfE are one department.
    assert!(
        items
            .iter()
            .all(|i| !i["departments"].as_array().unwrap().contains(&json!("DFE")))
    );
    let twenty_two = items.iter().find(|i| i["number"] == 22).unwrap();
    assert_eq!(twenty_two["departments"], json!(["DfE"]));
    assert!(
        items
            .iter()
            .all(|i| !i["text"].as_str().unwrap().contains("<p>"))
    );

    // Re-importing the same file changes nothing at all.
    let before = snapshot(app, &reader);
    let (status, summary) = import(app, &admin, REAL);
    assert_eq!(status, 200);
    assert_eq!(summary["created"], 0);
    assert_eq!(summary["unchanged"], 61);
    assert_eq!(summary["progress_changed"], 0);
    assert_eq!(snapshot(app, &reader), before);
}

fn a_changed_progress_becomes_a_history_entry(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    expect(
        app.post_raw("/v1/commitments/import", Some(&admin), "text/plain", REAL),
        200,
    );
    let changed = REAL.replace(
        "<p>PHE</p>\t<p>Campaign to launch shortly</p>",
        "<p>PHE</p>\t<p>Completed: campaign launched</p>",
    );
    assert_ne!(changed, REAL);
    let (status, summary) = import(app, &admin, changed.clone());
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["progress_changed"], 1);
    assert_eq!(summary["unchanged"], 60);

    let item = all(app, &admin, "&department=phe")
        .into_iter()
        .find(|i| i["number"] == 39)
        .unwrap();
    let id = item["id"].as_str().unwrap();
    let detail = expect(app.get(&format!("/v1/commitments/{id}"), Some(&admin)), 200);
    assert_eq!(detail["status"], "completed");
    assert_eq!(detail["progress"], "Completed: campaign launched");
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{detail}");
    assert_eq!(history[0]["status"], "not_started");
    assert_eq!(history[0]["progress"], "Campaign to launch shortly");
    assert_eq!(history[1]["status"], "completed");
    assert_eq!(history[1]["source"], "import");

    // The changed file again: nothing more.
    let (_, summary) = import(app, &admin, changed);
    assert_eq!(summary["unchanged"], 61);
}

fn malformed_files_are_refused_naming_the_line_and_change_nothing(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    expect(
        app.post_raw("/v1/commitments/import", Some(&admin), "text/plain", REAL),
        200,
    );
    let before = snapshot(app, &admin);

    // Good rows that would change things, then a row with one column on line 7.
    let too_few = "Pledge tracker\n\nPledge\tDept\tProgress\n\
                   1. Changed text.\tDCMS\tCompleted\n\
                   2. Changed text.\tDfE\tCompleted\n\
                   99. A new pledge.\tDCMS\tIn progress\n\
                   100. A pledge with no columns at all\n";
    let mut binary = b"Pledge\tDept\tProgress\n1. New.\tDCMS\tDone\n".to_vec();
    binary.extend_from_slice(&[0x00, 0xff, 0xfe, 0x01, 0x89, b'\n']);
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (too_few.as_bytes().to_vec(), "line 7", "1 column"),
        (binary, "line 3", "UTF-8"),
        (b"\x00\x01\x02\x03 binary\n".to_vec(), "line 1", "binary"),
        (Vec::new(), "line 1", "empty"),
    ];
    for (file, line, words) in cases {
        let response = app.post_raw("/v1/commitments/import", Some(&admin), "text/plain", file);
        assert_eq!(
            response.headers().get("Content-Type").unwrap(),
            "application/problem+json"
        );
        let problem = expect(response, 422);
        assert_eq!(problem["type"], "/problems/validation");
        assert_eq!(problem["errors"][0]["field"], line, "{problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{line}: {message}");
        assert!(
            problem["detail"].as_str().unwrap().contains(line),
            "{problem}"
        );
        assert_eq!(snapshot(app, &admin), before, "{line} changed something");
    }

    // Not sent as text, or too big.
    let response = app.post(
        "/v1/commitments/import",
        Some(&admin),
        &json!({"file": REAL}),
    );
    assert_eq!(expect(response, 415)["status"], 415);
    // The server answers 413 from the declared length without reading the
    // body, so send only the head (a client still sending would see the
    // connection close under it).
    assert_eq!(status_of_oversized_upload(app, &admin), 413);
    let response = app.post_raw(
        "/v1/commitments/import",
        Some(&admin),
        "text/plain; charset=latin1",
        REAL,
    );
    expect(response, 415);
    // Tab-separated-values is accepted as well.
    let response = app.post_raw(
        "/v1/commitments/import",
        Some(&admin),
        "text/tab-separated-values; charset=utf-8",
        REAL,
    );
    assert_eq!(expect(response, 200)["unchanged"], 61);
    assert_eq!(snapshot(app, &admin), before);
}

fn status_of_oversized_upload(app: &TestApp, token: &str) -> u16 {
    use std::io::{Read, Write};
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST /v1/commitments/import HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        1024 * 1024 + 1
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut buffer = [0u8; 64];
    let n = stream.read(&mut buffer).unwrap();
    String::from_utf8_lossy(&buffer[..n])
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

fn an_administrator_sets_a_status_with_a_note(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    expect(
        app.post_raw("/v1/commitments/import", Some(&admin), "text/plain", REAL),
        200,
    );
    let ten = all(app, &admin, "&status=not_reported");
    assert_eq!(ten.len(), 1);
    let id = ten[0]["id"].as_str().unwrap();
    let path = format!("/v1/commitments/{id}/status");

    let done = expect(
        app.post(
            &path,
            Some(&admin),
            &json!({"status": "in_progress", "note": "Reported at the March board"}),
        ),
        200,
    );
    assert_eq!(done["status"], "in_progress");
    assert_eq!(done["version"], 2);
    let history = done["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["source"], "manual");
    assert_eq!(history[1]["note"], "Reported at the March board");
    assert!(history[1]["by"].is_string());
    assert!(history[1]["at"].is_string());

    let again = expect(
        app.post(
            &path,
            Some(&admin),
            &json!({"status": "in_progress", "note": "again"}),
        ),
        409,
    );
    assert!(
        again["detail"]
            .as_str()
            .unwrap()
            .contains("already in_progress")
    );
    let bad = expect(
        app.post(&path, Some(&admin), &json!({"status": "done", "note": "x"})),
        422,
    );
    assert_eq!(bad["errors"][0]["field"], "status", "{bad}");
    let bad = expect(
        app.post(
            &path,
            Some(&admin),
            &json!({"status": "completed", "note": "  "}),
        ),
        422,
    );
    assert_eq!(bad["errors"][0]["field"], "note", "{bad}");
    expect(
        app.post(
            &format!("/v1/commitments/{}/status", uuid::Uuid::now_v7()),
            Some(&admin),
            &json!({"status": "completed", "note": "x"}),
        ),
        404,
    );

    // The same file again keeps the administrator's decision.
    expect(
        app.post_raw("/v1/commitments/import", Some(&admin), "text/plain", REAL),
        200,
    );
    let detail = expect(app.get(&format!("/v1/commitments/{id}"), Some(&admin)), 200);
    assert_eq!(detail["status"], "in_progress");
    assert_eq!(detail["history"].as_array().unwrap().len(), 2);
}

fn lists_filter_by_department_and_status(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    expect(
        app.post_raw("/v1/commitments/import", Some(&admin), "text/plain", REAL),
        200,
    );
    let grantee_reader = app.user(Role::Auditor, None);
    let dfe = all(app, &grantee_reader, "&department=dfe");
    let numbers: Vec<u64> = dfe.iter().map(|i| i["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [22, 23, 36, 37, 40, 41, 50, 50, 50, 50]);
    let nhse_done = all(app, &admin, "&department=NHSE&status=completed");
    let numbers: Vec<u64> = nhse_done
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [4, 6, 7, 9]);
    assert!(all(app, &admin, "&department=Ofsted").is_empty());
    let bad = expect(
        app.get("/v1/commitments?department=%3Cp%3E", Some(&admin)),
        422,
    );
    assert_eq!(bad["errors"][0]["field"], "department");
    expect(
        app.get("/v1/commitments?status=finished", Some(&admin)),
        422,
    );
    expect(app.get("/v1/commitments?colour=red", Some(&admin)), 422);
    expect(
        app.get(
            &format!("/v1/commitments/{}", uuid::Uuid::now_v7()),
            Some(&admin),
        ),
        404,
    );
}

fn the_report_comes_as_json_markdown_and_csv(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let empty = expect(app.get("/v1/commitments/report", Some(&admin)), 200);
    assert_eq!(empty["total"], 0);
    expect(
        app.post_raw("/v1/commitments/import", Some(&admin), "text/plain", REAL),
        200,
    );
    let reader = app.user(Role::Assessor, None);

    let report = expect(
        app.get("/v1/commitments/report?format=json", Some(&reader)),
        200,
    );
    assert_eq!(report["total"], 61);
    let by_status: Vec<(String, u64)> = report["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_status.iter().map(|(_, n)| n).sum::<u64>(), 61);
    assert!(by_status.contains(&("not_reported".to_owned(), 1)));
    let dfe = report["by_department"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"] == "DfE")
        .unwrap();
    assert_eq!(dfe["total"], 10);
    assert_eq!(report["pledges"].as_array().unwrap().len(), 61);
    let first_fifty = report["pledges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["number"] == 50)
        .unwrap();
    assert_eq!(first_fifty["label"], "50 (1)");
    assert_eq!(first_fifty["occurrence"], 1);

    let (status, content_type, markdown) =
        app.get_accepting("/v1/commitments/report", Some(&reader), "text/markdown");
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/markdown"), "{content_type}");
    assert!(markdown.starts_with("# Annual progress report"));
    assert!(markdown.contains("| **Total** | **61** |"));
    assert!(markdown.contains("| DfE (Department for Education) |"));
    assert!(markdown.contains("| 50 (4) | Provide £5m"));
    let (_, _, same) = app.get_accepting(
        "/v1/commitments/report?format=markdown",
        Some(&reader),
        "application/json",
    );
    assert_eq!(
        same.lines().skip(3).collect::<Vec<_>>(),
        markdown.lines().skip(3).collect::<Vec<_>>()
    );

    let (status, content_type, csv) =
        app.get_accepting("/v1/commitments/report", Some(&reader), "text/csv");
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "section,number,occurrence,pledge,departments,progress,status,department,count"
    );
    assert_eq!(csv.lines().filter(|l| l.starts_with("pledge,")).count(), 61);
    assert!(csv.contains("\nstatus,,,,,,not_reported,,1\n"));
    assert!(csv.contains("\ndepartment,,,,,,all,DfE,10\n"));
    assert!(csv.contains(",DHSC; NHSE; DWP,,not_reported,,\n"));
    let (_, _, csv_again) = app.get_accepting(
        "/v1/commitments/report?format=csv",
        Some(&reader),
        "text/markdown",
    );
    assert_eq!(csv_again, csv);

    expect(
        app.get("/v1/commitments/report?format=pdf", Some(&reader)),
        422,
    );
}

/// The portal's pages (issue 17): upload the tracker, read and filter it,
/// set a status with a note, read and download the report; only
/// administrators change anything.
fn the_portal_keeps_the_tracker(app: &TestApp) {
    use grantledger_domain::user::Role;
    use grantledger_tests::portal::Visitor;
    let admin_email = app.user_email(Role::Admin, None);
    let admin = app.login(&admin_email, grantledger_tests::PASSWORD);
    let mut v = Visitor::new(app);
    v.sign_in(&admin_email);
    assert!(
        v.get("/")
            .expect(200)
            .body
            .contains("href=\"/commitments\"")
    );
    let csrf = v.get("/commitments").expect(200).csrf();
    let refused = v.upload(
        "/commitments/import",
        &csrf,
        "file",
        b"no header here\nat all\n".to_vec(),
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("The file was not imported"));
    let done = v
        .upload(
            "/commitments/import",
            &csrf,
            "file",
            REAL.as_bytes().to_vec(),
        )
        .expect(200);
    assert!(done.body.contains("pledges:"), "{}", done.body);
    let held = all(app, &admin, "");
    assert!(!held.is_empty());
    let first = held[0]["id"].as_str().unwrap().to_owned();
    let list = v.get("/commitments").expect(200);
    assert!(list.body.contains(&format!("/commitments/{first}")));
    let completed = v.get("/commitments?status=completed").expect(200);
    let in_progress = v.get("/commitments?status=in_progress").expect(200);
    assert_ne!(completed.body, in_progress.body);
    assert_eq!(v.get("/commitments?status=nonsense").status, 422);

    // A new status needs a note; with one it joins the history.
    let path = format!("/commitments/{first}");
    let page = v.get(&path).expect(200);
    let csrf = page.csrf();
    let current = held[0]["status"].as_str().unwrap();
    let other = if current == "completed" {
        "ongoing"
    } else {
        "completed"
    };
    let action = format!("/commitments/{first}/status");
    let no_note = v.post(&action, &[("status", other), ("note", ""), ("csrf", &csrf)]);
    assert_eq!(no_note.status, 422);
    v.post(
        &action,
        &[
            ("status", other),
            ("note", "Checked with the department"),
            ("csrf", &csrf),
        ],
    )
    .expect(303);
    let page = v.get(&path).expect(200);
    assert!(page.body.contains("Checked with the department"));

    let report = v.get("/commitments/report").expect(200);
    assert!(report.body.contains("chart-commitments"));
    let csv = v.get("/commitments/report?format=csv").expect(200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .contains("commitments-report.csv")
    );

    // An auditor reads, and changes nothing.
    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    let page = auditor.get(&path).expect(200);
    assert!(!page.body.contains(&action));
    let csrf = page.csrf();
    assert_eq!(
        auditor
            .post(
                &action,
                &[("status", current), ("note", "x"), ("csrf", &csrf)]
            )
            .status,
        403
    );
    assert_eq!(
        auditor
            .upload(
                "/commitments/import",
                &csrf,
                "file",
                // A small file: a refusal before the body is read can close
                // the connection under a large one (docs/SECURITY.md).
                b"x\n".to_vec()
            )
            .status,
        403
    );
}

api_tests!(
    the_portal_keeps_the_tracker,
    the_real_tracker_imports_row_for_row_and_again_changes_nothing,
    a_changed_progress_becomes_a_history_entry,
    malformed_files_are_refused_naming_the_line_and_change_nothing,
    an_administrator_sets_a_status_with_a_note,
    lists_filter_by_department_and_status,
    the_report_comes_as_json_markdown_and_csv,
);
