//! Documents (issue 19): uploads to organisations, applications and
//! evaluation returns, sniffed by content, limited in size, superseded
//! rather than replaced, downloaded only by those who may see the owner,
//! and every download in the audit trail. Each test runs on SQLite and on
//! PostgreSQL.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, Grantee, Round, TestApp, api_tests, expect, tameside};
use reqwest::blocking::Response;
use serde_json::{Value, json};

const ACCEPTED: &str = "accepted types are PDF, PNG, JPEG, Word (DOCX), Excel (XLSX) and CSV";

struct World {
    admin: String,
    round: Round,
    ours: Grantee,
    ours_email: String,
    theirs: Grantee,
}

fn world(app: &TestApp) -> World {
    let admin = app.admin();
    let round = app.small_round(&admin, "DOC", "Documents fund");
    let (ours, ours_email) = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .with_user_email(app);
    let theirs = app
        .grantee(&admin, tameside("Theirs"), DueDiligence::Passed)
        .signed_in(app);
    World {
        admin,
        round,
        ours,
        ours_email,
        theirs,
    }
}

fn token(g: &Grantee) -> &str {
    g.user.as_deref().unwrap()
}

/// A PDF of `len` bytes: the signature, then filler.
fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..len.saturating_sub(9)).map(|i| (i % 251) as u8));
    bytes
}

fn upload(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
        .send()
        .unwrap()
}

fn org_path(g: &Grantee, kind: &str, name: &str) -> String {
    format!("/v1/grantees/{}/documents?kind={kind}&name={name}", g.id)
}

fn download(app: &TestApp, id: &str, token: &str) -> Response {
    app.get(&format!("/v1/attachments/{id}/content"), Some(token))
}

fn header<'a>(r: &'a Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

