//! Real `grantledger serve` processes for the process-level tests
//! (`two_processes.rs`, `faults.rs`): started on a database URL, waited for
//! until ready, killed when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub mod seed;

/// The signing secret every test server shares, so a token from one
/// process is good at the other.
pub const SECRET: &str = "process-tests-secret-process-tests-secret";
/// The bank details key of test servers (any 32 bytes, hexadecimal).
pub const BANK_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
/// The password the tests give their users.
pub const PASSWORD: &str = "process tests password";
/// The two-factor secret of the staff the tests make.
pub const TOTP_SECRET: &str = "PROCESSTESTSTWOFACTORSECRETSTAFF";

/// One authenticator per enrolled user (each step's code is accepted once
/// per user).
static AUTHENTICATORS: std::sync::LazyLock<
    std::sync::Mutex<
        std::collections::HashMap<
            String,
            std::sync::Arc<grantledger_domain::two_factor::Authenticator>,
        >,
    >,
> = std::sync::LazyLock::new(Default::default);

/// Keeps an authenticator holding [`TOTP_SECRET`] for `email`.
pub fn has_authenticator(email: &str) {
    let secret = grantledger_domain::two_factor::TotpSecret::parse(TOTP_SECRET).unwrap();
    AUTHENTICATORS.lock().unwrap().insert(
        email.to_owned(),
        std::sync::Arc::new(grantledger_domain::two_factor::Authenticator::new(secret)),
    );
}

/// The sign-in body for `email`, with a fresh code when they use two-factor.
pub fn credentials(email: &str) -> Value {
    let phone = AUTHENTICATORS.lock().unwrap().get(email).cloned();
    match phone {
        Some(phone) => json!({"email": email, "password": PASSWORD, "code": phone.code()}),
        None => json!({"email": email, "password": PASSWORD}),
    }
}

/// A running server process; killed (SIGKILL) and reaped when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `grantledger serve` on `port` (4 workers, a pool of 8) with
/// `RUST_LOG=log`, and waits until `/readyz` answers 200.
pub fn start(url: &str, port: u16, log: &str) -> Server {
    start_with(url, port, log, &[])
}

/// [`start`] with more environment: `env` is set after the defaults.
pub fn start_with(url: &str, port: u16, log: &str, env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grantledger"));
    command
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "4",
        ])
        .env("DATABASE_URL", url)
        .env("GRANTLEDGER_JWT_SECRET", SECRET)
        .env("GRANTLEDGER_BANK_KEY", BANK_KEY)
        .env("GRANTLEDGER_DB_POOL_SIZE", "8")
        // `serve` writes mail as .eml files; not into the source tree.
        .env(
            "GRANTLEDGER_MAIL_DIR",
            std::env::temp_dir().join("grantledger-test-mail"),
        )
        .env_remove("GRANTLEDGER_SMTP_URL")
        .env("RUST_LOG", log)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base);
    Server { child, base }
}

/// Waits up to a minute for the server at `base` to answer `/readyz` with
/// 200.
pub fn wait_ready(base: &str) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            Instant::now() < deadline,
            "server on {base} did not become ready"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Signs `email` in with [`PASSWORD`]; panics unless it succeeds.
pub fn login(base: &str, email: &str) -> String {
    let response = reqwest::blocking::Client::new()
        .post(format!("{base}/v1/auth/token"))
        .json(&credentials(email))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "login of {email}");
    response.json::<Value>().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}
