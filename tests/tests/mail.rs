//! Mail (issue 18) over a real SMTP server on loopback (Python's
//! aiosmtpd, `tests/fixtures/smtp_sink.py`), on both backends: a change of
//! bank details reaches every user of the organisation with the number
//! masked, and a message enqueued while the mail server is down arrives
//! once it is back.
//!
//! The SMTP server and the Python it needs: `tests/fixtures/smtp.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::Role;
use grantledger_server::mail::{MailConfig, MailTransport};
use grantledger_store::outbox::{self, Status};
use grantledger_store::testing::TestDb;
use grantledger_tests::{DueDiligence, PASSWORD, TEST_ACCOUNT, TestApp, api_tests, expect};
use serde_json::json;

#[path = "../fixtures/smtp.rs"]
mod smtp;
use smtp::{Sink, python_or_skip};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Every message received, as (envelope recipient, decoded text).
fn received(dir: &Path) -> Vec<(String, String)> {
    let mut messages = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            let raw = std::fs::read_to_string(&path).unwrap();
            let to = raw
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("X-Envelope-To: "))
                .unwrap()
                .to_owned();
            messages.push((to, quoted_printable_decoded(&raw)));
        }
    }
    messages.sort();
    messages
}

/// Undoes quoted-printable (soft line breaks and `=XX`), which is enough
/// to search the ASCII text of a message: a soft break must not hide a
/// full account number from the check that it is absent.
fn quoted_printable_decoded(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

fn bank_details_notices_reach_every_user_and_survive_an_smtp_outage(db: TestDb, python: &Path) {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(python, port, dir.path());
    let mut mail = MailConfig::new(
        MailTransport::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap(),
        "grants@fund.example.org",
    )
    .unwrap();
    mail.poll_interval = Duration::from_millis(100);
    mail.retry_base = Duration::from_millis(200);
    let app = TestApp::start_with_mail(db, Some(mail));

    let admin_email = app.user_email(Role::Admin, None);
    let admin = app.login(&admin_email, PASSWORD);
    let grantee = app.grantee(&admin, json!({}), DueDiligence::NotDone);
    let grantee_id: GranteeId = grantee.id.parse::<uuid::Uuid>().unwrap().into();
    let mut users = vec![
        app.user_email(Role::Grantee, Some(grantee_id)),
        app.user_email(Role::Grantee, Some(grantee_id)),
    ];
    users.sort();
    // A user of another organisation hears nothing.
    let other = app.grantee(&admin, json!({"name": "Other Club"}), DueDiligence::NotDone);
    app.user_email(
        Role::Grantee,
        Some(other.id.parse::<uuid::Uuid>().unwrap().into()),
    );

    app.enter_bank_details(&admin, &grantee, TEST_ACCOUNT);
    wait_for("two messages", || received(dir.path()).len() >= 2);
    let first = received(dir.path());
    assert_eq!(first.len(), 2);
    let mut ids = Vec::new();
    for ((to, message), user) in first.iter().zip(&users) {
        assert_eq!(to, user);
        assert_eq!(
            header(message, "Subject"),
            Some("Your bank details were changed")
        );
        assert_eq!(header(message, "To"), Some(user.as_str()));
        assert_eq!(header(message, "From"), Some("grants@fund.example.org"));
        assert!(message.contains("****4958"), "{message}");
        assert!(!message.contains(TEST_ACCOUNT.1), "{message}");
        assert!(message.contains(&admin_email), "{message}");
        // Lines are wrapped between words: phrases may span two.
        let flat = message.replace("\r\n", " ").replace('\n', " ");
        assert!(flat.contains("(mandate fraud)"), "{message}");
        let id = header(message, "Message-ID").unwrap();
        assert!(id.starts_with('<') && id.ends_with("@grantledger>"), "{id}");
        ids.push(id.to_owned());
    }
    assert_ne!(ids[0], ids[1]);

    // The mail server goes away; a change made meanwhile is tried, fails,
    // waits in the outbox, and arrives once the server is back.
    sink.stop();
    app.enter_bank_details(&admin, &grantee, ("10-79-99", "88837491"));
    wait_for("a failed attempt", || {
        app.db
            .db
            .read(|c| outbox::list(c, Status::Pending, 10))
            .unwrap()
            .iter()
            .filter(|m| m.last_error.is_some())
            .count()
            == 2
    });
    assert_eq!(received(dir.path()).len(), 2);
    let _sink = Sink::start(python, port, dir.path());
    wait_for("four messages", || received(dir.path()).len() >= 4);
    let all = received(dir.path());
    let later: Vec<_> = all.iter().filter(|(_, m)| m.contains("****7491")).collect();
    assert_eq!(later.len(), 2, "{all:?}");
    for (to, message) in later {
        assert!(users.contains(to));
        assert!(!message.contains("88837491"), "{message}");
    }
    wait_for("every message marked sent", || {
        app.db
            .db
            .read(|c| outbox::list(c, Status::Sent, 10))
            .unwrap()
            .len()
            == 4
    });
    assert!(
        app.db
            .db
            .read(|c| outbox::list(c, Status::Pending, 10))
            .unwrap()
            .is_empty()
    );
    assert!(
        app.db
            .db
            .read(|c| outbox::list_failed(c, 10))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn on_sqlite() {
    if let Some(python) = python_or_skip() {
        bank_details_notices_reach_every_user_and_survive_an_smtp_outage(TestDb::sqlite(), &python);
    }
}

#[test]
fn on_postgres() {
    if let Some(python) = python_or_skip()
        && let Some(db) = TestDb::postgres()
    {
        bank_details_notices_reach_every_user_and_survive_an_smtp_outage(db, &python);
    }
}

/// An invitation (issue 18) reaches the invited address over SMTP, with
/// its single-use link to the portal, and that link opens the page.
fn an_invitation_arrives_with_its_link(db: TestDb, python: &Path) {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let _sink = Sink::start(python, port, dir.path());
    let mut mail = MailConfig::new(
        MailTransport::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap(),
        "grants@fund.example.org",
    )
    .unwrap();
    mail.poll_interval = Duration::from_millis(100);
    let app = TestApp::start_with_mail(db, Some(mail));
    let admin = app.admin();
    let to = format!("invited-{}@example.org", uuid::Uuid::now_v7().simple());
    let made = app.post(
        "/v1/users/invitations",
        Some(&admin),
        &json!({"email": to, "role": "assessor"}),
    );
    expect(made, 201);
    wait_for("the invitation", || !received(dir.path()).is_empty());
    let got = received(dir.path());
    assert_eq!(got.len(), 1);
    let (envelope, message) = &got[0];
    assert_eq!(envelope, &to);
    assert_eq!(
        header(message, "Subject"),
        Some("You have been invited to the grant fund's portal")
    );
    let start = message.find("/set-password/").expect("a link");
    let path: String = message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
        .collect();
    assert_eq!(path.len(), "/set-password/".len() + 43, "{message}");
    assert!(
        message.contains(&format!("http://127.0.0.1:8080{path}")),
        "{message}"
    );
    let page = app.client.get(app.url(&path)).send().unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains(&to));
}

#[test]
fn invitation_on_sqlite() {
    if let Some(python) = python_or_skip() {
        an_invitation_arrives_with_its_link(TestDb::sqlite(), &python);
    }
}

/// A self-signed certificate for 127.0.0.1 made with the openssl
/// command, as (certificate, key) PEM files in `dir`; `None` (skipped)
/// without openssl, except under CI=true.
fn certificate(dir: &Path) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            // A server's certificate, not an authority's: rustls refuses
            // a CA certificate presented by a server.
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "openssl is required under CI=true"
        );
        eprintln!("SKIPPED: the STARTTLS test needs the openssl command");
        return None;
    }
    Some((cert, key))
}

