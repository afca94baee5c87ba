//! Every route of the HTTP API, in process, over a SQLite database loaded
//! with the demo data set: the input picks a route (from the OpenAPI
//! document), which record its `{id}` names, the caller, the headers and
//! the body (or, for GETs, the query string). Whatever the input, the
//! answer must not be a 5xx, and an error must be a problem document.
//!
//! Input layout: `[route, flags, id, ...rest]`.
//! - `flags` bits 0–1: the `{id}`: a real record (0, 1), a random UUID (2),
//!   or junk text (3); bit 2: call as the demo grantee instead of the admin;
//!   bits 3–4: the `Content-Type` (JSON, CSV, plain text, none); bits 5–6:
//!   `If-Match` (`*`, none, `"1"`, junk); bit 7: an `Idempotency-Key`.
//! - `id` picks which real record.
//! - `rest` is the body, or the query string of a GET.
#![no_main]

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::{BoxBody, to_bytes};
use actix_web::dev::Service;
use actix_web::http::{Method, StatusCode, header};
use actix_web::rt::SystemRunner;
use actix_web::test::{self, TestRequest};
use actix_web::{HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use grantledger_server::app::{AppState, build};
use grantledger_server::auth::jwt::{JwtConfig, JwtKeys};
use grantledger_server::auth::limiter::LoginLimiter;
use grantledger_server::demo::{DEMO_PASSWORD, DEMO_USERS};
use grantledger_store::testing::TestDb;
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use serde_json::{Value, json};

type Call = Box<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, HttpResponse<BoxBody>>>;

struct Fixture {
    system: SystemRunner,
    call: Call,
    /// (method, path template) of every documented route.
    routes: Vec<(Method, String)>,
    /// Real ids by the path segment before `{id}` ("funds", "awards", ...).
    ids: BTreeMap<String, Vec<String>>,
    admin: String,
    grantee: String,
    _db: TestDb,
}

thread_local! {
    static FIXTURE: Fixture = fixture();
}

fn fixture() -> Fixture {
    let system = actix_web::rt::System::new();
    let db = TestDb::sqlite();
    grantledger_server::demo::load(&db.db).unwrap_or_else(|e| panic!("demo data: {e}"));
    let config = JwtConfig {
        secret: SecretString::from("fuzz-secret-fuzz-secret-fuzz-secret-0123".to_owned()),
        key_id: "fuzz".to_owned(),
        previous_keys: vec![],
        issuer: "grantledger".to_owned(),
        audience: "grantledger-api".to_owned(),
        ttl: Duration::from_secs(365 * 24 * 3600),
    };
    let keys = JwtKeys::new(&config, false).unwrap_or_else(|e| panic!("{e}"));
    let state = web::Data::new(AppState {
        db: db.db.clone(),
        limiter: std::sync::Arc::new(LoginLimiter::default()),
        hashing: std::sync::Arc::new(grantledger_server::auth::password::HashingPool::default()),
    });
    let call: Call = system.block_on(async {
        let service = test::init_service(
            build(state, web::Data::new(keys))
                .wrap(grantledger_server::middleware::problem_errors())
                .wrap(grantledger_server::middleware::security_headers())
                .wrap(grantledger_server::middleware::request_context()),
        )
        .await;
        let service = Rc::new(service);
        Box::new(move |req| {
            let service = service.clone();
            Box::pin(async move {
                // An error out of the service is what the server would send
                // for it, as actix's dispatcher does.
                match service.call(req).await {
                    Ok(response) => response.map_into_boxed_body().into_parts().1,
                    Err(error) => error.error_response(),
                }
            }) as LocalBoxFuture<'static, HttpResponse<BoxBody>>
        }) as Call
    });
    let mut routes = Vec::new();
    let api = grantledger_server::app::openapi();
    for (path, item) in &api.paths.paths {
        let item = serde_json::to_value(item).unwrap_or_default();
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let method =
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or(Method::GET);
                routes.push((method, path.clone()));
            }
        }
    }
    let login = |email: &str| -> String {
        let req = TestRequest::post()
            .uri("/v1/auth/token")
            .set_json(json!({"email": email, "password": DEMO_PASSWORD}))
            .to_request();
        let (status, body) = system.block_on(send(&call, req));
        assert_eq!(status, StatusCode::OK, "demo login {email}: {body}");
        body["access_token"].as_str().unwrap_or_default().to_owned()
    };
    let admin = login(DEMO_USERS[0].0);
    let grantee = login(DEMO_USERS[3].0);
    let mut fixture = Fixture {
        system,
        call,
        routes,
        ids: BTreeMap::new(),
        admin,
        grantee,
        _db: db,
    };
    collect_ids(&mut fixture);
    fixture
}

