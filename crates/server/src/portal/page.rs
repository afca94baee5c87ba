//! What every page shares: the frame around it, how it is sent, the
//! headers that protect it, and the pages shown when something is wrong.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use askama::Template;

use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::portal::messages::{Messages, english};
use crate::portal::session::SignedIn;

/// The policy for every portal response: nothing inline, nothing from
/// elsewhere, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The frame of a page: language, assets, who is signed in.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The messages to show.
    pub m: &'static Messages,
    /// Where the assets are served.
    pub assets: String,
    /// The signed-in person, if any.
    pub user: Option<SignedIn>,
    /// Which navigation item is current.
    pub section: &'static str,
}

impl Chrome {
    /// The frame for a signed-in person.
    #[must_use]
    pub fn signed_in(user: &SignedIn, section: &'static str) -> Chrome {
        Chrome {
            m: english(),
            assets: crate::portal::assets::base(),
            user: Some(user.clone()),
            section,
        }
    }

    /// The frame for someone not signed in.
    #[must_use]
    pub fn anonymous() -> Chrome {
        Chrome {
            m: english(),
            assets: crate::portal::assets::base(),
            user: None,
            section: "",
        }
    }

    /// A message.
    #[must_use]
    pub fn t(&self, key: &str) -> String {
        self.m.t(key)
    }

    /// A message with one argument.
    #[must_use]
    pub fn with(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.m.with(key, &[(name, &value.to_string())])
    }

    /// The CSRF token for this page's forms (empty when not signed in).
    #[must_use]
    pub fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }

    /// Whether the signed-in person acts for a grantee.
    #[must_use]
    pub fn is_grantee(&self) -> bool {
        self.user.as_ref().is_some_and(SignedIn::is_grantee)
    }
}

/// The result of a portal handler.
pub type PortalResult = Result<HttpResponse, PortalError>;

/// Sends a rendered page.
pub fn html<T: Template>(page: &T) -> PortalResult {
    html_with_status(StatusCode::OK, page)
}

/// Sends a rendered page with a status (422 for a form with errors).
pub fn html_with_status<T: Template>(status: StatusCode, page: &T) -> PortalResult {
    let body = page
        .render()
        .map_err(|e| PortalError::Internal(format!("a page did not render: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// After a form post: go to the page that shows its result (303, so a
/// reload does not post again).
#[must_use]
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Why a page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// Not signed in (or the session ended): sign in, then come back.
    #[error("sign in to continue")]
    SignInRequired {
        /// The page to come back to.
        next: String,
    },
    /// Signed in part-way: the code, or setting up two-factor, comes first.
    #[error("finish signing in first")]
    SignInStage {
        /// The page that finishes it.
        to: String,
    },
    /// No such page, or a record of another organisation.
    #[error("page not found")]
    NotFound,
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The form's token is missing or wrong (an old page, or a forgery).
    #[error("the form's security token did not match")]
    BadCsrf,
    /// A browser said the post came from another site.
    #[error("the form was sent from another site")]
    CrossSite,
    /// The form could not be read at all.
    #[error("the form could not be read")]
    BadForm,
    /// An uploaded file is larger than the limit.
    #[error("the file is too large")]
    TooLarge,
    /// The change conflicts with the record's state now.
    #[error("{0}")]
    Conflict(String),
    /// Refused for another reason a person can act on (a value out of
    /// range, a stale version, too many attempts): the API's status kept.
    #[error("{reason}")]
    Refused {
        /// The status the API would answer.
        status: StatusCode,
        /// Why, in the operation's words.
        reason: String,
    },
    /// The database is busy or down.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of ours; the page shows the request id.
    #[error("{0}")]
    Internal(String),
}

impl From<ApiError> for PortalError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound { .. } => PortalError::NotFound,
            ApiError::Forbidden(m) => PortalError::Forbidden(m),
            ApiError::Unavailable(m) => PortalError::Unavailable(m),
            ApiError::Internal(m) => PortalError::Internal(m),
            other if other.status_code().is_server_error() => {
                PortalError::Internal(other.to_string())
            }
            other if other.status_code() == StatusCode::CONFLICT => {
                PortalError::Conflict(other.to_string())
            }
            other => PortalError::Refused {
                status: other.status_code(),
                reason: other.to_string(),
            },
        }
    }
}