/// A mail server that requires STARTTLS: mail goes over TLS when the
/// server's certificate is trusted (here as GRANTLEDGER_SMTP_CA_FILE
/// would), and is not sent at all, in the clear or otherwise, when it is
/// not: the error names the certificate, and the message is kept to retry.
fn starttls_is_used_and_its_certificate_checked(db: TestDb, python: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let inbox = tempfile::tempdir().unwrap();
    let Some((cert, key)) = certificate(dir.path()) else {
        return;
    };
    let port = free_port();
    let _sink = Sink::start_tls(python, port, inbox.path(), (&cert, &key));
    let url = format!("smtp://127.0.0.1:{port}?tls=required");
    let pem = std::fs::read(&cert).unwrap();
    let mut mail = MailConfig::new(
        MailTransport::smtp_trusting(&url, Some(&pem)).unwrap(),
        "grants@fund.example.org",
    )
    .unwrap();
    mail.poll_interval = Duration::from_millis(100);
    let app = TestApp::start_with_mail(db, Some(mail));
    let admin = app.admin();
    let grantee = app.grantee(&admin, json!({}), DueDiligence::NotDone);
    let grantee_id: GranteeId = grantee.id.parse::<uuid::Uuid>().unwrap().into();
    app.user_email(Role::Grantee, Some(grantee_id));
    app.enter_bank_details(&admin, &grantee, TEST_ACCOUNT);
    wait_for("the message over TLS", || received(inbox.path()).len() == 1);

    // Not trusting the certificate: nothing is sent; the error says why.
    let untrusting = MailConfig::new(
        MailTransport::smtp(&url).unwrap(),
        "grants@fund.example.org",
    )
    .unwrap();
    let sent = app
        .db
        .db
        .read(|c| outbox::list(c, Status::Sent, 10))
        .unwrap();
    let refused = grantledger_server::mail::send(&untrusting, &sent[0]).unwrap_err();
    assert!(
        refused.to_string().to_lowercase().contains("certificate")
            || refused.to_string().contains("UnknownIssuer"),
        "{refused}"
    );
    assert!(
        !refused.is_permanent(),
        "a TLS failure is retried: {refused}"
    );
    assert_eq!(received(inbox.path()).len(), 1);
}

