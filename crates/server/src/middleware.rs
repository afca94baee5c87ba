//! Cross-cutting HTTP behaviour: request ids and access logs, security
//! headers, Prometheus metrics, and problem bodies for errors that actix
//! produces by itself.
//!
//! Wrap the app in this order (actix runs the last `wrap` first, so this
//! lists the innermost first):
//!
//! ```ignore
//! let metrics = middleware::metrics()?; // once, outside HttpServer::new
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(extract::json_config())
//!         .app_data(extract::query_config())
//!         .app_data(extract::path_config())
//!         .configure(routes)
//!         .default_service(extract::default_service())
//!         .wrap(from_fn(middleware::problem_errors))
//!         .wrap(metrics.clone())
//!         .wrap(from_fn(middleware::security_headers))
//!         .wrap(from_fn(middleware::request_context))
//! })
//! ```
//!
//! `request_context` goes outermost so every response, including
//! `/metrics` (which the metrics middleware answers itself), gets a request
//! id and a log line.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use anyhow::Context;
use futures_util::FutureExt;
use tracing::Instrument;
use uuid::Uuid;

use crate::error::{ApiError, PROBLEM_JSON, Problem, problem_response};

/// The header that carries a request's id in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest client-supplied request id that is kept.
const MAX_REQUEST_ID_LEN: usize = 64;

/// Longest unmatched path written to a log line; the rest is attacker-sized.
const MAX_LOGGED_PATH: usize = 200;

/// The id of the current request, in the request's extensions, for
/// handlers that record it (audit events, error reports):
/// `req.extensions().get::<RequestId>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Gives each request an id (the client's `X-Request-Id` when it is a sane
/// token, else a fresh UUID v7), echoes it on the response, runs the request
/// in a tracing span carrying it, and writes one log line per request.
///
/// The log line has the method, the matched route pattern (or the path
/// for unmatched requests), status, latency, request id and peer address.
/// Query strings, headers and bodies are never logged: they carry
/// passwords, tokens and personal data.
///
/// Wrap it with `actix_web::middleware::from_fn`.
pub async fn request_context<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let request_id =
        incoming_request_id(req.headers()).unwrap_or_else(|| Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    // The peer address, not X-Forwarded-For: a header any client can set
    // would let it write whatever it likes into the logs.
    let client_ip = req
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_default();
    let path = truncate(req.path(), MAX_LOGGED_PATH);
    let span = tracing::info_span!("http_request", request_id = %request_id);
    let started = Instant::now();

    // A panicking handler would otherwise drop the connection with no
    // response and no log line carrying the request id. The unwound future
    // is dropped whole; state shared across requests (pool, limiter, keys)
    // is behind types that stay consistent or poison on unwind, so the
    // worker can carry on serving.
    let outcome = AssertUnwindSafe(next.call(req))
        .catch_unwind()
        .instrument(span.clone())
        .await;
    // Three decimals (microseconds): a raw f64 prints as 0.36954099999999995.
    let latency_ms = format!("{:.3}", started.elapsed().as_secs_f64() * 1000.0);
    let _entered = span.enter();

    let result = match outcome {
        Ok(result) => result,
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            tracing::error!(method = %method, route = %path, panic = %message, "handler panicked");
            // The request went into the service and cannot be had back (a
            // cloned request breaks routing), so the answer is an error that
            // actix renders: one that carries the id and headers itself.
            return Err(HandlerPanicked { request_id }.into());
        }
    };

    match result {
        Ok(mut response) => {
            let route = response.request().match_pattern().unwrap_or(path);
            let user_id = signed_in_user(response.request());
            let status = response.status();
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            if status.is_server_error() {
                // ApiError logs its own detail when rendered; repeat only
                // errors from elsewhere, which nothing else has logged.
                let error = response
                    .response()
                    .error()
                    .filter(|error| error.as_error::<ApiError>().is_none())
                    .map(ToString::to_string)
                    .unwrap_or_default();
                tracing::error!(
                    method = %method, route = %route, status = status.as_u16(),
                    latency_ms = %latency_ms, client_ip = %client_ip, user_id = %user_id,
                    error = %error, "request failed"
                );
            } else {
                tracing::info!(
                    method = %method, route = %route, status = status.as_u16(),
                    latency_ms = %latency_ms, client_ip = %client_ip, user_id = %user_id,
                    "request"
                );
            }
            Ok(response)
        }
        Err(error) => {
            // Only a middleware can fail this way (handlers' errors are
            // already responses); actix renders it after we return.
            let status = error.as_response_error().status_code();
            tracing::error!(
                method = %method, route = %path, status = status.as_u16(),
                latency_ms = %latency_ms, client_ip = %client_ip, error = %error,
                "request failed in middleware"
            );
            Err(error)
        }
    }
}