async fn send(call: &Call, req: actix_http::Request) -> (StatusCode, Value) {
    let response = call(req).await;
    let status = response.status();
    let bytes = to_bytes(response.into_body()).await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Lists every kind of record through the API so `{id}` can name real ones.
fn collect_ids(f: &mut Fixture) {
    let get = |f: &Fixture, path: &str| -> Vec<String> {
        let req = TestRequest::get()
            .uri(path)
            .insert_header((header::AUTHORIZATION, format!("Bearer {}", f.admin)))
            .to_request();
        let (_, body) = f.system.block_on(send(&f.call, req));
        body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Commitments come from an import; the demo data has none.
    let req = TestRequest::post()
        .uri("/v1/commitments/import")
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", f.admin)))
        .insert_header((header::CONTENT_TYPE, "text/plain"))
        .set_payload("Pledge\tDept\tProgress\n1. Measure loneliness.\tDCMS\tIn progress\n2. Fund groups.\tDfE, DWP\t\n")
        .to_request();
    f.system.block_on(send(&f.call, req));
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for kind in [
        "funds",
        "grantees",
        "awards",
        "users",
        "payment-runs",
        "commitments",
    ] {
        ids.insert(kind.to_owned(), get(f, &format!("/v1/{kind}?limit=500")));
    }
    let funds = ids.get("funds").cloned().unwrap_or_default();
    let rounds: Vec<String> = funds
        .iter()
        .flat_map(|fund| get(f, &format!("/v1/funds/{fund}/rounds")))
        .collect();
    let applications = rounds
        .iter()
        .flat_map(|round| get(f, &format!("/v1/rounds/{round}/applications?limit=500")))
        .collect();
    let awards = ids.get("awards").cloned().unwrap_or_default();
    let disbursements = awards
        .iter()
        .flat_map(|award| get(f, &format!("/v1/awards/{award}/disbursements")))
        .collect();
    let returns = awards
        .iter()
        .flat_map(|award| get(f, &format!("/v1/awards/{award}/evaluation-returns")))
        .collect();
    ids.insert("rounds".to_owned(), rounds);
    ids.insert("applications".to_owned(), applications);
    ids.insert("disbursements".to_owned(), disbursements);
    ids.insert("evaluation-returns".to_owned(), returns);
    f.ids = ids;
}

const JUNK_IDS: [&str; 6] = [
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "%00",
    "9999999999999999999999999999999999999",
    "%F0%9F%92%A9",
    "..%2F..%2Fetc%2Fpasswd",
];

fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~=&".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [route, flags, pick, rest @ ..] = data else {
        return;
    };
    FIXTURE.with(|f| {
        let Some((method, template)) = f.routes.get(usize::from(*route) % f.routes.len().max(1))
        else {
            return;
        };
        let path = match template.split_once("/{id}") {
            Some((before, after)) => {
                let kind = before.rsplit('/').next().unwrap_or_default();
                let id = match flags & 0b11 {
                    0 | 1 => f
                        .ids
                        .get(kind)
                        .filter(|ids| !ids.is_empty())
                        .and_then(|ids| ids.get(usize::from(*pick) % ids.len()))
                        .cloned()
                        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
                    2 => uuid::Uuid::now_v7().to_string(),
                    _ => JUNK_IDS[usize::from(*pick) % JUNK_IDS.len()].to_owned(),
                };
                format!("{before}/{id}{after}")
            }
            None => template.clone(),
        };
        let token = if flags & 0b100 == 0 {
            &f.admin
        } else {
            &f.grantee
        };
        let mut req = TestRequest::default()
            .method(method.clone())
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        if *method == Method::GET {
            req = req.uri(&format!("{path}?{}", percent_encode(rest)));
        } else {
            req = req.uri(&path).set_payload(rest.to_vec());
            let content_type = match (flags >> 3) & 0b11 {
                0 => Some("application/json"),
                1 => Some("text/csv"),
                2 => Some("text/plain"),
                _ => None,
            };
            if let Some(content_type) = content_type {
                req = req.insert_header((header::CONTENT_TYPE, content_type));
            }
        }
        match (flags >> 5) & 0b11 {
            0 => req = req.insert_header((header::IF_MATCH, "*")),
            1 => {}
            2 => req = req.insert_header((header::IF_MATCH, "\"1\"")),
            _ => req = req.insert_header((header::IF_MATCH, "W/\"-99999999999999999999\"")),
        }
        if flags & 0b1000_0000 != 0 {
            req = req.insert_header(("Idempotency-Key", format!("fuzz-{pick}")));
        }
        let response = f.system.block_on((f.call)(req.to_request()));
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        // Streamed bodies (exports) are read to the end: an error half way
        // through would be a truncated download.
        let body = f.system.block_on(to_bytes(response.into_body()));
        assert!(
            !status.is_server_error(),
            "{method} {path} answered {status}: {:?}",
            body.as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .ok()
        );
        assert!(
            body.is_ok(),
            "{method} {path}: the body failed while streaming"
        );
        if status.is_client_error() {
            assert_eq!(
                content_type, "application/problem+json",
                "{method} {path} answered {status} without a problem document"
            );
        }
    });
});