#[test]
fn starttls_on_sqlite() {
    if let Some(python) = python_or_skip() {
        starttls_is_used_and_its_certificate_checked(TestDb::sqlite(), &python);
    }
}

/// Without a dispatcher the messages stay in the outbox, where each step's
/// notices can be read: entered, verified and rejected each tell every
/// enabled user (not a disabled one), name who acted, and show only the
/// masked number; a refused step tells nobody.
fn each_step_tells_the_enabled_users_and_a_refused_step_nobody(app: &TestApp) {
    let entering_email = app.user_email(Role::Admin, None);
    let entering = app.login(&entering_email, PASSWORD);
    let deciding_email = app.user_email(Role::Admin, None);
    let deciding = app.login(&deciding_email, PASSWORD);
    let grantee = app.grantee(&entering, json!({}), DueDiligence::NotDone);
    let grantee_id: GranteeId = grantee.id.parse::<uuid::Uuid>().unwrap().into();
    let mut users = vec![
        app.user_email(Role::Grantee, Some(grantee_id)),
        app.user_email(Role::Grantee, Some(grantee_id)),
    ];
    users.sort();
    let disabled = app.user_email(Role::Grantee, Some(grantee_id));
    let disabled_id = app
        .db
        .db
        .read(|c| {
            grantledger_store::users::find_for_login(
                c,
                &grantledger_domain::user::Email::parse(&disabled).unwrap(),
            )
        })
        .unwrap()
        .unwrap()
        .0
        .value
        .id;
    expect(
        app.patch(
            &format!("/v1/users/{disabled_id}"),
            Some(&entering),
            Some("\"1\""),
            &json!({"disabled": true}),
        ),
        200,
    );
    let pending = || {
        app.db
            .db
            .read(|c| outbox::list(c, Status::Pending, 100))
            .unwrap()
    };
    let step = |from: usize, subject: &str, masked: &str, by: &str| {
        let all = pending();
        let mut new: Vec<_> = all.iter().skip(from).collect();
        new.sort_by(|a, b| a.to_address.cmp(&b.to_address));
        let to: Vec<&str> = new.iter().map(|m| m.to_address.as_str()).collect();
        assert_eq!(to, users, "{subject}");
        for m in new {
            assert_eq!(m.subject, subject);
            assert!(m.text_body.contains(masked), "{}", m.text_body);
            assert!(m.text_body.contains(by), "{}", m.text_body);
            assert!(!m.text_body.contains(TEST_ACCOUNT.1));
            assert!(!m.text_body.contains("88837491"));
        }
        all.len()
    };

    app.enter_bank_details(&entering, &grantee, TEST_ACCOUNT);
    let n = step(
        0,
        "Your bank details were changed",
        "****4958",
        &entering_email,
    );
    assert_eq!(n, 2);
    let decide = |token: &str, verb: &str| {
        app.post(
            &format!("/v1/grantees/{}/bank-details/{verb}", grantee.id),
            Some(token),
            &json!({"note": "called the treasurer on the number we hold"}),
        )
    };
    // The person who entered it may not verify it: nothing is sent.
    assert_eq!(decide(&entering, "verify").status().as_u16(), 403);
    assert_eq!(pending().len(), 2);
    expect(decide(&deciding, "verify"), 200);
    let n = step(
        n,
        "Your bank details were verified",
        "****4958",
        &deciding_email,
    );
    assert_eq!(n, 4);
    app.enter_bank_details(&entering, &grantee, ("10-79-99", "88837491"));
    let n = step(
        n,
        "Your bank details were changed",
        "****7491",
        &entering_email,
    );
    expect(decide(&deciding, "reject"), 200);
    let n = step(
        n,
        "Your bank details were rejected",
        "****7491",
        &deciding_email,
    );
    assert_eq!(n, 8);
    assert!(pending().iter().all(|m| m.to_address != disabled));
}

