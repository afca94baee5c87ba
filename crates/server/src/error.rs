//! The one place where failures become HTTP responses.
//!
//! Every error a handler, extractor or middleware can return is an
//! [`ApiError`], and every `ApiError` is rendered as an RFC 9457
//! `application/problem+json` document, so clients parse one error shape
//! whatever went wrong.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use grantledger_store::StoreError;
use serde::Serialize;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input value: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path to the value, such as `funders[0].contribution`, `body` for the
    /// whole body, or `query` for the query string.
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document: the body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "the request is invalid",
    "errors": [{"field": "funders[0].contribution", "message": "invalid amount"}]
}))]
pub struct Problem {
    /// A relative URI naming the kind of problem, such as `/problems/not-found`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP reason phrase for `status`.
    pub title: String,
    /// The HTTP status code, repeated for clients that lose it.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Invalid input values, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For a likely duplicate: the id of the record already held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<uuid::Uuid>,
}

/// Everything that can go wrong while serving a request, by the HTTP status
/// it answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be parsed (malformed JSON, empty body).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no credentials, or credentials that do not verify.
    #[error("{0}")]
    Unauthorized(String),
    /// 401: the password was right, but the account signs in with two
    /// factors and the code is missing or wrong.
    #[error("{0}")]
    TwoFactorRequired(String),
    /// 403: the password was right, but staff must set up two-factor
    /// sign-in (in the portal) before they get a token.
    #[error("{0}")]
    TwoFactorSetupRequired(String),
    /// 403: authenticated, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such record, or one the caller may not know exists.
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for, in users' words ("fund", "award").
        entity: &'static str,
    },
    /// 409: the change conflicts with the current state.
    #[error("{detail}")]
    Conflict {
        /// What conflicts, in words for the client.
        detail: String,
        /// The domain or store error it came from, kept for the log (see
        /// [`ApiError::conflict_from`]); never sent.
        #[source]
        cause: Option<Cause>,
    },
    /// 409: what would be created is likely a record already held.
    #[error("{detail}")]
    Duplicate {
        /// Which record, and why it looks the same.
        detail: String,
        /// The record already held.
        existing_id: uuid::Uuid,
    },
    /// 412: `If-Match` named a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 428: the request must carry `If-Match`.
    #[error("this request must be conditional: send If-Match with the version you last read")]
    PreconditionRequired,
    /// 413: the body is larger than allowed.
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// 413: an uploaded file (an import) is larger than the limit; says
    /// what to do instead.
    #[error(
        "the file is larger than the limit of {} MiB for an upload; split it into smaller files, or import it with the command line (grantledger import grantees FILE, grantledger import awards --round ID FILE), which takes files of any size",
        .limit / (1024 * 1024)
    )]
    FileTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// 413 or 422: an uploaded document is refused — too large (413), or
    /// empty or not an accepted type (422, naming the accepted types).
    #[error("{0}")]
    Document(grantledger_domain::document::DocumentError),
    /// 415: the body is not in a media type this endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the request parsed but its values are invalid.
    #[error("{detail}")]
    Unprocessable {
        /// A summary.
        detail: String,
        /// Each invalid value.
        errors: Vec<FieldError>,
    },
    /// 429: too many attempts; try again later.
    #[error("too many requests; retry after {retry_after_secs} seconds")]
    TooManyRequests {
        /// Whole seconds until a retry can succeed (at least 1).
        retry_after_secs: u64,
    },
    /// 503: a dependency (the database, the worker pool) cannot serve now.
    #[error("{0}")]
    Unavailable(String),
    /// 503 with `Retry-After`: a bounded resource (password hashing, the
    /// client's connection allowance) is full; try again shortly.
    #[error("{detail}")]
    Busy {
        /// What is busy, for the client.
        detail: String,
        /// Whole seconds to wait before retrying (at least 1).
        retry_after_secs: u64,
    },
    /// 500: a bug or a broken invariant. The text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The error behind an answer, kept so the log shows what the answer
/// summarises.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