/// The user a request was authenticated as, for its log line; `-` when
/// it carried no valid token.
fn signed_in_user(req: &actix_web::HttpRequest) -> String {
    req.extensions()
        .get::<crate::auth::principal::Principal>()
        .map_or_else(|| "-".to_owned(), |p| p.user_id.to_string())
}

/// The answer to a request whose handler panicked.
#[derive(Debug)]
struct HandlerPanicked {
    request_id: String,
}

impl std::fmt::Display for HandlerPanicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request handler panicked")
    }
}

impl ResponseError for HandlerPanicked {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        // Already logged with the panic message; render without logging again.
        let mut response = problem_response(&generic_problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &Method::GET,
        ));
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
        }
        apply_security_headers(headers, STRICT_CSP);
        response
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}

/// A client's request id, if it is short and made only of characters that
/// are safe to put in logs and headers.
fn incoming_request_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= MAX_REQUEST_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    sane.then(|| value.to_owned())
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text.get(..end).unwrap_or_default().to_owned(),
        None => text.to_owned(),
    }
}

/// The API's CSP: it serves JSON only, so nothing may load or frame it.
const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The Swagger UI under `/docs` loads its own scripts, styles and inline
/// images; it still may not load anything from elsewhere or be framed.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

/// Adds browser-hardening headers to every response that does not set them
/// itself: no MIME sniffing, no framing, no referrer, no caching, and a
/// content security policy that is strict everywhere except the docs UI.
///
/// Wrap it with `actix_web::middleware::from_fn`.
pub async fn security_headers<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let csp = if is_docs_path(req.path()) {
        DOCS_CSP
    } else {
        STRICT_CSP
    };
    let mut response = next.call(req).await?;
    apply_security_headers(response.headers_mut(), csp);
    Ok(response)
}

fn apply_security_headers(headers: &mut HeaderMap, csp: &'static str) {
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_SECURITY_POLICY, csp),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

fn is_docs_path(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

/// Gives a problem+json body to error responses that actix makes without
/// one: 405 from a resource lacking the method, and the `text/plain`
/// errors of extractors or middleware not configured through
/// [`crate::extract`]. Error bodies that already have another type (a
/// problem document, a readiness report) pass through untouched.
///
/// Wrap it with `actix_web::middleware::from_fn`.
pub async fn problem_errors<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let method = req.method().clone();
    let response = next.call(req).await?;
    let status = response.status();
    // The portal's pages are HTML for people, errors included.
    let is_page = response
        .response()
        .extensions()
        .contains::<crate::portal::page::PortalPage>();
    if is_page
        || !(status.is_client_error() || status.is_server_error())
        || !lacks_typed_body(response.headers())
    {
        return Ok(response.map_into_left_body());
    }
    let (req, original) = response.into_parts();
    let mut replacement = problem_response(&generic_problem(status, &method));
    // Headers such as Allow, Retry-After and WWW-Authenticate carry meaning
    // that the new body does not replace.
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, replacement).map_into_right_body())
}

fn lacks_typed_body(headers: &HeaderMap) -> bool {
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    {
        None => true,
        Some(content_type) => {
            let content_type = content_type.trim_start().to_ascii_lowercase();
            !content_type.starts_with(PROBLEM_JSON)
                && (content_type.starts_with("text/plain") || content_type.starts_with("text/html"))
        }
    }
}

fn generic_problem(status: StatusCode, method: &Method) -> Problem {
    let slug = match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation",
        StatusCode::TOO_MANY_REQUESTS => "too-many-requests",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!("this resource does not support {method}"),
        StatusCode::NOT_FOUND => "resource not found".to_owned(),
        // Whatever produced a bare 5xx may have put internals in its body.
        s if s.is_server_error() => "an internal error occurred; it has been logged".to_owned(),
        _ => title.to_lowercase(),
    };
    Problem {
        problem_type: format!("/problems/{slug}"),
        title,
        status: status.as_u16(),
        detail,
        errors: None,
        existing_id: None,
    }
}