/// The messages put in the outbox since the first `from`, by recipient.
fn outbox_since(app: &TestApp, from: usize) -> Vec<outbox::Message> {
    let mut new: Vec<_> = app
        .db
        .db
        .read(|c| outbox::list(c, Status::Pending, 1000))
        .unwrap()
        .into_iter()
        .skip(from)
        .collect();
    new.sort_by(|a, b| a.to_address.cmp(&b.to_address));
    new
}

/// A fund with an open round, and Riverside Trust (due diligence passed,
/// bank details verified) with two users of its own.
struct Riverside {
    admin: String,
    fund: grantledger_tests::Fund,
    round: grantledger_tests::Round,
    grantee: grantledger_tests::Grantee,
    first: String,
    second: String,
}

fn riverside(app: &TestApp) -> Riverside {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.open_round(&fund, "50000.00", ("100.00", "5000.00"));
    let (grantee, first) = app
        .grantee(
            &admin,
            json!({"name": "Riverside Trust"}),
            DueDiligence::Passed,
        )
        .with_user_email(app);
    let grantee_id: GranteeId = grantee.id.parse::<uuid::Uuid>().unwrap().into();
    let second = app.user_email(Role::Grantee, Some(grantee_id));
    Riverside {
        admin,
        fund,
        round,
        grantee,
        first,
        second,
    }
}

