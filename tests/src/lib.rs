//! Support for the integration tests: the real grantledger server on a
//! random loopback port, over real HTTP, against a fresh SQLite file or a
//! fresh PostgreSQL schema.

#![allow(missing_docs)]

pub mod portal;

use std::net::TcpListener;
use std::time::Duration;

/// Shorter than the server's keep-alive (actix's default, 5 s).
pub const IDLE_BEFORE_KEEP_ALIVE_ENDS: Duration = Duration::from_secs(2);

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
/// The two-factor secret of every staff user the tests make.
pub const TOTP_SECRET: &str = "TESTSTAFFTWOFACTORSECRETFORTESTS";

/// A test user's phone: their authenticator, and the recovery codes they
/// saved, used when this step's and the next step's codes are spent (so a
/// test signing one person in again and again does not wait).
#[derive(Debug)]
struct Phone {
    authenticator: grantledger_domain::two_factor::Authenticator,
    recovery_codes: std::sync::Mutex<Vec<String>>,
}

impl Phone {
    fn code(&self) -> String {
        match self.authenticator.code_at(chrono::Utc::now()) {
            Ok(code) => code,
            Err(wait) => match self.recovery_codes.lock().unwrap().pop() {
                Some(code) => code,
                None => {
                    std::thread::sleep(wait);
                    self.authenticator.code()
                }
            },
        }
    }
}

/// One phone per enrolled user of each test server (by its base address
/// and their email), as each has a phone of their own: the server accepts
/// a step's code once per user.
static PHONES: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Phone>>>,
> = std::sync::LazyLock::new(Default::default);

/// Sets up two-factor sign-in for `user` of the server at `base` with
/// [`TOTP_SECRET`], as the person would in the portal, and keeps their
/// phone with the recovery codes.
pub fn enrol_two_factor(
    base: &str,
    db: &grantledger_store::Database,
    user: &grantledger_domain::user::User,
) {
    let secret = grantledger_domain::two_factor::TotpSecret::parse(TOTP_SECRET).unwrap();
    let codes = db
        .write(|c| {
            grantledger_server::operations::two_factor::enrol_with_secret(
                c,
                user,
                &secret,
                &Actor::system("test"),
                chrono::Utc::now(),
            )
        })
        .unwrap();
    let codes = codes.iter().map(|c| c.as_str().to_owned()).collect();
    keep_phone(base, user.email.as_str(), secret, codes);
}

fn keep_phone(
    base: &str,
    email: &str,
    secret: grantledger_domain::two_factor::TotpSecret,
    recovery_codes: Vec<String>,
) {
    PHONES.lock().unwrap().insert(
        format!("{base} {}", email.to_lowercase()),
        std::sync::Arc::new(Phone {
            authenticator: grantledger_domain::two_factor::Authenticator::new(secret),
            recovery_codes: std::sync::Mutex::new(recovery_codes),
        }),
    );
}

/// Keeps an authenticator holding `secret` for `email` at `base`.
pub fn authenticator_for(
    base: &str,
    email: &str,
    secret: grantledger_domain::two_factor::TotpSecret,
) {
    keep_phone(base, email, secret, Vec::new());
}

/// A fresh code from the phone of `email` at `base`, when they have one
/// (it may wait for the next 30-second step).
pub fn code_for(base: &str, email: &str) -> Option<String> {
    let phone = PHONES
        .lock()
        .unwrap()
        .get(&format!("{base} {}", email.to_lowercase()))
        .cloned();
    phone.map(|p| p.code())
}

/// The sign-in body for `email` at `base`: with a code when they use
/// two-factor.
pub fn credentials(base: &str, email: &str, password: &str) -> Value {
    match code_for(base, email) {
        Some(code) => json!({"email": email, "password": password, "code": code}),
        None => json!({"email": email, "password": password}),
    }
}

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