impl ApiError {
    /// A 409 the operation words itself (there is no error behind it).
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            detail: detail.into(),
            cause: None,
        }
    }

    /// A 409 for a domain or store error that refuses the change: the
    /// client reads its message, and the error itself is kept as the
    /// source, which [`ResponseError::error_response`] logs under the
    /// request's id.
    pub fn conflict_from(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Conflict {
            detail: error.to_string(),
            cause: Some(Box::new(error)),
        }
    }

    /// A 422 naming one invalid value.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        ApiError::Unprocessable {
            detail: format!("invalid {}: {}", error.field, error.message),
            errors: vec![error],
        }
    }

    /// A 404 for a kind of record.
    #[must_use]
    pub fn not_found(entity: &'static str) -> Self {
        ApiError::NotFound { entity }
    }

    /// The `/problems/<slug>` part that names the kind of problem.
    #[must_use]
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::TwoFactorRequired(_) => "two-factor-required",
            ApiError::TwoFactorSetupRequired(_) => "two-factor-setup-required",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound { .. } => "not-found",
            ApiError::Conflict { .. } => "conflict",
            ApiError::Duplicate { .. } => "duplicate",
            ApiError::PreconditionFailed(_) => "precondition-failed",
            ApiError::PreconditionRequired => "precondition-required",
            ApiError::PayloadTooLarge { .. }
            | ApiError::FileTooLarge { .. }
            | ApiError::Document(grantledger_domain::document::DocumentError::TooLarge {
                ..
            }) => "payload-too-large",
            ApiError::Document(_) => "validation",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Unprocessable { .. } => "validation",
            ApiError::TooManyRequests { .. } => "too-many-requests",
            ApiError::Unavailable(_) | ApiError::Busy { .. } => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The problem document this error is rendered as.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            // The detail of an internal error may name tables, queries or
            // file paths; clients get a fixed sentence and the log gets the rest.
            ApiError::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Unprocessable { errors, .. } => Some(errors.clone()),
            _ => None,
        };
        let existing_id = match self {
            ApiError::Duplicate { existing_id, .. } => Some(*existing_id),
            _ => None,
        };
        Problem {
            problem_type: format!("/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
            existing_id,
        }
    }
}

/// Renders a problem document with the right status and media type.
#[must_use]
pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // Serialising a struct of strings cannot fail; the fallback only keeps
    // this function total.
    let body = serde_json::to_string(problem).unwrap_or_else(|_| {
        format!(
            r#"{{"type":"/problems/internal","title":"Internal Server Error","status":{}}}"#,
            status.as_u16()
        )
    });
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
        .body(body)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::TwoFactorRequired(_) => StatusCode::UNAUTHORIZED,
            ApiError::TwoFactorSetupRequired(_) => StatusCode::FORBIDDEN,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::Duplicate { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge { .. }
            | ApiError::FileTooLarge { .. }
            | ApiError::Document(grantledger_domain::document::DocumentError::TooLarge {
                ..
            }) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Document(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            // The answer says what conflicts; the log keeps which error said
            // so, inside the request's span and so under its id.
            ApiError::Conflict {
                detail,
                cause: Some(cause),
            } => tracing::info!(%detail, ?cause, "change refused"),
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized(_) | ApiError::TwoFactorRequired(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Busy {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity } => ApiError::NotFound { entity },
            stale @ StoreError::StaleVersion { .. } => {
                ApiError::PreconditionFailed(stale.to_string())
            }
            StoreError::Unavailable(detail) => {
                // The pool's message can name hosts and users; keep it in the log.
                tracing::warn!(%detail, "database unavailable");
                ApiError::Unavailable(DB_UNAVAILABLE.to_owned())
            }
            StoreError::Corrupt(detail) => ApiError::Internal(format!("corrupt data: {detail}")),
            StoreError::Migration(detail) => ApiError::Internal(format!("migration: {detail}")),
            e @ (StoreError::Conflict(_)
            | StoreError::Duplicate { .. }
            | StoreError::Reference
            | StoreError::RuleBroken
            | StoreError::ConcurrentChange) => ApiError::conflict_from(e),
            StoreError::InvalidText => ApiError::BadRequest(StoreError::InvalidText.to_string()),
            StoreError::Busy => {
                tracing::warn!("database busy");
                ApiError::Unavailable(StoreError::Busy.to_string())
            }
            StoreError::ConnectionLost(cause) => {
                tracing::warn!(%cause, "database connection lost");
                ApiError::Unavailable(DB_UNAVAILABLE.to_owned())
            }
            StoreError::BankKey(cause) => ApiError::Internal(format!("bank details key: {cause}")),
            StoreError::Database(cause) => ApiError::Internal(format!("database error: {cause}")),
        }
    }
}