/// A grant's life, told to its organisation: each step puts one message
/// in the outbox for each enabled user of the organisation (and none for
/// another organisation's), in plain text and HTML, with what a grantee
/// needs (the amount, the feedback written for them, the reviewer's
/// comment, the reference on their bank statement) and a link to the
/// portal page where they act on it; a step refused tells nobody, and the
/// internal note never leaves the fund.
fn a_grant_s_life_is_told_to_the_organisation(app: &TestApp) {
    let Riverside {
        admin,
        fund,
        round,
        grantee,
        first,
        second,
    } = riverside(app);
    let mut users = vec![first, second];
    users.sort();
    let other = app
        .grantee(&admin, json!({"name": "Other Club"}), DueDiligence::NotDone)
        .signed_in(app);
    let portal = grantledger_server::operations::notices::DEFAULT_PORTAL_URL;
    let seen = std::cell::Cell::new(
        app.db
            .db
            .read(|c| outbox::list(c, Status::Pending, 1000))
            .unwrap()
            .len(),
    );
    // The step's messages: one to each user, all alike but for the
    // address, with `subject`, every one of `says` in both bodies, and a
    // link to `page`.
    let told = |subject: &str, says: &[&str], page: &str| -> String {
        let new = outbox_since(app, seen.get());
        seen.set(seen.get() + new.len());
        let to: Vec<&str> = new.iter().map(|m| m.to_address.as_str()).collect();
        assert_eq!(to, users, "{subject}: {new:#?}");
        let link = format!("{portal}{page}");
        for m in &new {
            assert_eq!(m.subject, subject);
            let html = m.html_body.as_deref().expect("an HTML body");
            // Quotes are escaped in HTML; what is said must still read the same.
            let read = html
                .replace("&#39;", "'")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&#34;", "\"");
            let flat = m.text_body.replace('\n', " ");
            for said in says {
                assert!(flat.contains(said), "{said:?} in {}", m.text_body);
                assert!(read.contains(said), "{said:?} in {html}");
            }
            assert!(
                m.text_body.contains(&format!("\n{link}\n")),
                "{}",
                m.text_body
            );
            assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
            assert_eq!(m.text_body, new[0].text_body);
        }
        new[0].text_body.clone()
    };
    let nothing_more = || assert!(outbox_since(app, seen.get()).is_empty());

    let application = app.submitted_application(&round, &grantee, "2500.00");
    told(
        "We have received your application",
        &["Riverside Trust's application", "asking for £2,500.00"],
        &format!("/applications/{application}"),
    );
    let again = app.post(
        &format!("/v1/applications/{application}/submit"),
        grantee.user.as_deref(),
        &json!({}),
    );
    assert_eq!(again.status().as_u16(), 409);
    nothing_more();

    let decided = expect(
        app.post(
            &format!("/v1/applications/{application}/decision"),
            Some(&admin),
            &json!({"outcome": "award", "amount": "2000.00",
                    "feedback": "A strong plan for the winter months.",
                    "internal_note": "Treasurer known to the panel."}),
        ),
        201,
    );
    let award = decided["award"]["id"].as_str().unwrap().to_owned();
    let reference = decided["award"]["reference"].as_str().unwrap().to_owned();
    let offer = told(
        "You have been offered a grant of £2,000.00",
        &[
            "a grant of £2,000.00",
            "A strong plan for the winter months.",
        ],
        &format!("/awards/{award}"),
    );
    assert!(!offer.contains("Treasurer"), "{offer}");

    let refused = app.submitted_application(&round, &grantee, "900.00");
    seen.set(seen.get() + users.len());
    expect(
        app.post(
            &format!("/v1/applications/{refused}/decision"),
            Some(&admin),
            &json!({"outcome": "reject", "feedback": "The round is for groups meeting in person.",
                    "internal_note": "Duplicate of last year's bid."}),
        ),
        201,
    );
    let regret = told(
        "Your application was not funded",
        &["The round is for groups meeting in person."],
        &format!("/applications/{refused}"),
    );
    assert!(!regret.contains("Duplicate"), "{regret}");

    app.accept(&round, &grantee, &award);
    told(
        &format!("You have accepted your grant ({reference})"),
        &[
            "accepted the grant of £2,000.00",
            &format!("reference is {reference}"),
        ],
        &format!("/awards/{award}"),
    );
    let accepted_twice = app.post(
        &format!("/v1/awards/{award}/accept"),
        grantee.user.as_deref(),
        &json!({}),
    );
    assert_eq!(accepted_twice.status().as_u16(), 409);
    nothing_more();

    // Paid on its own, then in a payment run confirmed in one step.
    app.paid_tranche(&round, &award, "1200.00", "2027-01-10");
    let paid = [
        "A payment of £1,200.00 for grant",
        &format!("with the reference {reference}"),
    ];
    told(
        &format!("A payment of £1,200.00 has been sent ({reference})"),
        &paid,
        &format!("/awards/{award}"),
    );
    app.tranche(&round, &award, "800.00", "2027-02-10");
    let run = app.approved_run(&admin, &fund.id, "2027-03-01");
    expect(
        app.post(
            &format!("/v1/payment-runs/{}/confirm", run["id"].as_str().unwrap()),
            Some(&admin),
            &json!({}),
        ),
        200,
    );
    told(
        &format!("A payment of £800.00 has been sent ({reference})"),
        &["A payment of £800.00 for grant"],
        &format!("/awards/{award}"),
    );

    // The evaluation return: sent back with the reviewer's comment, then
    // accepted.
    let returns = format!("/v1/awards/{award}/evaluation-returns");
    let body = json!({
        "period_start": "2026-04-01", "period_end": "2026-09-30",
        "participants_reached": 5, "volunteers": 3, "sessions_delivered": 26,
        "narrative": "Weekly lunches and a walking group.",
        "responses": [
            {"stage": "baseline", "participant_code": "P-1", "direct": "often_always",
             "lack_companionship": "often", "left_out": "often", "isolated": "some_of_the_time"},
            {"stage": "follow_up", "participant_code": "P-1", "direct": "occasionally",
             "lack_companionship": "some_of_the_time", "left_out": "some_of_the_time",
             "isolated": "some_of_the_time"}
        ]
    });
    let sent = expect(app.post(&returns, grantee.user.as_deref(), &body), 201);
    nothing_more();
    let review = format!(
        "/v1/evaluation-returns/{}/review",
        sent["id"].as_str().unwrap()
    );
    expect(
        app.post(
            &review,
            Some(&admin),
            &json!({"decision": "request_changes", "comment": "Please add the <b>follow-up</b> surveys."}),
        ),
        200,
    );
    told(
        &format!("Your evaluation return needs changes ({reference})"),
        &["asks for changes", "Please add the"],
        &format!("/awards/{award}/return"),
    );
    let changed = outbox_since(app, 0);
    let sent_back = changed
        .iter()
        .find(|m| m.subject.contains("needs changes"))
        .unwrap();
    assert!(sent_back.text_body.contains("<b>follow-up</b> surveys."));
    let html = sent_back.html_body.as_deref().unwrap();
    assert!(
        html.contains("&#60;b&#62;follow-up&#60;/b&#62; surveys."),
        "{html}"
    );
    expect(app.post(&returns, grantee.user.as_deref(), &body), 201);
    expect(
        app.post(&review, Some(&admin), &json!({"decision": "accept"})),
        200,
    );
    told(
        &format!("Your evaluation return was accepted ({reference})"),
        &["has been accepted"],
        &format!("/awards/{award}/return"),
    );

    let all = outbox_since(app, 0);
    let other_users = app
        .db
        .db
        .read(|c| {
            grantledger_store::users::enabled_of_grantee(
                c,
                other.id.parse::<uuid::Uuid>().unwrap().into(),
            )
        })
        .unwrap();
    for user in other_users {
        assert!(all.iter().all(|m| m.to_address != user.email.as_str()));
    }
}

