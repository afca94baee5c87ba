//! Who is making a request, as proven by their bearer token.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header;
use actix_web::middleware::{Next, from_fn};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::{Ready, ready};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::Role;
use grantledger_store::{StoreError, users};

use crate::auth::jwt::JwtKeys;
use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated caller. Taking a `Principal` as a handler argument makes
/// the handler require a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The signed-in user.
    pub user_id: UserId,
    /// What the user may do.
    pub role: Role,
    /// For grantee users, the organisation they act for.
    pub grantee_id: Option<GranteeId>,
}

impl Principal {
    /// Whether the caller has this role.
    #[must_use]
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    /// Whether the caller may see a grantee organisation's records: staff
    /// roles see every organisation, a grantee user only its own.
    ///
    /// Handlers answer 404, not 403, when this is false, so that grantees
    /// cannot learn which other records exist.
    #[must_use]
    pub fn can_see_grantee(&self, grantee: GranteeId) -> bool {
        match self.role {
            Role::Grantee => self.grantee_id == Some(grantee),
            Role::Admin | Role::Assessor | Role::Auditor => true,
        }
    }

    /// Fails with 403 unless the caller's role is one of `allowed`.
    /// `action` completes "your role (auditor) cannot …", e.g. "create funds".
    pub fn require_role(&self, allowed: &[Role], action: &str) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "your role ({}) cannot {action}",
                self.role
            )))
        }
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(current(req))
    }
}

/// What [`current_user`] found about a request's token when it does not
/// speak for its user any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenRefused {
    /// The user is disabled, gone, or has another role or organisation.
    Stale,
    /// The user could not be looked up.
    Unavailable,
}

/// The caller, as [`current_user`] checked them against the database.
fn current(req: &HttpRequest) -> Result<Principal, ApiError> {
    if let Some(principal) = req.extensions().get::<Principal>() {
        return Ok(principal.clone());
    }
    match req.extensions().get::<TokenRefused>() {
        Some(TokenRefused::Stale) => return Err(stale()),
        Some(TokenRefused::Unavailable) => {
            return Err(ApiError::Unavailable(
                "the database is unavailable; try again shortly".into(),
            ));
        }
        None => {}
    }
    let principal = authenticate(req)?;
    // A token that verifies but was never checked against its user: the
    // middleware is missing, which would let stale tokens act.
    if req.app_data::<web::Data<AppState>>().is_some() {
        return Err(ApiError::Internal(
            "the current_user middleware is not installed".into(),
        ));
    }
    Ok(principal)
}

fn stale() -> ApiError {
    ApiError::Unauthorized(
        "this token no longer matches your account (disabled, its role or organisation \
         changed, its password changed, or signed out everywhere); sign in again"
            .into(),
    )
}

/// Checks a bearer token against its user on every request: the user must
/// exist, be enabled and still have the role and organisation the token
/// names. One lookup by primary key. Tokens therefore stop working the
/// moment their user is disabled or changed, not when they expire.
///
/// A request whose token passes carries its [`Principal`] in its
/// extensions (the extractor and the access log read it there); one whose
/// token fails is refused by the extractor, so routes that need no token
/// are unaffected. Invalid tokens are left for the extractor to report.
pub fn current_user<S, B>() -> impl Transform<
    S,
    ServiceRequest,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
    InitError = (),
>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    from_fn(current_user_fn::<B>)
}

async fn current_user_fn<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let verified = match (
        req.app_data::<web::Data<JwtKeys>>(),
        bearer_token(req.request()),
    ) {
        (Some(keys), Some(token)) => keys.verify_with_version(token).ok(),
        _ => None,
    };
    if let (Some((principal, version)), Some(state)) =
        (verified, req.app_data::<web::Data<AppState>>())
    {
        let db = state.db.clone();
        let id = principal.user_id;
        let found = web::block(move || db.read(|c| users::get(c, id))).await;
        let outcome = match found {
            Ok(Ok(record)) => {
                // A token issued before the user's last password change,
                // disabling or "sign out everywhere" is refused.
                if record
                    .value
                    .still_holds(principal.role, principal.grantee_id)
                    && record.value.credentials_version == version
                {
                    Ok(principal)
                } else {
                    Err(TokenRefused::Stale)
                }
            }
            Ok(Err(StoreError::NotFound { .. })) => Err(TokenRefused::Stale),
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not check a token against its user");
                Err(TokenRefused::Unavailable)
            }
            Err(_) => Err(TokenRefused::Unavailable),
        };
        match outcome {
            Ok(principal) => {
                req.extensions_mut().insert(principal);
            }
            Err(refused) => {
                req.extensions_mut().insert(refused);
            }
        }
    }
    next.call(req).await
}

fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let token = bearer_token(req)
        .ok_or_else(|| ApiError::Unauthorized("missing bearer token".to_owned()))?;
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::Internal("JwtKeys is not registered as app data".to_owned()))?;
    keys.verify(token)
}

/// The token from `Authorization: Bearer <token>`; the scheme is
/// case-insensitive (RFC 9110 §11.1).
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::{JwtConfig, JwtKeys};
    use actix_web::http::StatusCode;
    use actix_web::test as actix_test;
    use actix_web::{App, HttpResponse};
    use std::time::Duration;

    fn keys(ttl: Duration) -> JwtKeys {
        let config = JwtConfig {
            secret: "0123456789abcdef0123456789abcdef".to_owned().into(),
            key_id: "k1".to_owned(),
            previous_keys: vec![],
            issuer: "grantledger".to_owned(),
            audience: "grantledger-api".to_owned(),
            ttl,
        };
        JwtKeys::new(&config, false).unwrap()
    }

    async fn whoami(principal: Principal) -> HttpResponse {
        HttpResponse::Ok().body(principal.role.as_str())
    }

    async fn call(keys: JwtKeys, authorization: Option<&str>) -> (StatusCode, String) {
        let app = actix_test::init_service(
            App::new()
                .app_data(web::Data::new(keys))
                .route("/me", web::get().to(whoami)),
        )
        .await;
        let mut req = actix_test::TestRequest::get().uri("/me");
        if let Some(value) = authorization {
            req = req.insert_header((header::AUTHORIZATION, value));
        }
        let response = actix_test::call_service(&app, req.to_request()).await;
        let status = response.status();
        let body = String::from_utf8(actix_test::read_body(response).await.to_vec()).unwrap();
        (status, body)
    }

    #[actix_web::test]
    async fn missing_or_malformed_authorization_is_401() {
        let keys = keys(Duration::from_secs(60));
        for header in [
            None,
            Some("Basic dXNlcjpwYXNz"),
            Some("Bearer"),
            Some("Bearer   "),
            Some("token"),
        ] {
            let (status, body) = call(keys.clone(), header).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:?}");
            assert!(body.contains("missing bearer token"), "{body}");
        }
        let (status, _) = call(keys, Some("Bearer not.a.jwt")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[actix_web::test]
    async fn a_valid_token_authenticates_with_any_scheme_case() {
        let keys = keys(Duration::from_secs(60));
        let token = keys
            .issue(UserId::new(), Role::Auditor, None)
            .unwrap()
            .access_token;
        let (status, body) = call(keys.clone(), Some(&format!("Bearer {token}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "auditor");
        let (status, _) = call(keys, Some(&format!("bearer {token}"))).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[actix_web::test]
    async fn an_expired_token_is_401() {
        let keys = keys(Duration::from_secs(60));
        let token = keys
            .issue_at(UserId::new(), Role::Admin, None, 1_000_000)
            .unwrap()
            .access_token;
        let (status, body) = call(keys, Some(&format!("Bearer {token}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("token expired"), "{body}");
    }

    #[actix_web::test]
    async fn missing_keys_are_a_500_not_a_pass() {
        let app = actix_test::init_service(App::new().route("/me", web::get().to(whoami))).await;
        let req = actix_test::TestRequest::get()
            .uri("/me")
            .insert_header((header::AUTHORIZATION, "Bearer x.y.z"))
            .to_request();
        let response = actix_test::call_service(&app, req).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn roles_and_grantee_visibility() {
        let own = GranteeId::new();
        let other = GranteeId::new();
        let grantee = Principal {
            user_id: UserId::new(),
            role: Role::Grantee,
            grantee_id: Some(own),
        };
        assert!(grantee.can_see_grantee(own));
        assert!(!grantee.can_see_grantee(other));
        assert!(grantee.is(Role::Grantee));
        let auditor = Principal {
            user_id: UserId::new(),
            role: Role::Auditor,
            grantee_id: None,
        };
        assert!(auditor.can_see_grantee(other));
        let error = auditor
            .require_role(&[Role::Admin], "create funds")
            .unwrap_err();
        assert_eq!(error.to_string(), "your role (auditor) cannot create funds");
        assert!(
            auditor
                .require_role(&[Role::Admin, Role::Auditor], "read")
                .is_ok()
        );
    }
}