/// Who may read `/metrics`: it shows how the service is used (how many
/// payment runs were confirmed, for one), so it is not public. It is
/// served on its own listener when one is configured, and on the main
/// address only with its bearer token; with neither, nowhere.
#[derive(Clone, Default)]
pub struct MetricsGate {
    /// The local address of the listener kept for `/metrics`.
    pub listener: Option<std::net::SocketAddr>,
    /// The bearer token that opens `/metrics` on any address.
    pub token: Option<secrecy::SecretString>,
}

impl std::fmt::Debug for MetricsGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsGate")
            .field("listener", &self.listener)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl MetricsGate {
    /// Whether a request reaching `local` with `authorization` may read
    /// `/metrics`.
    fn opens(&self, local: std::net::SocketAddr, authorization: Option<&HeaderValue>) -> bool {
        use secrecy::ExposeSecret;
        use sha2::Digest;
        if self.listener == Some(local) {
            return true;
        }
        let (Some(token), Some(given)) = (&self.token, authorization) else {
            return false;
        };
        let Some(given) = given
            .to_str()
            .ok()
            .and_then(|v| v.trim().strip_prefix("Bearer "))
        else {
            return false;
        };
        // Comparing digests keeps the time taken independent of where the
        // strings first differ.
        sha2::Sha256::digest(given.trim().as_bytes())
            == sha2::Sha256::digest(token.expose_secret().as_bytes())
    }
}

/// Enforces [`MetricsGate`] (from app data): `/metrics` answers 404 unless
/// the gate opens, and the metrics listener answers nothing but `/metrics`.
/// Wrap it outside the metrics middleware, which answers `/metrics` itself.
///
/// Wrap it with `actix_web::middleware::from_fn`.
pub async fn metrics_gate<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let gate = req
        .app_data::<actix_web::web::Data<MetricsGate>>()
        .map(|gate| gate.get_ref().clone())
        .unwrap_or_default();
    let local = req.app_config().local_addr();
    let is_metrics = req.path() == "/metrics";
    let on_metrics_listener = gate.listener == Some(local);
    let allowed = if is_metrics {
        gate.opens(local, req.headers().get(header::AUTHORIZATION))
    } else {
        !on_metrics_listener
    };
    if allowed {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let mut response = ApiError::not_found("resource").error_response();
    apply_security_headers(response.headers_mut(), STRICT_CSP);
    Ok(req.into_response(response).map_into_right_body())
}