/// Reminders, driven by a clock the test holds: an offer waiting 14 days,
/// a return due in 30, 7 and 1 days and then weekly, a draft whose round
/// closes in 7 days and in 1 day — each sent once however often the
/// dispatcher looks, none once the return is in; each carries its own
/// one-click unsubscribe (RFC 8058), which stops that user's reminders
/// about that grant only, and "Your reminders" stops them all.
fn reminders_come_once_per_occasion_and_stop(app: &TestApp) {
    use chrono::{Duration, Utc};
    use grantledger_server::operations::notices::Notices;
    use grantledger_server::operations::reminders::{Reminded, send_due};

    let Riverside {
        admin,
        fund: _,
        round,
        grantee,
        first,
        second,
    } = riverside(app);
    let start = Utc::now();
    let remind = |days: i64, hours: i64| -> Reminded {
        let at = start + Duration::days(days) + Duration::hours(hours);
        app.db
            .db
            .write(|c| send_due(c, &Notices::default(), at))
            .unwrap()
    };
    let seen = std::cell::Cell::new(0);
    // The reminders written since the last look: (recipient, subject).
    let new_reminders = || -> Vec<outbox::Message> {
        let all: Vec<_> = app
            .db
            .db
            .read(|c| outbox::list(c, Status::Pending, 1000))
            .unwrap()
            .into_iter()
            .filter(|m| m.kind.starts_with("reminder."))
            .collect();
        let new = all[seen.get()..].to_vec();
        seen.set(all.len());
        new
    };
    let to = |messages: &[outbox::Message]| -> Vec<String> {
        let mut to: Vec<String> = messages.iter().map(|m| m.to_address.clone()).collect();
        to.sort();
        to
    };
    let mut both = vec![first.clone(), second.clone()];
    both.sort();

    // An offer not accepted: one reminder, at 14 days.
    let application = app.submitted_application(&round, &grantee, "2000.00");
    let award = app.award(&round, &application, "2000.00");
    assert_eq!(remind(13, 0).reminders, 0);
    assert_eq!(
        remind(14, 1),
        Reminded {
            reminders: 1,
            messages: 2
        }
    );
    let offer = new_reminders();
    assert_eq!(to(&offer), both);
    assert!(
        offer[0]
            .subject
            .starts_with("Your grant offer is waiting for you")
    );
    assert!(offer[0].text_body.contains(&format!("/awards/{award}")));
    assert_eq!(remind(20, 0).reminders, 0, "the offer reminder came twice");
    app.accept(&round, &grantee, &award);

    // A return due in 40 days: 30, 7 and 1 days before, then weekly.
    let due = (start + Duration::days(40)).date_naive();
    app.return_due(&round, &award, &due.to_string());
    assert_eq!(remind(5, 0).reminders, 0);
    assert_eq!(remind(10, 0).reminders, 1);
    let thirty = new_reminders();
    assert_eq!(to(&thirty), both);
    assert!(
        thirty[0]
            .subject
            .starts_with("Your evaluation return is due on")
    );
    assert!(
        thirty[0]
            .text_body
            .replace('\n', " ")
            .contains("in 30 days")
    );
    assert_eq!(remind(10, 5).reminders, 0);
    assert_eq!(remind(20, 0).reminders, 0);
    assert_eq!(remind(34, 0).reminders, 1);
    assert_eq!(remind(39, 0).reminders, 1);
    assert_eq!(new_reminders().len(), 4);

    // The first user stops reminders about this grant with one click: a
    // GET only asks; the mail program's POST, with no session, stops them.
    let message = thirty.iter().find(|m| m.to_address == first).unwrap();
    let url = message
        .unsubscribe_url
        .clone()
        .expect("an unsubscribe link");
    assert!(message.text_body.contains(&url));
    assert!(
        message
            .html_body
            .as_deref()
            .unwrap()
            .contains(&format!("href=\"{url}\""))
    );
    let path = url
        .strip_prefix(grantledger_server::operations::notices::DEFAULT_PORTAL_URL)
        .unwrap();
    let asked = app.client.get(app.url(path)).send().unwrap();
    assert_eq!(asked.status().as_u16(), 200);
    assert!(asked.text().unwrap().contains("Stop these reminders?"));
    let clicked = app
        .client
        .post(app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .unwrap();
    assert_eq!(clicked.status().as_u16(), 200);
    let page = clicked.text().unwrap();
    assert!(page.contains("Reminders stopped"), "{page}");
    assert!(page.contains("LCF-R1-000001"), "{page}");
    let unknown = app
        .client
        .post(app.url(&format!("/unsubscribe/{}", "A".repeat(43))))
        .send()
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);

    // Overdue: weekly, to the second user only.
    assert_eq!(
        remind(41, 0),
        Reminded {
            reminders: 1,
            messages: 1
        }
    );
    let overdue = new_reminders();
    assert_eq!(to(&overdue), [second.as_str()]);
    assert!(
        overdue[0]
            .subject
            .starts_with("Your evaluation return is overdue")
    );
    assert_eq!(remind(45, 0).reminders, 0);
    assert_eq!(remind(48, 0).reminders, 1);
    new_reminders();

    // The second user stops every reminder on "Your reminders".
    let mut v = grantledger_tests::portal::Visitor::new(app);
    v.sign_in(&second);
    let page = v.get("/account/reminders").expect(200);
    assert!(page.body.contains("You get reminders."));
    assert!(
        page.body
            .contains("You have not stopped reminders about anything.")
    );
    let csrf = page.csrf();
    assert_eq!(
        v.post(
            "/account/reminders",
            &[("csrf", &csrf), ("reminders", "off")]
        )
        .status,
        303
    );
    assert!(
        v.get("/account/reminders")
            .expect(200)
            .body
            .contains("You get no reminders.")
    );
    assert_eq!(
        remind(55, 0),
        Reminded {
            reminders: 1,
            messages: 0
        }
    );
    // The first user sees what they stopped, and starts it again.
    let mut w = grantledger_tests::portal::Visitor::new(app);
    w.sign_in(&first);
    let page = w.get("/account/reminders").expect(200);
    assert!(page.body.contains("grant LCF-R1-000001"), "{}", page.body);
    let csrf = page.csrf();
    let award_uuid = award.clone();
    assert_eq!(
        w.post(
            "/account/reminders/resume",
            &[("csrf", &csrf), ("subject", &award_uuid)]
        )
        .status,
        303
    );
    assert_eq!(
        remind(62, 0),
        Reminded {
            reminders: 1,
            messages: 1
        }
    );
    assert_eq!(to(&new_reminders()), [first.as_str()]);

    // Once the return is in, nothing more.
    let returns = format!("/v1/awards/{award}/evaluation-returns");
    expect(
        app.post(
            &returns,
            grantee.user.as_deref(),
            &json!({"period_start": "2026-04-01", "period_end": "2026-09-30",
                    "participants_reached": 5, "volunteers": 3, "sessions_delivered": 26,
                    "narrative": "Weekly lunches.", "responses": []}),
        ),
        201,
    );
    assert_eq!(remind(69, 0).reminders, 0);

    // A draft in a round closing in 10 days: 7 days before, then 1.
    let closes = start + Duration::days(10);
    let closing_fund = app.fund_with(
        &admin,
        json!({"code": "RMD", "name": "Reminder Fund", "budget": "10000.00"}),
    );
    let closing = app.round_with(
        &closing_fund,
        json!({"closes_at": closes.to_rfc3339(), "allocation": "10000.00",
               "min_grant": "100.00", "max_grant": "2500.00"}),
    );
    let draft = app.draft_application(&closing, &grantee, "500.00");
    let draft_id = draft["id"].as_str().unwrap();
    let csrf = v.get("/account/reminders").expect(200).csrf();
    assert_eq!(
        v.post(
            "/account/reminders",
            &[("csrf", &csrf), ("reminders", "on")]
        )
        .status,
        303
    );
    assert_eq!(remind(2, 0).reminders, 0);
    assert_eq!(
        remind(3, 1),
        Reminded {
            reminders: 1,
            messages: 2
        }
    );
    let week = new_reminders();
    assert!(
        week[0].subject.contains("is not sent yet"),
        "{}",
        week[0].subject
    );
    assert!(
        week[0]
            .text_body
            .contains(&format!("/applications/{draft_id}"))
    );
    assert_eq!(remind(5, 0).reminders, 0);
    assert_eq!(
        remind(9, 12),
        Reminded {
            reminders: 1,
            messages: 2
        }
    );
    new_reminders();
    assert_eq!(remind(10, 1).reminders, 0);
}

