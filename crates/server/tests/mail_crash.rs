//! A `serve` process killed (SIGKILL) in the middle of sending mail loses
//! nothing: another process sends every message it held once their claim
//! lapses, and the only duplicates are messages the mail server had
//! accepted when the first process died, before it could mark them sent —
//! at most one, since a dispatcher sends one message at a time. Counted
//! and printed, on SQLite and PostgreSQL, against a real SMTP server on
//! loopback (`tests/fixtures/smtp_sink.py`, slowed to 0.2 s a message).
//!
//! The Python is `GRANTLEDGER_AIOSMTPD_PYTHON`, or the virtualenv
//! `.ci/run` makes under `target/`. Without it the test is skipped with a
//! message, except under CI=true, where it fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use grantledger_store::outbox::{self, NewMessage, Status};
use grantledger_store::testing::TestDb;

// Only the server starter and ports are used here.
#[allow(dead_code)]
mod common;

/// Messages queued before the first process starts.
const MESSAGES: usize = 25;

fn python_or_skip() -> Option<PathBuf> {
    let candidates = std::env::var_os("GRANTLEDGER_AIOSMTPD_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::iter::once(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/venv-aiosmtpd/bin/python"),
        ));
    for candidate in candidates {
        let works = Command::new(&candidate)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if works {
            return Some(candidate);
        }
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "aiosmtpd is required under CI=true (.ci/run installs it into target/venv-aiosmtpd)"
    );
    eprintln!("SKIPPED: the mail crash test needs aiosmtpd (see tests/tests/mail.rs)");
    None
}

/// The SMTP server, accepting a message every 0.2 s; stopped when dropped.
struct Sink(Child);

impl Sink {
    fn start(python: &Path, port: u16, dir: &Path) -> Sink {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["127.0.0.1", &port.to_string()])
            .arg(dir)
            .arg("0.2")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        Sink(child)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
    let _sink = Sink::start(python, smtp, dir.path());
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
