//! `grantledger user invite` as an operator runs it: the real binary on a
//! fresh SQLite file (issue 18).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_support;

use cli_support::{Scratch, text};

#[test]
fn an_administrator_invites_from_the_command_line_and_gets_the_link() {
    let dir = Scratch::new();
    let made = dir
        .command(&[
            "user",
            "create",
            "--email",
            "admin@example.org",
            "--role",
            "admin",
        ])
        .env("GRANTLEDGER_NEW_PASSWORD", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let invited = dir
        .command(&[
            "user",
            "invite",
            "new@example.org",
            "--role",
            "assessor",
            "--as",
            "admin@example.org",
        ])
        .env("GRANTLEDGER_PORTAL_URL", "https://grants.example.org/")
        .output()
        .unwrap();
    assert!(invited.status.success(), "{}", text(&invited.stderr));
    let link = text(&invited.stdout);
    let token = link
        .trim()
        .strip_prefix("https://grants.example.org/set-password/")
        .expect(&link);
    assert_eq!(token.len(), 43, "{link}");
    // Without --as, or again for the same address, it is refused.
    let anonymous = dir.run(&["user", "invite", "x@example.org", "--role", "auditor"]);
    assert!(!anonymous.status.success());
    assert!(text(&anonymous.stderr).contains("--as"));
    let again = dir.run(&[
        "user",
        "invite",
        "new@example.org",
        "--role",
        "assessor",
        "--as",
        "admin@example.org",
    ]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
}

/// `grantledger mail remind --at` on the demo: the reminders due then are
/// queued, and a second run as of the same moment queues none.
#[test]
fn reminders_are_queued_once_from_the_command_line() {
    let dir = Scratch::new();
    let loaded = dir.run(&["demo"]);
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    let remind = || {
        let out = dir.run(&["mail", "remind", "--at", "2031-01-06T09:00:00Z"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let line = text(&out.stdout);
        let (reminders, messages) = line.trim().split_once('\t').expect(&line);
        (
            reminders.parse::<usize>().unwrap(),
            messages.parse::<usize>().unwrap(),
        )
    };
    let (reminders, messages) = remind();
    assert!(reminders > 0 && messages > 0, "{reminders} {messages}");
    assert_eq!(remind(), (0, 0));
    let bad = dir.run(&["mail", "remind", "--at", "next tuesday"]);
    assert!(!bad.status.success());
}