/// A message refused for good is shown to administrators with why (over
/// the API and on the portal's "Failed mail" page, never to an auditor),
/// and sending it again queues it as new, in the audit trail.
fn failed_mail_is_shown_to_administrators_and_sent_again(app: &TestApp) {
    let admin = app.admin();
    let (grantee, _) = app
        .grantee(
            &admin,
            json!({"name": "Riverside Trust"}),
            DueDiligence::NotDone,
        )
        .with_user_email(app);
    app.enter_bank_details(&admin, &grantee, TEST_ACCOUNT);
    let id = app
        .db
        .db
        .write(|c| {
            let claimed = outbox::claim_due(c, chrono::Utc::now(), 100)?;
            let id = claimed[0].id;
            outbox::mark_failed_attempt(c, id, "550 5.1.1 mailbox unavailable", None)?;
            Ok::<_, grantledger_store::StoreError>(id)
        })
        .unwrap();
    let listed = expect(app.get("/v1/mail/failed", Some(&admin)), 200);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["id"], id.to_string());
    assert_eq!(items[0]["last_error"], "550 5.1.1 mailbox unavailable");
    assert_eq!(items[0]["subject"], "Your bank details were changed");
    assert!(
        items[0].get("text_body").is_none(),
        "a body must not be shown"
    );
    assert_eq!(
        app.get("/v1/mail/failed", Some(&app.auditor()))
            .status()
            .as_u16(),
        403
    );

    let mut v = grantledger_tests::portal::Visitor::new(app);
    v.sign_in(&app.user_email(Role::Admin, None));
    let page = v.get("/mail").expect(200);
    assert!(
        page.body.contains("550 5.1.1 mailbox unavailable"),
        "{}",
        page.body
    );
    let retry = format!("/mail/{id}/retry");
    assert!(page.body.contains(&format!("action=\"{retry}\"")));
    let done = v.post(&retry, &[("csrf", &page.csrf())]);
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        v.get("/mail?retried=1")
            .expect(200)
            .body
            .contains("Every message has been sent.")
    );
    let queued = app.db.db.read(|c| outbox::get(c, id)).unwrap().unwrap();
    assert_eq!((queued.status, queued.attempts), (Status::Pending, 0));
    // Again: it is no longer failed.
    assert_eq!(
        app.post(&format!("/v1/mail/{id}/retry"), Some(&admin), &json!({}))
            .status()
            .as_u16(),
        404
    );
    let trail = expect(
        app.get("/v1/audit-events?action=mail.retried", Some(&admin)),
        200,
    );
    assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
}