fn a_pdf_goes_up_and_comes_back_byte_identical(app: &TestApp) {
    let w = world(app);
    // Over two chunks of 256 KiB, so it is stored and sent in three.
    let file = pdf(600 * 1024);
    let up = expect(
        upload(
            app,
            &org_path(&w.ours, "governing_document", "Constitution%202025.pdf"),
            token(&w.ours),
            file.clone(),
        ),
        201,
    );
    assert_eq!(up["document_type"], "pdf");
    assert_eq!(up["file_name"], "Constitution 2025.pdf");
    assert_eq!(up["purpose"], "governing_document");
    assert_eq!(up["size_bytes"], 600 * 1024);
    let id = up["id"].as_str().unwrap().to_owned();
    for reader in [
        token(&w.ours),
        w.admin.as_str(),
        &app.assessor(),
        &app.auditor(),
    ] {
        let got = download(app, &id, reader);
        assert_eq!(got.status(), 200);
        assert_eq!(header(&got, "content-type"), "application/pdf");
        assert_eq!(
            header(&got, "content-disposition"),
            "attachment; filename=\"Constitution 2025.pdf\""
        );
        assert_eq!(header(&got, "x-content-type-options"), "nosniff");
        assert_eq!(header(&got, "cache-control"), "private, no-store");
        assert_eq!(got.bytes().unwrap().as_ref(), file.as_slice());
    }
    // A name outside ASCII is sent exactly as RFC 5987 `filename*`.
    let named = expect(
        upload(
            app,
            &org_path(&w.ours, "bank_statement", "Relev%C3%A9.pdf"),
            token(&w.ours),
            pdf(100),
        ),
        201,
    );
    let got = download(app, named["id"].as_str().unwrap(), token(&w.ours));
    assert_eq!(
        header(&got, "content-disposition"),
        "attachment; filename=\"Relev_.pdf\"; filename*=UTF-8''Relev%C3%A9.pdf"
    );
    let listed = expect(
        app.get(
            &format!("/v1/grantees/{}/documents", w.ours.id),
            Some(&w.admin),
        ),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    // Every download is in the audit trail: who, and which file.
    let trail = expect(
        app.get(
            &format!("/v1/audit-events?action=document.downloaded&entity_id={id}"),
            Some(&w.admin),
        ),
        200,
    );
    let events = trail["items"].as_array().unwrap();
    assert_eq!(events.len(), 4, "{trail}");
    assert!(
        events
            .iter()
            .all(|e| e["after"]["attachment_id"] == id.as_str())
    );
    assert!(events[0]["actor"].as_str().unwrap().starts_with("grantee:"));
    let attached = expect(
        app.get(
            &format!("/v1/audit-events?action=document.attached&entity_id={id}"),
            Some(&w.admin),
        ),
        200,
    );
    assert_eq!(attached["items"].as_array().unwrap().len(), 1);
}

fn mislabelled_files_are_refused_naming_the_accepted_types(app: &TestApp) {
    let w = world(app);
    let refused = |name: &str, bytes: &[u8], says: &str| {
        let problem = expect(
            upload(
                app,
                &org_path(&w.ours, "safeguarding_policy", name),
                token(&w.ours),
                bytes.to_vec(),
            ),
            422,
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{name}: {detail}");
        assert!(detail.ends_with(ACCEPTED), "{name}: {detail}");
    };
    refused(
        "invoice.pdf",
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "markup",
    );
    refused(
        "photo.png",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
        "Windows program",
    );
    refused("tool.png", b"\x7fELF\x02\x01\x01\x00", "Linux program");
    refused(
        "archive.docx",
        b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00evil.sh#!/bin/sh",
        "ZIP",
    );
    let empty = expect(
        upload(
            app,
            &org_path(&w.ours, "bank_statement", "x.csv"),
            token(&w.ours),
            Vec::new(),
        ),
        422,
    );
    assert!(empty["detail"].as_str().unwrap().contains("empty"));
    let kind = expect(
        upload(
            app,
            &org_path(&w.ours, "passport", "x.pdf"),
            token(&w.ours),
            pdf(10),
        ),
        422,
    );
    assert_eq!(kind["errors"][0]["field"], "kind");
    // A multipart form is not a raw body.
    let multipart = app
        .client
        .post(app.url(&org_path(&w.ours, "bank_statement", "x.pdf")))
        .bearer_auth(token(&w.ours))
        .header("Content-Type", "multipart/form-data; boundary=x")
        .body("--x--")
        .send()
        .unwrap();
    assert_eq!(multipart.status(), 415);
    // A CSV is accepted as CSV, whatever it is called.
    let csv = expect(
        upload(
            app,
            &org_path(&w.ours, "bank_statement", "statement.pdf"),
            token(&w.ours),
            b"date,amount\n2026-11-01,12.50\n".to_vec(),
        ),
        201,
    );
    assert_eq!(csv["document_type"], "csv");
    let listed = expect(
        app.get(
            &format!("/v1/grantees/{}/documents", w.ours.id),
            Some(token(&w.ours)),
        ),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}

/// A body of `total` bytes, a PDF by its first bytes, produced as it is
/// sent; `yielded` counts what the client has taken from it.
struct Generator {
    total: u64,
    yielded: Arc<AtomicU64>,
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let done = self.yielded.load(Ordering::SeqCst);
        if done >= self.total {
            return Ok(0);
        }
        let n = buf.len().min(64 * 1024).min((self.total - done) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = if done == 0 && i < 5 {
                b"%PDF-"[i]
            } else {
                b'x'
            };
        }
        self.yielded.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

fn too_large_is_refused_without_reading_it_all(app: &TestApp) {
    let w = world(app);
    let path = org_path(&w.ours, "bank_statement", "big.pdf");
    // Declared too large: refused before a byte is read. Only the head is
    // sent, so the answer can come only from the declared length.
    {
        use std::io::{Read, Write};
        let address = app.base.trim_start_matches("http://").to_owned();
        let mut socket = std::net::TcpStream::connect(&address).unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        write!(
            socket,
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            token(&w.ours),
            13 * 1024 * 1024
        )
        .unwrap();
        let mut head = [0u8; 12];
        socket.read_exact(&mut head).unwrap();
        assert_eq!(
            &head, b"HTTP/1.1 413",
            "refused on its declared length alone"
        );
    }
    // Streamed without a length: refused once past 12 MB, long before the
    // end. Whatever the client manages to push into the socket's buffers
    // after the refusal, it cannot send much past the limit (about 12.8 MB
    // is typical on loopback), let alone all 64 MB.
    let total = 64 * 1024 * 1024;
    let yielded = Arc::new(AtomicU64::new(0));
    let body = reqwest::blocking::Body::new(Generator {
        total,
        yielded: yielded.clone(),
    });
    let sent = app
        .client
        .post(app.url(&path))
        .bearer_auth(token(&w.ours))
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .send();
    let taken = yielded.load(Ordering::SeqCst);
    match sent {
        Ok(response) => {
            assert_eq!(response.status(), 413);
            let problem: Value = response.json().unwrap();
            assert_eq!(problem["type"], "/problems/payload-too-large");
            assert!(problem["detail"].as_str().unwrap().contains("12 MB"));
        }
        // The server may close the connection on the rest of the body.
        Err(error) => eprintln!("the refused upload ended after {taken} bytes with: {error}"),
    }
    assert!(
        taken < 20 * 1024 * 1024,
        "the client sent {taken} of {total} bytes before the refusal"
    );
    let listed = expect(
        app.get(
            &format!("/v1/grantees/{}/documents", w.ours.id),
            Some(token(&w.ours)),
        ),
        200,
    );
    assert!(listed["items"].as_array().unwrap().is_empty());
    // The refusal leaves the server serving.
    expect(upload(app, &path, token(&w.ours), pdf(1000)), 201);
}

fn another_organisation_sees_nothing(app: &TestApp) {
    let w = world(app);
    let doc = expect(
        upload(
            app,
            &org_path(&w.ours, "bank_statement", "s.pdf"),
            token(&w.ours),
            pdf(50),
        ),
        201,
    );
    let application = app.draft_application(&w.round, &w.ours, "500.00")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = expect(
        upload(
            app,
            &format!("/v1/applications/{application}/attachments?purpose=budget&name=b.csv"),
            token(&w.ours),
            b"item,amount\nTea,5\n".to_vec(),
        ),
        201,
    );
    let theirs = token(&w.theirs);
    for path in [
        format!("/v1/grantees/{}/documents", w.ours.id),
        format!("/v1/applications/{application}/attachments"),
        format!("/v1/attachments/{}", doc["id"].as_str().unwrap()),
        format!("/v1/attachments/{}/content", doc["id"].as_str().unwrap()),
        format!("/v1/attachments/{}", file["id"].as_str().unwrap()),
        format!("/v1/attachments/{}/content", file["id"].as_str().unwrap()),
        format!("/v1/attachments/{}", uuid::Uuid::now_v7()),
    ] {
        assert_eq!(app.get(&path, Some(theirs)).status(), 404, "{path}");
    }
    for path in [
        org_path(&w.ours, "bank_statement", "mine.pdf"),
        format!("/v1/applications/{application}/attachments?purpose=budget"),
    ] {
        assert_eq!(upload(app, &path, theirs, pdf(50)).status(), 404, "{path}");
    }
    // Their failed attempts left nothing behind.
    let listed = expect(
        app.get(
            &format!("/v1/grantees/{}/documents", w.ours.id),
            Some(&w.admin),
        ),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

fn a_second_upload_supersedes_the_first(app: &TestApp) {
    let w = world(app);
    let application = app.draft_application(&w.round, &w.ours, "500.00")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = |name: &str| {
        format!("/v1/applications/{application}/attachments?purpose=budget-table&name={name}")
    };
    let first = expect(upload(app, &path("v1.pdf"), token(&w.ours), pdf(300)), 201);
    let second = expect(upload(app, &path("v2.pdf"), token(&w.ours), pdf(400)), 201);
    // Another question's file stands beside them.
    expect(
        upload(
            app,
            &format!("/v1/applications/{application}/attachments?purpose=accounts"),
            token(&w.ours),
            pdf(200),
        ),
        201,
    );
    let listed = expect(
        app.get(
            &format!("/v1/applications/{application}/attachments"),
            Some(token(&w.ours)),
        ),
        200,
    );
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    let budget: Vec<_> = items
        .iter()
        .filter(|i| i["purpose"] == "budget-table")
        .collect();
    assert_eq!(budget.len(), 1);
    assert_eq!(budget[0]["id"], second["id"]);
    let old = expect(
        app.get(
            &format!("/v1/attachments/{}", first["id"].as_str().unwrap()),
            Some(&w.admin),
        ),
        200,
    );
    assert_eq!(old["superseded_by"], second["id"]);
    assert!(old["superseded_at"].is_string());
    let got = download(app, first["id"].as_str().unwrap(), &w.admin);
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().unwrap().as_ref(), pdf(300).as_slice());
    // The same bytes again are stored once, under the same digest.
    let again = expect(
        upload(app, &path("v2-again.pdf"), token(&w.ours), pdf(400)),
        201,
    );
    assert_eq!(again["sha256"], second["sha256"]);
    let bad = expect(
        upload(
            app,
            &format!("/v1/applications/{application}/attachments?purpose=Budget%20table"),
            token(&w.ours),
            pdf(10),
        ),
        422,
    );
    assert_eq!(bad["errors"][0]["field"], "purpose");
}

fn a_submitted_application_keeps_its_files(app: &TestApp) {
    let w = world(app);
    let application = app.draft_application(&w.round, &w.ours, "500.00")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/applications/{application}/attachments?purpose=budget");
    expect(upload(app, &path, token(&w.ours), pdf(100)), 201);
    app.submit(&w.round, &w.ours, &application);
    let refused = expect(upload(app, &path, token(&w.ours), pdf(120)), 409);
    assert!(
        refused["detail"].as_str().unwrap().contains("draft"),
        "{refused}"
    );
    assert_eq!(upload(app, &path, &w.admin, pdf(120)).status(), 409);
    let listed = expect(
        app.get(
            &format!("/v1/applications/{application}/attachments"),
            Some(&app.assessor()),
        ),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["size_bytes"], 100);
}

/// Evidence goes with a return from its first submission, through a
/// request for changes, until the fund accepts it; then it is fixed.
fn return_evidence_until_the_return_is_accepted(app: &TestApp) {
    let w = world(app);
    let award = app.accepted_award(&w.round, &w.ours, "500.00");
    let body = json!({
        "period_start": "2026-04-01", "period_end": "2026-09-30",
        "participants_reached": 12, "volunteers": 2, "sessions_delivered": 20,
        "narrative": "Weekly lunches.", "responses": []
    });
    let returns = format!("/v1/awards/{award}/evaluation-returns");
    let submitted = expect(app.post(&returns, Some(token(&w.ours)), &body), 201);
    let id = submitted["id"].as_str().unwrap();
    let path = format!("/v1/evaluation-returns/{id}/attachments?name=register.csv");
    let csv = b"date,attendees\n2026-05-01,14\n".to_vec();
    let evidence = expect(upload(app, &path, token(&w.ours), csv.clone()), 201);
    assert_eq!(evidence["purpose"], "evidence");
    assert_eq!(evidence["owner_kind"], "evaluation_return");
    assert_eq!(upload(app, &path, token(&w.theirs), pdf(10)).status(), 404);
    // Staff cannot attach on the grantee's behalf.
    assert_eq!(upload(app, &path, &w.admin, pdf(10)).status(), 403);
    let review = format!("/v1/evaluation-returns/{id}/review");
    expect(
        app.post(
            &review,
            Some(&w.admin),
            &json!({"decision": "request_changes", "comment": "Please add the photographs"}),
        ),
        200,
    );
    let photos = format!("/v1/evaluation-returns/{id}/attachments?name=photos.pdf");
    expect(upload(app, &photos, token(&w.ours), pdf(64)), 201);
    expect(app.post(&returns, Some(token(&w.ours)), &body), 201);
    expect(
        app.post(&review, Some(&w.admin), &json!({"decision": "accept"})),
        200,
    );
    let fixed = expect(upload(app, &photos, token(&w.ours), pdf(80)), 409);
    assert!(
        fixed["detail"].as_str().unwrap().contains("accepted"),
        "{fixed}"
    );
    let list = format!("/v1/evaluation-returns/{id}/attachments");
    let listed = expect(app.get(&list, Some(&app.auditor())), 200);
    // The later file supersedes the first (which the store keeps).
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["file_name"], "photos.pdf");
    assert_eq!(app.get(&list, Some(&app.assessor())).status(), 403);
    assert_eq!(app.get(&list, Some(token(&w.theirs))).status(), 404);
}

fn the_portal_uploads_lists_and_downloads(app: &TestApp) {
    let w = world(app);
    let mut v = Visitor::new(app);
    v.sign_in(&w.ours_email);
    let page = v.get("/organisation").expect(200);
    assert!(page.body.contains("No documents have been uploaded."));
    assert!(
        page.body
            .contains("action=\"/organisation/documents/bank_statement\"")
    );
    let csrf = page.csrf();
    // A web page is refused on the page, naming the accepted types.
    let refused = v.upload(
        "/organisation/documents/bank_statement",
        &csrf,
        "file-bank_statement",
        b"<html><body>hi</body></html>".to_vec(),
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(ACCEPTED), "{}", refused.body);
    // A wrong token is refused before the file is read.
    let forged = v.upload(
        "/organisation/documents/bank_statement",
        "not-the-token",
        "file-bank_statement",
        pdf(100),
    );
    assert_eq!(forged.status, 403);
    let done = v.upload(
        "/organisation/documents/bank_statement",
        &csrf,
        "file-bank_statement",
        pdf(2048),
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let page = v.get("/organisation").expect(200);
    assert!(page.body.contains("Bank statement"));
    let listed = expect(
        app.get(
            &format!("/v1/grantees/{}/documents", w.ours.id),
            Some(&w.admin),
        ),
        200,
    );
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let link = format!("/attachments/{id}/download");
    assert!(page.body.contains(&link), "{}", page.body);
    let got = v.get(&link).expect(200);
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    assert!(got.header("content-disposition").starts_with("attachment;"));
    // Staff see it on the grantee's page, and may download it.
    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Auditor, None));
    let staff_page = staff.get(&format!("/grantees/{}", w.ours.id)).expect(200);
    assert!(staff_page.body.contains(&link));
    staff.get(&link).expect(200);
    // Another organisation's user finds nothing there.
    let theirs_id: GranteeId = w.theirs.id.parse::<uuid::Uuid>().unwrap().into();
    let mut other = Visitor::new(app);
    other.sign_in(&app.user_email(Role::Grantee, Some(theirs_id)));
    other.get(&link).expect(404);
}

/// A return's evidence in the portal: no form until the fund asks for
/// changes; then its grantee attaches a file from the return's page (a
/// file of a type not accepted is refused on the page, naming the types)
/// and the file is listed there, for the fund's staff too, with a link
/// that downloads it; another organisation's user finds nothing.
fn the_portal_attaches_evidence_to_a_return(app: &TestApp) {
    let w = world(app);
    let award = app.accepted_award(&w.round, &w.ours, "500.00");
    let page_path = format!("/awards/{award}/return");
    let attach = format!("/awards/{award}/return/evidence");
    let form = format!("action=\"{attach}\"");
    let mut v = Visitor::new(app);
    v.sign_in(&w.ours_email);
    // No return yet: nothing to attach to.
    let csrf = v.get(&page_path).expect(200).csrf();
    let early = v.upload_named(&attach, &csrf, "evidence", "register.pdf", pdf(64));
    assert_eq!(early.status, 409, "{}", early.body);
    let submitted = expect(
        app.post(
            &format!("/v1/awards/{award}/evaluation-returns"),
            Some(token(&w.ours)),
            &json!({
                "period_start": "2026-04-01", "period_end": "2026-09-30",
                "participants_reached": 12, "volunteers": 2, "sessions_delivered": 20,
                "narrative": "Weekly lunches.", "responses": []
            }),
        ),
        201,
    );
    let page = v.get(&page_path).expect(200);
    assert!(page.body.contains("No evidence has been attached."));
    assert!(page.body.contains(&form), "{}", page.body);
    let csrf = page.csrf();
    let refused = v.upload_named(
        &attach,
        &csrf,
        "evidence",
        "register.pdf",
        b"<html><body>hi</body></html>".to_vec(),
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(ACCEPTED), "{}", refused.body);
    let forged = v.upload_named(
        &attach,
        "not-the-token",
        "evidence",
        "register.pdf",
        pdf(64),
    );
    assert_eq!(forged.status, 403);
    let done = v.upload_named(&attach, &csrf, "evidence", "register.pdf", pdf(2048));
    assert_eq!(done.status, 303, "{}", done.body);
    let back = format!("{page_path}?done=evidence");
    assert_eq!(done.header("location"), format!("{back}#evidence"));
    let page = v.get(&back).expect(200);
    assert!(page.body.contains("Your file is attached to the return."));
    assert!(page.body.contains("register.pdf"), "{}", page.body);
    let return_id = submitted["id"].as_str().unwrap();
    let listed = expect(
        app.get(
            &format!("/v1/evaluation-returns/{return_id}/attachments"),
            Some(&w.admin),
        ),
        200,
    );
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let link = format!("/attachments/{}/download", items[0]["id"].as_str().unwrap());
    assert!(page.body.contains(&link));
    v.get(&link).expect(200);
    // The fund's staff see it on the same page, without the form.
    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Admin, None));
    let staff_page = staff.get(&page_path).expect(200);
    assert!(staff_page.body.contains(&link));
    assert!(!staff_page.body.contains(&form));
    let staff_csrf = staff_page.csrf();
    let staff_post = staff.upload_named(&attach, &staff_csrf, "evidence", "x.pdf", pdf(64));
    assert_eq!(staff_post.status, 403);
    // Accepted, the evidence is fixed: no form, and a post is refused on
    // the page.
    expect(
        app.post(
            &format!("/v1/evaluation-returns/{return_id}/review"),
            Some(&w.admin),
            &json!({"decision": "accept"}),
        ),
        200,
    );
    let page = v.get(&page_path).expect(200);
    assert!(!page.body.contains(&form));
    let fixed = v.upload_named(&attach, &page.csrf(), "evidence", "late.pdf", pdf(64));
    assert_eq!(fixed.status, 409, "{}", fixed.body);
    assert!(fixed.body.contains("accepted"), "{}", fixed.body);
    // Another organisation's user finds nothing.
    let theirs_id: GranteeId = w.theirs.id.parse::<uuid::Uuid>().unwrap().into();
    let mut other = Visitor::new(app);
    other.sign_in(&app.user_email(Role::Grantee, Some(theirs_id)));
    other.get(&page_path).expect(404);
    other.get(&link).expect(404);
}

api_tests!(
    a_pdf_goes_up_and_comes_back_byte_identical,
    mislabelled_files_are_refused_naming_the_accepted_types,
    too_large_is_refused_without_reading_it_all,
    another_organisation_sees_nothing,
    a_second_upload_supersedes_the_first,
    a_submitted_application_keeps_its_files,
    return_evidence_until_the_return_is_accepted,
    the_portal_uploads_lists_and_downloads,
    the_portal_attaches_evidence_to_a_return,
);