const DB_UNAVAILABLE: &str = "the database is unavailable; try again shortly";

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Unavailable("server busy; try again shortly".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn render(
        error: ApiError,
    ) -> (
        StatusCode,
        actix_web::http::header::HeaderMap,
        serde_json::Value,
    ) {
        let response = error.error_response();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body()).await.unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, headers, json)
    }

    #[actix_web::test]
    async fn problem_documents_have_the_rfc_9457_shape() {
        let (status, headers, body) = render(ApiError::not_found("fund")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), PROBLEM_JSON);
        assert_eq!(
            body,
            serde_json::json!({
                "type": "/problems/not-found",
                "title": "Not Found",
                "status": 404,
                "detail": "fund not found"
            })
        );
    }

    #[actix_web::test]
    async fn validation_problems_list_fields() {
        let (status, _, body) = render(ApiError::invalid("amount", "must be positive")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["type"], "/problems/validation");
        assert_eq!(body["errors"][0]["field"], "amount");
        assert_eq!(body["errors"][0]["message"], "must be positive");
    }

    #[actix_web::test]
    async fn unauthorized_and_rate_limited_carry_their_headers() {
        let (_, headers, _) = render(ApiError::Unauthorized("invalid token".into())).await;
        assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
        let (status, headers, body) = render(ApiError::TooManyRequests {
            retry_after_secs: 7,
        })
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers.get(header::RETRY_AFTER).unwrap(), "7");
        assert_eq!(body["type"], "/problems/too-many-requests");
    }

    #[actix_web::test]
    async fn internal_errors_do_not_leak_details() {
        let (status, _, body) =
            render(ApiError::Internal("SELECT * FROM secrets failed".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let detail = body["detail"].as_str().unwrap();
        assert!(!detail.contains("secrets"), "{detail}");
    }

    #[test]
    fn store_errors_map_to_statuses() {
        let cases = [
            (StoreError::NotFound { entity: "award" }, 404),
            (StoreError::Conflict("budget exceeded".into()), 409),
            (
                StoreError::StaleVersion {
                    entity: "award",
                    expected: 3,
                },
                412,
            ),
            (StoreError::Unavailable("pool timed out".into()), 503),
            (StoreError::Corrupt("bad money".into()), 500),
            (StoreError::Migration("nope".into()), 500),
            (StoreError::Duplicate { constraint: None }, 409),
            (StoreError::Reference, 409),
            (StoreError::RuleBroken, 409),
            (StoreError::ConcurrentChange, 409),
            (StoreError::ConnectionLost(diesel_free_cause()), 503),
            (StoreError::Busy, 503),
            (StoreError::InvalidText, 400),
            (StoreError::Database(diesel_free_cause()), 500),
        ];
        for (store, expected) in cases {
            let text = store.to_string();
            let api = ApiError::from(store);
            assert_eq!(api.status_code().as_u16(), expected, "{text}");
        }
    }

    /// Any cause: the store's classification of database errors is tested
    /// in the store.
    fn diesel_free_cause() -> diesel::result::Error {
        diesel::result::Error::RollbackTransaction
    }

    #[test]
    fn conflicts_keep_the_error_behind_them_but_answer_only_its_message() {
        let api = ApiError::from(StoreError::Conflict("budget exceeded".into()));
        let cause = std::error::Error::source(&api).expect("the store error is kept");
        assert!(
            matches!(cause.downcast_ref::<StoreError>(), Some(StoreError::Conflict(d)) if d == "budget exceeded"),
            "{cause:?}"
        );
        let problem = api.problem();
        assert_eq!(
            (problem.status, problem.detail.as_str()),
            (409, "budget exceeded")
        );
        assert!(std::error::Error::source(&ApiError::conflict("taken")).is_none());
    }

    /// A log that keeps what is written to it, for reading back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_conflict_logs_its_cause_under_the_request_id() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let response = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("http_request", request_id = "req-7");
            let _entered = span.enter();
            ApiError::from(StoreError::Conflict("the round cannot cover it".into()))
                .error_response()
        });
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("request_id=\"req-7\""), "{text}");
        assert!(
            text.contains(r#"Conflict("the round cannot cover it")"#),
            "{text}"
        );
    }

    #[test]
    fn serialization_failures_ask_for_a_retry() {
        let api = ApiError::from(StoreError::ConcurrentChange);
        assert!(api.to_string().contains("retry"));
        let api = ApiError::from(StoreError::Unavailable("host=db.internal user=x".into()));
        assert!(!api.problem().detail.contains("db.internal"));
    }
}