/// A bulk decision tells each organisation what a decision one at a time
/// would: one message per enabled user for each of its decided
/// applications, and nothing for an item that failed.
fn a_bulk_decision_tells_each_organisation_of_each_decision(app: &TestApp) {
    let Riverside {
        admin,
        round,
        grantee,
        first,
        second,
        ..
    } = riverside(app);
    let (other, other_user) = app
        .grantee(&admin, json!({"name": "Other Club"}), DueDiligence::Passed)
        .with_user_email(app);
    let awarded = app.submitted_application(&round, &grantee, "2500.00");
    let refused = app.submitted_application(&round, &grantee, "900.00");
    let others = app.submitted_application(&round, &other, "1200.00");
    let seen = app
        .db
        .db
        .read(|c| outbox::list(c, Status::Pending, 1000))
        .unwrap()
        .len();
    let result = expect(
        app.post(
            &format!("/v1/rounds/{}/decisions", round.id),
            Some(&admin),
            &json!({"decisions": [
                {"application_id": awarded, "outcome": "award", "amount": "2000.00",
                 "feedback": "A strong plan.", "internal_note": "Known to the panel."},
                {"application_id": refused, "outcome": "reject",
                 "feedback": "The round is for groups meeting in person."},
                {"application_id": uuid::Uuid::now_v7(), "outcome": "reject"},
                {"application_id": others, "outcome": "award", "amount": "1200.00"},
            ]}),
        ),
        200,
    );
    assert_eq!(
        (result["succeeded"].as_u64(), result["failed"].as_u64()),
        (Some(3), Some(1)),
        "{result}"
    );
    let mut told: Vec<(String, String)> = outbox_since(app, seen)
        .into_iter()
        .map(|m| {
            assert!(
                !m.text_body.contains("Known to the panel"),
                "{}",
                m.text_body
            );
            (m.to_address, m.subject)
        })
        .collect();
    told.sort();
    let mut expected = vec![
        (
            first.clone(),
            "You have been offered a grant of £2,000.00".to_owned(),
        ),
        (first, "Your application was not funded".to_owned()),
        (
            second.clone(),
            "You have been offered a grant of £2,000.00".to_owned(),
        ),
        (second, "Your application was not funded".to_owned()),
        (
            other_user,
            "You have been offered a grant of £1,200.00".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(told, expected);
}

api_tests!(
    a_bulk_decision_tells_each_organisation_of_each_decision,
    each_step_tells_the_enabled_users_and_a_refused_step_nobody,
    a_grant_s_life_is_told_to_the_organisation,
    reminders_come_once_per_occasion_and_stop,
    failed_mail_is_shown_to_administrators_and_sent_again
);
