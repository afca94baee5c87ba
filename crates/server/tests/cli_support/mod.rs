//! The command-line tests' set-up, as an operator meets it: a scratch
//! folder holding a fresh SQLite file, and the real `grantledger` binary
//! run on it.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A folder of its own for one test, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Scratch {
    /// A new, empty folder under the system's temporary directory.
    pub fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("gl-cli-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// `grantledger ARGS` on this folder's database, with no log filter
    /// taken from the environment; ready to run, or to set more of.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_grantledger"));
        command
            .args(args)
            .env("DATABASE_URL", self.0.join("db.sqlite3"))
            .env_remove("RUST_LOG");
        command
    }

    /// Runs `grantledger ARGS` on this folder's database.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

/// What a command printed, for assertion messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `grantledger ARGS` on the test database `db`, with no log filter taken
/// from the environment.
pub fn run_on(db: &grantledger_store::testing::TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grantledger"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Runs a command on `db` that must succeed, returning its standard output.
pub fn ok_on(db: &grantledger_store::testing::TestDb, args: &[&str]) -> String {
    let out = run_on(db, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}
