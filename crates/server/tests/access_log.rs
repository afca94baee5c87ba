//! The access log names the route and never a secret. A test binary of its
//! own: tracing caches per-callsite interest process-wide, so capturing logs
//! beside other tests running in parallel would be flaky.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io;
use std::sync::{Arc, Mutex};

use actix_web::http::{StatusCode, header};
use actix_web::middleware::from_fn;
use actix_web::test as actix_test;
use actix_web::{App, HttpResponse, web};
use grantledger_server::error::{ApiError, PROBLEM_JSON};
use grantledger_server::extract;
use grantledger_server::middleware::{
    REQUEST_ID_HEADER, metrics, problem_errors, request_context, security_headers,
};

async fn ok() -> HttpResponse {
    HttpResponse::Ok().body("hello")
}

async fn fails() -> Result<HttpResponse, ApiError> {
    Err(ApiError::Internal("the flux capacitor is unplugged".into()))
}

async fn panics() -> HttpResponse {
    panic!("deliberate test panic")
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn access_logs_name_the_route_and_never_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let app = actix_test::init_service(
        App::new()
            .app_data(extract::path_config())
            .route("/funds/{id}", web::get().to(ok))
            .route("/boom", web::get().to(fails))
            .route("/panic", web::get().to(panics))
            .default_service(extract::default_service())
            .wrap(from_fn(problem_errors))
            .wrap(metrics().unwrap())
            .wrap(from_fn(security_headers))
            .wrap(from_fn(request_context)),
    )
    .await;
    let req = actix_test::TestRequest::get()
        .uri("/funds/42?password=hunter2hunter2")
        .insert_header((header::AUTHORIZATION, "Bearer secret-token-value"))
        .insert_header((REQUEST_ID_HEADER, "trace-me-1"))
        .to_request();
    actix_test::call_service(&app, req).await;
    actix_test::call_service(
        &app,
        actix_test::TestRequest::get().uri("/boom").to_request(),
    )
    .await;

    let req = actix_test::TestRequest::get()
        .uri("/panic")
        .insert_header((REQUEST_ID_HEADER, "panicky-1"))
        .to_request();
    // The server renders a service error as its error_response.
    let error = actix_test::try_call_service(&app, req).await.err().unwrap();
    let response = error.error_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header(REQUEST_ID_HEADER), "panicky-1");
    assert_eq!(header("content-type"), PROBLEM_JSON);
    assert_eq!(header("x-frame-options"), "DENY");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("deliberate test panic"), "{logs}");
    assert!(logs.contains("trace-me-1"), "{logs}");
    assert!(logs.contains("route=/funds/{id}"), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("latency_ms="), "{logs}");
    assert!(logs.contains("method=GET"), "{logs}");
    assert!(!logs.contains("hunter2"), "{logs}");
    assert!(!logs.contains("secret-token-value"), "{logs}");
    assert!(!logs.contains("/funds/42"), "{logs}");
    // The internal detail reaches the log, not the client.
    assert!(logs.contains("status=500"), "{logs}");
    assert!(logs.contains("flux capacitor"), "{logs}");
}
