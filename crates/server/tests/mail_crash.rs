//! A `serve` process killed (SIGKILL) in the middle of sending mail loses
//! nothing: another process sends every message it held once their claim
//! lapses, and the only duplicates are messages the mail server had
//! accepted when the first process died, before it could mark them sent —
//! at most one, since a dispatcher sends one message at a time. Counted
//! and printed, on SQLite and PostgreSQL, against a real SMTP server on
//! loopback (`tests/fixtures/smtp_sink.py`, slowed to 0.2 s a message).
//!
//! The SMTP server and the Python it needs: `tests/fixtures/smtp.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use grantledger_store::outbox::{self, NewMessage, Status};
use grantledger_store::testing::TestDb;

// Only the server starter and ports are used here.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "../../../tests/fixtures/smtp.rs"]
mod smtp;
use smtp::{Sink, python_or_skip};

/// Messages queued before the first process starts.
const MESSAGES: usize = 25;

/// How many copies of each `Message-ID` the sink has saved.
fn received(dir: &Path) -> HashMap<String, usize> {
    let mut copies = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .expect("a Message-ID")
                .to_owned();
            *copies.entry(id).or_insert(0) += 1;
        }
    }
    copies
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn killed_mid_batch_then_another_process_sends_the_rest(db: &TestDb, python: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let smtp = common::free_port();
    let _sink = Sink::start_slow(python, smtp, dir.path(), 0.2);
    db.db
        .write(|c| {
            for i in 0..MESSAGES {
                outbox::enqueue(
                    c,
                    &NewMessage {
                        to_address: format!("treasurer{i}@example.org"),
                        subject: format!("Message {i}"),
                        text_body: "A test.\n".to_owned(),
                        html_body: None,
                        kind: "test".to_owned(),
                        unsubscribe_url: None,
                    },
                    Utc::now(),
                )?;
            }
            Ok::<_, grantledger_store::StoreError>(())
        })
        .unwrap();
    let url = format!("smtp://127.0.0.1:{smtp}");
    let env = [
        ("GRANTLEDGER_SMTP_URL", url.as_str()),
        ("GRANTLEDGER_MAIL_CLAIM_LEASE", "2"),
    ];
    let mut first = common::start_with(&db.url, common::free_port(), "warn", &env);
    wait_for("the first messages", Duration::from_secs(60), || {
        received(dir.path()).len() >= 3
    });
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let before = received(dir.path()).values().sum::<usize>();
    assert!(before < MESSAGES, "the first process sent everything");

    let _second = common::start_with(&db.url, common::free_port(), "warn", &env);
    wait_for("every message", Duration::from_secs(120), || {
        received(dir.path()).len() == MESSAGES
    });
    wait_for("every message marked sent", Duration::from_secs(30), || {
        db.db
            .read(|c| outbox::list(c, Status::Sent, 1000))
            .unwrap()
            .len()
            == MESSAGES
    });
    let copies = received(dir.path());
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    println!(
        "{MESSAGES} messages, {before} received before the kill, {duplicates} duplicate(s) after it"
    );
    assert!(
        duplicates <= 1,
        "more duplicates than the one message in flight: {copies:?}"
    );
}

#[test]
fn on_sqlite() {
    if let Some(python) = python_or_skip() {
        killed_mid_batch_then_another_process_sends_the_rest(&TestDb::sqlite(), &python);
    }
}

#[test]
fn on_postgres() {
    if let Some(python) = python_or_skip()
        && let Some(db) = TestDb::postgres()
    {
        killed_mid_batch_then_another_process_sends_the_rest(&db, &python);
    }
}