/// Prometheus metrics, served at `/metrics`: request counts and latency
/// histograms labelled by method, status and matched route pattern.
///
/// Requests that match no route are labelled `UNMATCHED` rather than by
/// their path, so scanners cannot create unbounded label values. Build it
/// once, outside the `HttpServer::new` closure, and clone it into each
/// worker's app: each build has its own registry, so per-worker builds
/// would each report only their own worker's requests.
pub fn metrics() -> anyhow::Result<PrometheusMetrics> {
    PrometheusMetricsBuilder::new("grantledger")
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|error| anyhow::anyhow!("{error}"))
        .context("building the Prometheus metrics")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract;
    use actix_web::middleware::from_fn;
    use actix_web::test as actix_test;
    use actix_web::{App, web};

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().body("hello")
    }

    async fn fails() -> Result<HttpResponse, ApiError> {
        Err(ApiError::Internal("the flux capacitor is unplugged".into()))
    }

    async fn panics() -> HttpResponse {
        panic!("deliberate test panic")
    }

    async fn framed() -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
            .finish()
    }

    macro_rules! app {
        ($metrics:expr) => {
            actix_test::init_service(
                App::new()
                    .app_data(extract::path_config())
                    .route("/funds/{id}", web::get().to(ok))
                    .route("/docs/index.html", web::get().to(ok))
                    .route("/boom", web::get().to(fails))
                    .route("/framed", web::get().to(framed))
                    .route("/panic", web::get().to(panics))
                    .service(web::resource("/only-get").route(web::get().to(ok)))
                    .default_service(extract::default_service())
                    .wrap(from_fn(problem_errors))
                    .wrap($metrics)
                    .wrap(from_fn(security_headers))
                    .wrap(from_fn(request_context)),
            )
            .await
        };
    }

    fn header_of<B>(response: &ServiceResponse<B>, name: &str) -> String {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[actix_web::test]
    async fn security_headers_are_set_with_a_strict_csp_outside_docs() {
        let app = app!(metrics().unwrap());
        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/funds/1").to_request(),
        )
        .await;
        assert_eq!(header_of(&response, "x-content-type-options"), "nosniff");
        assert_eq!(header_of(&response, "x-frame-options"), "DENY");
        assert_eq!(header_of(&response, "referrer-policy"), "no-referrer");
        assert_eq!(
            header_of(&response, "cross-origin-opener-policy"),
            "same-origin"
        );
        assert_eq!(header_of(&response, "cache-control"), "no-store");
        assert_eq!(header_of(&response, "content-security-policy"), STRICT_CSP);

        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::get()
                .uri("/docs/index.html")
                .to_request(),
        )
        .await;
        assert!(header_of(&response, "content-security-policy").contains("script-src 'self'"));

        // Errors get them too, and a handler's own value wins.
        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/nope").to_request(),
        )
        .await;
        assert_eq!(header_of(&response, "x-frame-options"), "DENY");
        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/framed").to_request(),
        )
        .await;
        assert_eq!(header_of(&response, "x-frame-options"), "SAMEORIGIN");
    }

    #[actix_web::test]
    async fn request_ids_are_echoed_or_generated() {
        let app = app!(metrics().unwrap());
        let req = actix_test::TestRequest::get()
            .uri("/funds/1")
            .insert_header((REQUEST_ID_HEADER, "abc-123_XYZ"))
            .to_request();
        let response = actix_test::call_service(&app, req).await;
        assert_eq!(header_of(&response, REQUEST_ID_HEADER), "abc-123_XYZ");

        for bad in ["has space", "semi;colon", &"x".repeat(65)] {
            let req = actix_test::TestRequest::get()
                .uri("/funds/1")
                .insert_header((REQUEST_ID_HEADER, bad))
                .to_request();
            let response = actix_test::call_service(&app, req).await;
            let id = header_of(&response, REQUEST_ID_HEADER);
            assert!(Uuid::parse_str(&id).is_ok(), "{bad} -> {id}");
        }

        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/boom").to_request(),
        )
        .await;
        assert!(Uuid::parse_str(&header_of(&response, REQUEST_ID_HEADER)).is_ok());
    }

    #[actix_web::test]
    async fn bare_actix_errors_become_problems() {
        let app = app!(metrics().unwrap());
        let req = actix_test::TestRequest::post()
            .uri("/only-get")
            .to_request();
        let response = actix_test::call_service(&app, req).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(header_of(&response, "content-type"), PROBLEM_JSON);
        assert_eq!(header_of(&response, "allow"), "GET");
        let body: serde_json::Value = actix_test::read_body_json(response).await;
        assert_eq!(body["type"], "/problems/method-not-allowed");
        assert_eq!(body["status"], 405);

        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/boom").to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(header_of(&response, "content-type"), PROBLEM_JSON);
        let body = actix_test::read_body(response).await;
        assert!(!String::from_utf8_lossy(&body).contains("flux"));
    }

    #[actix_web::test]
    async fn metrics_label_by_route_pattern_not_path() {
        let app = app!(metrics().unwrap());
        for uri in [
            "/funds/0190f5c6-8c1e-7b3a-9c2d-4e5f6a7b8c9d",
            "/funds/other",
            "/scan/me/please",
        ] {
            actix_test::call_service(&app, actix_test::TestRequest::get().uri(uri).to_request())
                .await;
        }
        let response = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/metrics").to_request(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = String::from_utf8(actix_test::read_body(response).await.to_vec()).unwrap();
        assert!(text.contains("grantledger_http_requests_total"), "{text}");
        assert!(text.contains(r#"endpoint="/funds/{id}""#), "{text}");
        assert!(text.contains(r#"endpoint="UNMATCHED""#), "{text}");
        assert!(!text.contains("/funds/other"), "{text}");
        assert!(!text.contains("/scan/me"), "{text}");
    }

    #[test]
    fn request_id_rules() {
        let mut headers = HeaderMap::new();
        assert_eq!(incoming_request_id(&headers), None);
        headers.insert(
            HeaderName::from_static(REQUEST_ID_HEADER),
            HeaderValue::from_static("ok-1"),
        );
        assert_eq!(incoming_request_id(&headers).as_deref(), Some("ok-1"));
        headers.insert(
            HeaderName::from_static(REQUEST_ID_HEADER),
            HeaderValue::from_static(""),
        );
        assert_eq!(incoming_request_id(&headers), None);
        assert_eq!(truncate("abcdef", 3), "abc");
        assert_eq!(truncate("ab", 3), "ab");
    }
}