/// The Bacs originator of test servers.
pub fn test_originator() -> grantledger_domain::bank::Originator {
    grantledger_domain::bank::Originator::parse(
        "900001",
        "20-00-00",
        "55779911",
        "LOCAL CONNECTIONS",
    )
    .unwrap()
}

/// The account test grantees are paid into: Pay.UK's published example of
/// a valid account (it passes the modulus check), belonging to nobody.
pub const TEST_ACCOUNT: (&str, &str) = ("08-99-99", "66374958");

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
    /// Starts a server on `db`, with no mail dispatcher: messages stay in
    /// the outbox, where tests can read them.
    pub fn start(db: TestDb) -> TestApp {
        Self::start_with_mail(db, None)
    }

    /// Starts a server on `db` whose dispatcher sends mail as `mail` says.
    pub fn start_with_mail(
        db: TestDb,
        mail: Option<grantledger_server::mail::MailConfig>,
    ) -> TestApp {
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
                    bank_keys: grantledger_store::bank_details::Keyring::demo(),
                    originator: Some(test_originator()),
                    modulus: grantledger_domain::bank::ModulusTable::shipped().clone(),
                    notices: grantledger_server::operations::notices::Notices::default(),
                    mail,
                };
                let server = grantledger_server::app::server(database, listener, config).unwrap();
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            });
        });
        let handle = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        // No connection is reused: a request sent on a connection the
        // server is closing that instant fails with an incomplete message.
        // Dropping idle ones before the server's 5 s keep-alive was not
        // enough on a loaded 2-core machine (seen again in session 11), and
        // a fresh loopback connection per request costs next to nothing.
        let client = Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(IDLE_BEFORE_KEEP_ALIVE_ENDS)
            .pool_max_idle_per_host(0)
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
        let email = self.user_email(role, grantee);
        self.login(&email, PASSWORD)
    }

    /// Makes a user with [`PASSWORD`] directly in the store; returns the
    /// email, for tests that sign in themselves.
    pub fn user_email(&self, role: Role, grantee: Option<GranteeId>) -> String {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::now_v7().simple()
        );
        let user = grantledger_server::routes::users::create_user(
            &self.db.db,
            &email,
            PASSWORD,
            role,
            grantee,
            &Actor::system("test"),
        )
        .unwrap();
        if role.requires_two_factor() {
            enrol_two_factor(&self.base, &self.db.db, &user.value);
        }
        email
    }

    /// Makes a staff user with [`PASSWORD`] who has not set up two-factor
    /// sign-in yet; returns the email.
    pub fn staff_without_two_factor(&self, role: Role) -> String {
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
            None,
            &Actor::system("test"),
        )
        .unwrap();
        email
    }

    /// A fresh code from `email`'s authenticator, when they have one.
    pub fn code_for(&self, email: &str) -> Option<String> {
        code_for(&self.base, email)
    }

    /// Keeps an authenticator holding `secret` for `email`.
    pub fn authenticator_for(
        &self,
        email: &str,
        secret: grantledger_domain::two_factor::TotpSecret,
    ) {
        authenticator_for(&self.base, email, secret);
    }

    /// Keeps authenticators for the demo's staff, who share its published
    /// secret.
    pub fn demo_authenticators(&self) {
        use grantledger_server::demo::{DEMO_TWO_FACTOR_SECRET, DEMO_USERS};
        let secret =
            grantledger_domain::two_factor::TotpSecret::parse(DEMO_TWO_FACTOR_SECRET).unwrap();
        for (email, role) in DEMO_USERS {
            if role.requires_two_factor() {
                self.authenticator_for(email, secret.clone());
            }
        }
    }

    /// Sets up two-factor sign-in with [`TOTP_SECRET`] for the user with
    /// `email` (one made over the API, say).
    pub fn enrol(&self, email: &str) {
        let address = grantledger_domain::user::Email::parse(email).unwrap();
        let user = self
            .db
            .db
            .read(|c| grantledger_store::users::find_for_login(c, &address))
            .unwrap()
            .expect("the user")
            .0
            .value;
        enrol_two_factor(&self.base, &self.db.db, &user);
    }

    /// Signs in; panics unless it succeeds.
    pub fn login(&self, email: &str, password: &str) -> String {
        let response = self.post(
            "/v1/auth/token",
            None,
            &credentials(&self.base, email, password),
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
        let content_type = content_type(&response);
        (status, content_type, response.text().unwrap())
    }

    /// PUTs JSON, with `If-Match` when `etag` is given.
    pub fn put(
        &self,
        path: &str,
        token: Option<&str>,
        etag: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut builder = Self::with_token(self.client.put(self.url(path)), token).json(body);
        if let Some(etag) = etag {
            builder = builder.header("If-Match", etag);
        }
        builder.send().unwrap()
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

/// Whether a new grantee's due diligence is recorded as passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueDiligence {
    Passed,
    NotDone,
}

/// A fund and the administrator who made it.
#[derive(Debug, Clone)]
pub struct Fund {
    pub id: String,
    pub admin: String,
}

/// A round and the administrator who acts on it (decides, pays).
#[derive(Debug, Clone)]
pub struct Round {
    pub id: String,
    pub admin: String,
}

/// A grantee organisation; `user` is the token of its own user once one is
/// made ([`Grantee::signed_in`]). Without one, an administrator applies and
/// accepts for it.
#[derive(Debug, Clone)]
pub struct Grantee {
    pub id: String,
    pub user: Option<String>,
}

impl Grantee {
    /// Gives the grantee a user of its own and returns that user's email
    /// too, for tests that sign in through the portal's form.
    pub fn with_user_email(mut self, app: &TestApp) -> (Grantee, String) {
        let id: GranteeId = self.id.parse::<uuid::Uuid>().unwrap().into();
        let email = app.user_email(Role::Grantee, Some(id));
        self.user = Some(app.login(&email, PASSWORD));
        (self, email)
    }

    /// Gives the grantee a user of its own, who then applies and accepts.
    pub fn signed_in(mut self, app: &TestApp) -> Grantee {
        let id: GranteeId = self.id.parse::<uuid::Uuid>().unwrap().into();
        self.user = Some(app.user(Role::Grantee, Some(id)));
        self
    }

    /// Who acts for the grantee: its own user, or else `admin`.
    fn actor<'a>(&'a self, admin: &'a str) -> &'a str {
        self.user.as_deref().unwrap_or(admin)
    }
}

/// The [`TestApp::grantee`] changes for a community group in Tameside
/// named `name`.
pub fn tameside(name: &str) -> Value {
    json!({"name": name, "region": "north_west", "local_authority": "Tameside", "postcode": "OL6 7SF"})
}

/// `base` with the top-level keys of `changes` put in (a null removes one).
pub fn merged(mut base: Value, changes: Value) -> Value {
    if let Value::Object(changes) = changes {
        for (key, value) in changes {
            if value.is_null() {
                base.as_object_mut().unwrap().remove(&key);
            } else {
                base[key] = value;
            }
        }
    }
    base
}

/// The `id` of a created resource.
pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// Asserts a set-up step's status, naming the step when it differs.
fn step(what: &str, response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    assert_eq!(got, status, "set-up step {what:?} failed; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Typed fixtures: each does its work over HTTP with the requests the tests
/// make, asserting the status it expects.
impl TestApp {
    /// Runs SQL straight on the test database, as someone with database
    /// access could, behind the service's back.
    pub fn exec_sql(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        self.db
            .db
            .read(|c| {
                c.batch_execute(sql)
                    .map_err(grantledger_store::StoreError::from)
            })
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Runs an `UPDATE` of the audit trail past its append-only trigger,
    /// as an attacker with database access would.
    pub fn edit_audit_trail(&self, update: &str) {
        if self.db.db.backend() == grantledger_store::BackendKind::Postgres {
            self.exec_sql("ALTER TABLE audit_events DISABLE TRIGGER ALL");
            self.exec_sql(update);
            self.exec_sql("ALTER TABLE audit_events ENABLE TRIGGER ALL");
        } else {
            self.exec_sql(&format!("DROP TRIGGER audit_events_no_update; {update}"));
        }
    }
}

impl TestApp {
    /// Loads the demo data set and signs in as its first administrator;
    /// returns that token and the Local Connections Fund as the API shows it.
    pub fn demo(&self) -> (String, Value) {
        use grantledger_server::demo::{DEMO_PASSWORD, DEMO_USERS, load};
        assert!(
            load(
                &self.db.db,
                &grantledger_store::bank_details::Keyring::demo()
            )
            .unwrap(),
            "the demo loads into an empty database"
        );
        self.demo_authenticators();
        let admin = self.login(DEMO_USERS[0].0, DEMO_PASSWORD);
        let funds = expect(self.get("/v1/funds", Some(&admin)), 200);
        let lcf = funds["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "LCF")
            .expect("the demo's Local Connections Fund")
            .clone();
        (admin, lcf)
    }

    pub fn admin(&self) -> String {
        self.user(Role::Admin, None)
    }

    pub fn assessor(&self) -> String {
        self.user(Role::Assessor, None)
    }

    pub fn auditor(&self) -> String {
        self.user(Role::Auditor, None)
    }

    /// Fund LCF, "Local Connections Fund", with `budget`.
    pub fn fund(&self, admin: &str, budget: &str) -> Fund {
        self.fund_with(
            admin,
            json!({"code": "LCF", "name": "Local Connections Fund", "budget": budget}),
        )
    }

    /// A fund from the whole of `body`.
    pub fn fund_with(&self, admin: &str, body: Value) -> Fund {
        let created = step(
            "create fund",
            self.post("/v1/funds", Some(admin), &body),
            201,
        );
        Fund {
            id: id_of(&created),
            admin: admin.to_owned(),
        }
    }

    /// "Round 1", open from 2026 to 2099, with `allocation` and grants
    /// from `range.0` to `range.1`.
    pub fn open_round(&self, fund: &Fund, allocation: &str, range: (&str, &str)) -> Round {
        self.round_with(
            fund,
            json!({"allocation": allocation, "min_grant": range.0, "max_grant": range.1}),
        )
    }

    /// Fund `code` called `name` with a budget of 10,000.00, and its
    /// "Round 1", open from 5 January 2026 09:00 to 16 February 2099 17:00,
    /// with all of it to give in grants of 100.00 to 2,500.00.
    pub fn small_round(&self, admin: &str, code: &str, name: &str) -> Round {
        let fund = self.fund_with(
            admin,
            json!({"code": code, "name": name, "budget": "10000.00"}),
        );
        self.round_with(
            &fund,
            json!({"opens_at": "2026-01-05T09:00:00Z", "closes_at": "2099-02-16T17:00:00Z",
                   "allocation": "10000.00", "min_grant": "100.00", "max_grant": "2500.00"}),
        )
    }

    /// A round of a new fund `code` that is set up to open in 2098, given
    /// `form`, then opened (a form cannot change once its round is open).
    pub fn round_with_form(&self, admin: &str, code: &str, form: &Value) -> Round {
        let round = self.upcoming_round(admin, code);
        step(
            "set the round's form",
            self.put(
                &format!("/v1/rounds/{}/form", round.id),
                Some(admin),
                None,
                form,
            ),
            200,
        );
        self.open_now(&round);
        round
    }

    /// Fund `code` with 10,000.00, and its round 1, set up to open in 2098
    /// (so its form can still change) with grants of 100.00 to 2,500.00.
    pub fn upcoming_round(&self, admin: &str, code: &str) -> Round {
        let fund = self.fund_with(
            admin,
            json!({"code": code, "name": "Forms Fund", "budget": "10000.00"}),
        );
        self.round_with(
            &fund,
            json!({"opens_at": "2098-01-05T09:00:00Z", "closes_at": "2099-02-16T17:00:00Z",
                   "allocation": "10000.00", "min_grant": "100.00", "max_grant": "2500.00"}),
        )
    }

    /// Opens the round now, as an administrator would once its form is ready.
    pub fn open_now(&self, round: &Round) {
        step(
            "open the round",
            self.patch(
                &format!("/v1/rounds/{}", round.id),
                Some(&round.admin),
                Some("*"),
                &json!({"opens_at": "2026-01-05T09:00:00Z"}),
            ),
            200,
        );
    }

    /// A round from the open round's body with `changes` put in.
    pub fn round_with(&self, fund: &Fund, changes: Value) -> Round {
        let body = merged(
            json!({"name": "Round 1", "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z"}),
            changes,
        );
        let created = step(
            "create round",
            self.post(
                &format!("/v1/funds/{}/rounds", fund.id),
                Some(&fund.admin),
                &body,
            ),
            201,
        );
        Round {
            id: id_of(&created),
            admin: fund.admin.clone(),
        }
    }

    /// A grantee: the Tuesday Lunch Club of Gateshead with `changes` put in.
    pub fn grantee(&self, admin: &str, changes: Value, due_diligence: DueDiligence) -> Grantee {
        let body = merged(
            json!({"name": "Tuesday Lunch Club", "organisation_type": "community_group", "region": "north_east",
                   "local_authority": "Gateshead", "postcode": "NE8 1HE", "annual_income": "12000.00"}),
            changes,
        );
        let created = step(
            "create grantee",
            self.post("/v1/grantees", Some(admin), &body),
            201,
        );
        let grantee = Grantee {
            id: id_of(&created),
            user: None,
        };
        if due_diligence == DueDiligence::Passed {
            self.pass_due_diligence(admin, &grantee);
        }
        grantee
    }

    /// Records due diligence passed and, so that payment runs pay the
    /// grantee as a real one would be paid, gives it verified bank details
    /// ([`TestApp::verified_bank_details`]).
    pub fn pass_due_diligence(&self, admin: &str, grantee: &Grantee) {
        step(
            "pass due diligence",
            self.post(
                &format!("/v1/grantees/{}/due-diligence", grantee.id),
                Some(admin),
                &json!({"outcome": "passed"}),
            ),
            200,
        );
        self.verified_bank_details(admin, grantee);
    }

    /// Bank details for `grantee` ([`TEST_ACCOUNT`]), entered by `admin`
    /// and verified by another administrator.
    pub fn verified_bank_details(&self, admin: &str, grantee: &Grantee) {
        self.enter_bank_details(admin, grantee, TEST_ACCOUNT);
        step(
            "verify bank details",
            self.post(
                &format!("/v1/grantees/{}/bank-details/verify", grantee.id),
                Some(&self.admin()),
                &json!({"note": "called the treasurer on the number we hold"}),
            ),
            200,
        );
    }

    /// A payment run of the fund's tranches due by `due_by`, made by
    /// `admin` and approved by another administrator (four eyes).
    pub fn approved_run(&self, admin: &str, fund_id: &str, due_by: &str) -> Value {
        let draft = step(
            "make a payment run",
            self.post(
                "/v1/payment-runs",
                Some(admin),
                &json!({"fund_id": fund_id, "due_by": due_by}),
            ),
            201,
        );
        let id = draft["id"].as_str().unwrap_or_default();
        step(
            "approve the payment run",
            self.post(
                &format!("/v1/payment-runs/{id}/approve"),
                Some(&self.admin()),
                &json!({}),
            ),
            200,
        )
    }

    /// Enters `(sort code, account number)` for `grantee` as `token`; the
    /// change then waits for verification.
    pub fn enter_bank_details(
        &self,
        token: &str,
        grantee: &Grantee,
        account: (&str, &str),
    ) -> Value {
        step(
            "enter bank details",
            self.request(
                "PUT",
                &format!("/v1/grantees/{}/bank-details", grantee.id),
                Some(token),
                Some(
                    &json!({"account_name": "Tuesday Lunch Club", "sort_code": account.0,
                             "account_number": account.1}),
                ),
            ),
            200,
        )
    }

    /// A draft application for `amount` ("Lunches"), by the grantee's user
    /// or by the round's administrator naming the grantee.
    pub fn draft_application(&self, round: &Round, grantee: &Grantee, amount: &str) -> Value {
        self.draft_application_with(round, grantee, json!({"amount_requested": amount}))
    }

    /// A draft application from the default body with `changes` put in.
    pub fn draft_application_with(
        &self,
        round: &Round,
        grantee: &Grantee,
        changes: Value,
    ) -> Value {
        let mut body = merged(
            json!({"project_title": "Lunches", "summary": "Hot lunch"}),
            changes,
        );
        if grantee.user.is_none() {
            body["grantee_id"] = json!(grantee.id);
        }
        step(
            "create application",
            self.post(
                &format!("/v1/rounds/{}/applications", round.id),
                Some(grantee.actor(&round.admin)),
                &body,
            ),
            201,
        )
    }

    pub fn submit(&self, round: &Round, grantee: &Grantee, application: &str) {
        step(
            "submit application",
            self.post(
                &format!("/v1/applications/{application}/submit"),
                Some(grantee.actor(&round.admin)),
                &json!({}),
            ),
            200,
        );
    }

    /// A submitted application for `amount`; returns its id.
    pub fn submitted_application(&self, round: &Round, grantee: &Grantee, amount: &str) -> String {
        self.submitted_application_with(round, grantee, json!({"amount_requested": amount}))
    }

    /// A submitted application from the default body with `changes` put in.
    pub fn submitted_application_with(
        &self,
        round: &Round,
        grantee: &Grantee,
        changes: Value,
    ) -> String {
        let application = id_of(&self.draft_application_with(round, grantee, changes));
        self.submit(round, grantee, &application);
        application
    }

    /// The round's administrator starts the review of a submitted application.
    pub fn start_review(&self, round: &Round, application: &str) {
        step(
            "start review",
            self.post(
                &format!("/v1/applications/{application}/start-review"),
                Some(&round.admin),
                &json!({}),
            ),
            200,
        );
    }

    /// A new assessor assesses `application` with `body`; returns the
    /// assessment.
    pub fn assessment(&self, application: &str, body: Value) -> Value {
        let assessor = self.assessor();
        step(
            "assess application",
            self.post(
                &format!("/v1/applications/{application}/assessments"),
                Some(&assessor),
                &body,
            ),
            201,
        )
    }

    /// The round's administrator awards `amount` on `application`; returns
    /// the award's id.
    pub fn award(&self, round: &Round, application: &str, amount: &str) -> String {
        let decided = step(
            "award",
            self.post(
                &format!("/v1/applications/{application}/decision"),
                Some(&round.admin),
                &json!({"outcome": "award", "amount": amount}),
            ),
            201,
        );
        decided["award"]["id"].as_str().unwrap().to_owned()
    }

    /// The grantee (or the administrator for it) accepts `award`.
    pub fn accept(&self, round: &Round, grantee: &Grantee, award: &str) {
        step(
            "accept award",
            self.post(
                &format!("/v1/awards/{award}/accept"),
                Some(grantee.actor(&round.admin)),
                &json!({}),
            ),
            200,
        );
    }

    /// An accepted award of `amount`, applied for, submitted, awarded and
    /// accepted; returns the award's id.
    pub fn accepted_award(&self, round: &Round, grantee: &Grantee, amount: &str) -> String {
        self.accepted_award_with(round, grantee, json!({"amount_requested": amount}), amount)
            .award
    }

    /// An accepted award of `amount` on an application made from `changes`.
    pub fn accepted_award_with(
        &self,
        round: &Round,
        grantee: &Grantee,
        changes: Value,
        amount: &str,
    ) -> Grant {
        let application = self.submitted_application_with(round, grantee, changes);
        let award = self.award(round, &application, amount);
        self.accept(round, grantee, &award);
        Grant { application, award }
    }

    /// The round's administrator completes `award`.
    pub fn complete(&self, round: &Round, award: &str) {
        step(
            "complete award",
            self.post(
                &format!("/v1/awards/{award}/complete"),
                Some(&round.admin),
                &json!({}),
            ),
            200,
        );
    }

    /// The grantee (or the administrator for it) declines `award`.
    pub fn decline(&self, round: &Round, grantee: &Grantee, award: &str) {
        step(
            "decline award",
            self.post(
                &format!("/v1/awards/{award}/decline"),
                Some(grantee.actor(&round.admin)),
                &json!({}),
            ),
            200,
        );
    }

    /// The round's administrator cancels `award` for `reason`.
    pub fn cancel(&self, round: &Round, award: &str, reason: &str) {
        step(
            "cancel award",
            self.post(
                &format!("/v1/awards/{award}/cancel"),
                Some(&round.admin),
                &json!({"reason": reason}),
            ),
            200,
        );
    }

    /// The round's administrator varies `award` to `amount` for `reason`.
    pub fn variation(&self, round: &Round, award: &str, amount: &str, reason: &str) -> Value {
        step(
            "vary award",
            self.post(
                &format!("/v1/awards/{award}/variations"),
                Some(&round.admin),
                &json!({"amount": amount, "reason": reason}),
            ),
            201,
        )
    }

    /// The round's administrator sets the evaluation return due date of `award`.
    pub fn return_due(&self, round: &Round, award: &str, due_on: &str) {
        step(
            "set return due date",
            self.request(
                "PUT",
                &format!("/v1/awards/{award}/return-due-date"),
                Some(&round.admin),
                Some(&json!({"return_due_on": due_on})),
            ),
            200,
        );
    }

    /// A tranche of `amount` due on `due_on`; returns its id.
    pub fn tranche(&self, round: &Round, award: &str, amount: &str, due_on: &str) -> String {
        id_of(&step(
            "schedule tranche",
            self.post(
                &format!("/v1/awards/{award}/disbursements"),
                Some(&round.admin),
                &json!({"amount": amount, "due_on": due_on}),
            ),
            201,
        ))
    }

    /// A tranche of `amount` due on `due_on`, marked paid; returns its id.
    pub fn paid_tranche(&self, round: &Round, award: &str, amount: &str, due_on: &str) -> String {
        let tranche = self.tranche(round, award, amount, due_on);
        step(
            "mark tranche paid",
            self.post(
                &format!("/v1/disbursements/{tranche}/paid"),
                Some(&round.admin),
                &json!({}),
            ),
            200,
        );
        tranche
    }
}

/// An accepted award and the application it was made on.
#[derive(Debug, Clone)]
pub struct Grant {
    pub application: String,
    pub award: String,
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

/// The `field` of each error a 422 lists, in the order given.
pub fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors listed: {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

/// A response's `Content-Type`, or "" when it has none.
pub fn content_type(response: &Response) -> String {
    response
        .headers()
        .get("Content-Type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts the API document lists the `Idempotency-Key` header for the
/// POST at each of `paths`.
pub fn assert_documents_idempotency_key(app: &TestApp, paths: &[&str]) {
    let document = expect(app.get("/openapi.json", None), 200);
    for path in paths {
        let params = document["paths"][path]["post"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            params.iter().any(|p| p["name"] == "Idempotency-Key"),
            "{path}: {params:?}"
        );
    }
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
