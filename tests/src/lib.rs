//! Support for the integration tests: the real grantledger server on a
//! random loopback port, over real HTTP, against a fresh SQLite file or a
//! fresh PostgreSQL schema.

#![allow(missing_docs)]

use std::net::TcpListener;
use std::time::Duration;

use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::Role;
use grantledger_server::app::ServerConfig;
use grantledger_server::auth::jwt::{JwtConfig, JwtKeys};
use grantledger_store::common::Actor;
use grantledger_store::testing::TestDb;
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use secrecy::SecretString;
use serde_json::{Value, json};

/// The signing secret test servers use.
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// The JWT settings of test servers; tests forge tokens against them.
pub fn jwt_config() -> JwtConfig {
    JwtConfig {
        secret: SecretString::from(TEST_SECRET.to_owned()),
        key_id: "test-key".to_owned(),
        previous_keys: vec![],
        issuer: "grantledger".to_owned(),
        audience: "grantledger-api".to_owned(),
        ttl: Duration::from_secs(900),
    }
}

/// The 360Giving publisher of test servers (prefix `grantledger`).
pub fn test_publisher() -> grantledger_domain::opendata::Publisher {
    grantledger_domain::opendata::Publisher::new("grantledger", "grantledger", None).unwrap()
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub db: TestDb,
    handle: actix_web::dev::ServerHandle,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl TestApp {
    /// Starts a server on `db`.
    pub fn start(db: TestDb) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let keys = JwtKeys::new(&jwt_config(), false).unwrap();
        let database = db.db.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let config = ServerConfig {
                    keys,
                    workers: Some(2),
                    operations: Default::default(),
                    publisher: Some(test_publisher()),
                };
                let server = grantledger_server::app::server(database, listener, config).unwrap();
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            });
        });
        let handle = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        let client = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        TestApp {
            base,
            client,
            db,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Makes a user directly in the store and signs them in over HTTP.
    pub fn user(&self, role: Role, grantee: Option<GranteeId>) -> String {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::now_v7().simple()
        );
        grantledger_server::routes::users::create_user(
            &self.db.db,
            &email,
            PASSWORD,
            role,
            grantee,
            &Actor::system("test"),
        )
        .unwrap();
        self.login(&email, PASSWORD)
    }

    /// Signs in; panics unless it succeeds.
    pub fn login(&self, email: &str, password: &str) -> String {
        let response = self.post(
            "/v1/auth/token",
            None,
            &json!({"email": email, "password": password}),
        );
        assert_eq!(response.status(), StatusCode::OK, "login failed");
        response.json::<Value>().unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn with_token(builder: RequestBuilder, token: Option<&str>) -> RequestBuilder {
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        Self::with_token(self.client.get(self.url(path)), token)
            .send()
            .unwrap()
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        Self::with_token(self.client.post(self.url(path)), token)
            .json(body)
            .send()
            .unwrap()
    }

    /// POSTs a raw body with the given media type (a file upload).
    pub fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::blocking::Body>,
    ) -> Response {
        Self::with_token(self.client.post(self.url(path)), token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .unwrap()
    }

    /// GETs with an `Accept` header; returns the status, content type and body text.
    pub fn get_accepting(
        &self,
        path: &str,
        token: Option<&str>,
        accept: &str,
    ) -> (u16, String, String) {
        let response = Self::with_token(self.client.get(self.url(path)), token)
            .header("Accept", accept)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("Content-Type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, content_type, response.text().unwrap())
    }

    pub fn patch(
        &self,
        path: &str,
        token: Option<&str>,
        etag: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut builder = Self::with_token(self.client.patch(self.url(path)), token).json(body);
        if let Some(etag) = etag {
            builder = builder.header("If-Match", etag);
        }
        builder.send().unwrap()
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut builder = Self::with_token(self.client.request(method, self.url(path)), token);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        builder.send().unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and close the pool's sessions before the database goes.
        let stop = self.handle.stop(false);
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(stop)).join();
    }
}

/// Asserts a status, showing the body when it differs.
pub fn expect(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Generates, for each test body `fn name(app: &TestApp)`, a test against a
/// server on SQLite and one against a server on PostgreSQL.
#[macro_export]
macro_rules! api_tests {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    let app = $crate::TestApp::start(grantledger_store::testing::TestDb::sqlite());
                    super::$name(&app);
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = grantledger_store::testing::TestDb::postgres() {
                        let app = $crate::TestApp::start(db);
                        super::$name(&app);
                    }
                }
            )*
        }
    };
}