impl ResponseError for PortalError {
    fn status_code(&self) -> StatusCode {
        match self {
            PortalError::SignInRequired { .. } | PortalError::SignInStage { .. } => {
                StatusCode::SEE_OTHER
            }
            PortalError::NotFound => StatusCode::NOT_FOUND,
            PortalError::Forbidden(_) | PortalError::BadCsrf | PortalError::CrossSite => {
                StatusCode::FORBIDDEN
            }
            PortalError::BadForm => StatusCode::BAD_REQUEST,
            PortalError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PortalError::Conflict(_) => StatusCode::CONFLICT,
            PortalError::Refused { status, .. } => *status,
            PortalError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            PortalError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let PortalError::SignInRequired { next } = self {
            let target = if next == "/" || next.is_empty() {
                "/sign-in".to_owned()
            } else {
                format!(
                    "/sign-in?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                )
            };
            return see_other(&target);
        }
        if let PortalError::SignInStage { to } = self {
            return see_other(to);
        }
        if let PortalError::Internal(detail) = self {
            tracing::error!(%detail, "a portal page failed");
        }
        // The frame is drawn by `protect`, which knows the request id.
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(self.to_string())
    }
}

/// An error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    heading: String,
    body: String,
    request_id: Option<String>,
}

fn error_page(error: &PortalError, request_id: Option<String>) -> ErrorPage {
    let m = english();
    let (heading, body) = match error {
        PortalError::NotFound => (m.t("error-not-found-heading"), m.t("error-not-found-body")),
        PortalError::Forbidden(reason) => (m.t("error-forbidden-heading"), reason.clone()),
        PortalError::BadCsrf | PortalError::CrossSite => {
            (m.t("error-csrf-heading"), m.t("error-csrf-body"))
        }
        PortalError::BadForm => (m.t("error-bad-form-heading"), m.t("error-bad-form-body")),
        PortalError::TooLarge => (m.t("error-too-large-heading"), m.t("error-too-large-body")),
        PortalError::Conflict(reason) | PortalError::Refused { reason, .. } => {
            (m.t("error-conflict-heading"), reason.clone())
        }
        PortalError::Unavailable(_) => (
            m.t("error-unavailable-heading"),
            m.t("error-unavailable-body"),
        ),
        PortalError::Internal(_)
        | PortalError::SignInRequired { .. }
        | PortalError::SignInStage { .. } => {
            (m.t("error-internal-heading"), m.t("error-internal-body"))
        }
    };
    let request_id = request_id.filter(|_| matches!(error, PortalError::Internal(_)));
    ErrorPage {
        c: Chrome::anonymous(),
        heading,
        body,
        request_id,
    }
}

/// Marks a response as a portal page, so the API's error middleware leaves
/// its HTML alone.
#[derive(Debug, Clone, Copy)]
pub struct PortalPage;

/// The portal's middleware: security headers on every answer, `no-store`
/// on pages, and the error pages drawn in the frame with the request id.
pub async fn protect(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let res = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<PortalError>())
    {
        Some(error)
            if !matches!(
                error,
                PortalError::SignInRequired { .. } | PortalError::SignInStage { .. }
            ) =>
        {
            let request_id = res
                .request()
                .extensions()
                .get::<RequestId>()
                .map(|r| r.0.clone());
            let signed_in = res.request().extensions().get::<SignedIn>().cloned();
            let mut page = error_page(error, request_id);
            page.c.user = signed_in;
            let status = error.status_code();
            let body = page.render().unwrap_or_else(|_| error.to_string());
            let response = HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(body);
            res.into_response(response)
        }
        _ => res,
    };
    let mut res = res;
    res.response_mut().extensions_mut().insert(PortalPage);
    let headers = res.headers_mut();
    let is_asset = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    if !is_asset {
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fault_of_ours_shows_the_request_id_and_no_detail() {
        let page = error_page(
            &PortalError::Internal("database password wrong at db.internal:5432".into()),
            Some("req-123".into()),
        )
        .render()
        .unwrap();
        assert!(page.contains("Reference: req-123"));
        assert!(page.contains("Sorry, there is a problem with the service"));
        assert!(
            !page.contains("db.internal"),
            "internals never reach the page"
        );
        let missing = error_page(&PortalError::NotFound, Some("req-456".into()))
            .render()
            .unwrap();
        assert!(missing.contains("Page not found"));
        assert!(!missing.contains("req-456"));
    }

    #[test]
    fn statuses_follow_the_error() {
        assert_eq!(PortalError::NotFound.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(PortalError::BadCsrf.status_code(), StatusCode::FORBIDDEN);
        assert_eq!(
            PortalError::SignInRequired { next: "/x".into() }.status_code(),
            StatusCode::SEE_OTHER
        );
        let redirect = PortalError::SignInRequired {
            next: "/awards/1?a=b".into(),
        }
        .error_response();
        assert_eq!(
            redirect.headers().get(header::LOCATION).unwrap(),
            "/sign-in?next=%2Fawards%2F1%3Fa%3Db"
        );
    }

    #[test]
    fn refusals_keep_the_apis_status() {
        let status = |e: ApiError| PortalError::from(e).status_code().as_u16();
        assert_eq!(status(ApiError::invalid("note", "enter a note")), 422);
        assert_eq!(status(ApiError::PreconditionFailed("changed".into())), 412);
        assert_eq!(status(ApiError::conflict("not now")), 409);
        assert_eq!(status(ApiError::not_found("award")), 404);
        assert_eq!(status(ApiError::Forbidden("no".into())), 403);
        assert_eq!(status(ApiError::Internal("bug".into())), 500);
    }
}
