//! Signing in to the portal: server-side sessions and the checks every
//! form post must pass.
//!
//! The cookie `__Host-session` carries 256 random bits; the database keeps
//! only their SHA-256 (`store::sessions`). A session is found only while
//! its user is enabled and it has not been idle for
//! [`SESSION_IDLE_TIMEOUT`](grantledger_domain::user::SESSION_IDLE_TIMEOUT),
//! so signing out, disabling a user or changing their password ends it at
//! once. Role and organisation are read from the user row on every
//! request, never from the cookie.
//!
//! Every form carries the session's CSRF token, compared in constant
//! time; a post whose `Origin` or `Sec-Fetch-Site` says it came from
//! another site is refused before that.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{TimeDelta, Utc};
use futures_util::future::LocalBoxFuture;
use grantledger_domain::two_factor::SignInStage;
use grantledger_domain::user::{Role, User, session_is_idle};
use grantledger_store::sessions;
use rand::RngCore;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::auth::principal::Principal;
use crate::http::blocking;
use crate::portal::page::PortalError;
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-session";
/// Before sign-in: the token the sign-in form must echo (double submit).
pub const SIGN_IN_COOKIE: &str = "__Host-sign-in";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// A session is touched at most this often, so reading pages does not
/// write on every request.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// A person signed in to the portal.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who they are, as the operations need it.
    pub principal: Principal,
    /// Their email address, shown in the header.
    pub email: String,
    /// The token their forms carry.
    pub csrf: String,
    /// How far their sign-in has got.
    pub stage: SignInStage,
    id_hash: String,
}

/// How long someone has, after a right password, to give their code.
const CODE_STEP_LIMIT: TimeDelta = TimeDelta::minutes(10);

/// Which stages of a sign-in a page is for. Every page is for signed-in
/// people ([`Complete`]) unless its handler says otherwise, so a session
/// still owing a code, or staff yet to set up two-factor, reaches only the
/// pages that finish signing in.
pub trait Stages {
    /// Whether a session at `stage` may use the page.
    fn allow(stage: SignInStage) -> bool;
}

/// Pages for the signed-in (the default).
#[derive(Debug)]
pub struct Complete;
impl Stages for Complete {
    fn allow(stage: SignInStage) -> bool {
        stage == SignInStage::Complete
    }
}

/// The page that asks for the code after the password.
#[derive(Debug)]
pub struct CodeStep;
impl Stages for CodeStep {
    fn allow(stage: SignInStage) -> bool {
        stage == SignInStage::AwaitingCode
    }
}

/// Setting up two-factor: for staff who must before anything else, and
/// for anyone signed in.
#[derive(Debug)]
pub struct Enrolling;
impl Stages for Enrolling {
    fn allow(stage: SignInStage) -> bool {
        stage != SignInStage::AwaitingCode
    }
}

/// Signing out: whatever the stage.
#[derive(Debug)]
pub struct AnyStage;
impl Stages for AnyStage {
    fn allow(_: SignInStage) -> bool {
        true
    }
}

/// Where a session at `stage` belongs, given the page asked for.
#[must_use]
pub fn stage_home(stage: SignInStage, next: &str) -> String {
    match stage {
        SignInStage::AwaitingCode => {
            let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            format!("/sign-in/code?next={next}")
        }
        SignInStage::MustEnrol => "/account/two-factor".to_owned(),
        SignInStage::Complete => next.to_owned(),
    }
}

/// A signed-in person on a page for the stages `S`.
#[derive(Debug)]
pub struct At<S: Stages>(pub SignedIn, std::marker::PhantomData<S>);

impl SignedIn {
    /// Whether they act for a grantee organisation.
    #[must_use]
    pub fn is_grantee(&self) -> bool {
        self.principal.is(Role::Grantee)
    }

    /// Refuses (403) unless their role may take `action`: the same table of
    /// permissions as the JSON API.
    pub fn may(&self, action: crate::policy::Action) -> Result<(), PortalError> {
        Ok(crate::policy::authorize(&self.principal, action)?)
    }

    /// Whether their role may take `action`: for showing a button or link
    /// only to those it would work for.
    #[must_use]
    pub fn can(&self, action: crate::policy::Action) -> bool {
        crate::policy::authorize(&self.principal, action).is_ok()
    }
}

/// A fresh random token, hex.
#[must_use]
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A cookie with the portal's flags: `__Host-` names need `Secure`,
/// `Path=/` and no domain; never readable from script.
#[must_use]
pub fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

/// The cookie that removes `name` from the browser.
#[must_use]
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = cookie(name, String::new());
    c.make_removal();
    c
}

/// Starts a session for a user who has just proven who they are; returns
/// the cookie to set. Any session the browser held before is ended (a new
/// id at sign-in, so a planted id is worthless).
pub async fn start(
    state: &web::Data<AppState>,
    user: grantledger_domain::ids::UserId,
    previous: Option<String>,
    stage: SignInStage,
) -> Result<Cookie<'static>, PortalError> {
    let token = random_token();
    let id_hash = hash(&token);
    let csrf = random_token();
    let state = state.clone();
    blocking(move || {
        state.db.write(|c| {
            if let Some(old) = &previous {
                sessions::delete(c, &hash(old))?;
            }
            let now = Utc::now();
            // Sessions nobody signed out of are swept here, a sign-in at a
            // time, so the table holds only live ones.
            sessions::delete_idle(c, now - grantledger_domain::user::SESSION_IDLE_TIMEOUT)?;
            sessions::create(c, &id_hash, user, &csrf, stage, now)?;
            Ok(())
        })
    })
    .await?;
    Ok(cookie(SESSION_COOKIE, token))
}

/// Starts a session for `user`, whose password was right (typed, or set
/// by a link): signed in, or owing a code, or bound to set up two-factor
/// first. Returns the cookie and the stage.
pub async fn start_after_password(
    state: &web::Data<AppState>,
    user: &User,
    previous: Option<String>,
) -> Result<(Cookie<'static>, SignInStage), PortalError> {
    let enabled = {
        let state = state.clone();
        let id = user.id;
        blocking(move || {
            state
                .db
                .read(|c| Ok(grantledger_store::two_factor::enabled(c, id)?))
        })
        .await?
    };
    let stage = SignInStage::after_password(user.role, enabled);
    Ok((start(state, user.id, previous, stage).await?, stage))
}

/// Moves the request's session to `stage` (two-factor just set up).
pub async fn advance(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    stage: SignInStage,
) -> Result<(), PortalError> {
    let state = state.clone();
    let id_hash = signed_in.id_hash.clone();
    blocking(move || {
        state
            .db
            .write(|c| Ok(sessions::set_stage(c, &id_hash, stage)?))
    })
    .await?;
    Ok(())
}

/// Ends the session the request carries, if any.
pub async fn end(state: &web::Data<AppState>, signed_in: &SignedIn) -> Result<(), PortalError> {
    let state = state.clone();
    let id_hash = signed_in.id_hash.clone();
    blocking(move || state.db.write(|c| Ok(sessions::delete(c, &id_hash)?))).await?;
    Ok(())
}

/// Where to go back to after signing in: the page asked for, when it is a
/// path of this site.
#[must_use]
pub fn return_path(req: &HttpRequest) -> String {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    path.to_owned()
}

/// Whether `next` is safe to redirect to: a path on this site, never
/// another host (`//evil`, `/\evil`, `https://…`).
#[must_use]
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
}

async fn load<S: Stages>(req: HttpRequest) -> Result<SignedIn, PortalError> {
    let signed_in = load_any(&req).await?;
    if S::allow(signed_in.stage) {
        Ok(signed_in)
    } else {
        Err(PortalError::SignInStage {
            to: stage_home(signed_in.stage, &return_path(&req)),
        })
    }
}

async fn load_any(req: &HttpRequest) -> Result<SignedIn, PortalError> {
    if let Some(found) = req.extensions().get::<SignedIn>() {
        return Ok(found.clone());
    }
    let sign_in = || PortalError::SignInRequired {
        next: return_path(req),
    };
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Err(sign_in());
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| PortalError::Internal("the application state is missing".into()))?
        .clone();
    let id_hash = hash(&token);
    let now = Utc::now();
    let found = {
        let id_hash = id_hash.clone();
        let state = state.clone();
        blocking(move || state.db.read(|c| Ok(sessions::find(c, &id_hash)?))).await?
    };
    let Some(session) = found else {
        return Err(sign_in());
    };
    let code_too_late =
        session.stage == SignInStage::AwaitingCode && now - session.created_at > CODE_STEP_LIMIT;
    if session_is_idle(session.last_seen_at, now) || code_too_late {
        let id_hash = id_hash.clone();
        blocking(move || state.db.write(|c| Ok(sessions::delete(c, &id_hash)?))).await?;
        return Err(sign_in());
    }
    if now - session.last_seen_at > TOUCH_EVERY {
        let id_hash = id_hash.clone();
        blocking(move || state.db.write(|c| Ok(sessions::touch(c, &id_hash, now)?))).await?;
    }
    let user = session.user.value;
    let principal = Principal {
        user_id: user.id,
        role: user.role,
        grantee_id: user.grantee_id,
    };
    let signed_in = SignedIn {
        principal: principal.clone(),
        email: user.email.as_str().to_owned(),
        csrf: session.csrf_token,
        stage: session.stage,
        id_hash,
    };
    // The access log names the user, as it does for API tokens.
    req.extensions_mut().insert(principal);
    req.extensions_mut().insert(signed_in.clone());
    Ok(signed_in)
}

impl FromRequest for SignedIn {
    type Error = PortalError;
    type Future = LocalBoxFuture<'static, Result<Self, PortalError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        Box::pin(load::<Complete>(req.clone()))
    }
}

impl<S: Stages + 'static> FromRequest for At<S> {
    type Error = PortalError;
    type Future = LocalBoxFuture<'static, Result<Self, PortalError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(At(load::<S>(req).await?, std::marker::PhantomData)) })
    }
}

/// Refuses a post that a browser says came from another site. Browsers
/// that send `Sec-Fetch-Site` are believed; for others, an `Origin` naming
/// another host is refused. `Origin: null` (what a page with
/// `Referrer-Policy: no-referrer` sends) says nothing either way: the CSRF
/// token still decides.
pub fn check_same_site(req: &HttpRequest) -> Result<(), PortalError> {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return if matches!(site, "same-origin" | "none") {
            Ok(())
        } else {
            Err(PortalError::CrossSite)
        };
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
        && origin != "null"
    {
        let host = req.connection_info().host().to_owned();
        let origin_host = origin
            .split_once("://")
            .map_or(origin, |(_, rest)| rest)
            .trim_end_matches('/');
        if origin_host != host {
            return Err(PortalError::CrossSite);
        }
    }
    Ok(())
}

/// Compares two tokens in time independent of where they differ.
#[must_use]
pub fn tokens_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form posted by a signed-in person, its CSRF token checked: taking a
/// `Posted<T>` is how a handler accepts a form, so none can forget it.
#[derive(Debug)]
pub struct Posted<T> {
    /// Who posted it.
    pub signed_in: SignedIn,
    /// The form's fields (without the token).
    pub form: T,
}

/// A form posted from a page for the sign-in stages `S` (see [`Stages`]).
#[derive(Debug)]
pub struct PostedAt<T, S: Stages>(pub Posted<T>, std::marker::PhantomData<S>);

/// The largest form the portal reads: an evaluation return holding the
/// most participants a file may load (2,500, about 0.8 MiB as a form)
/// stays below it.
pub const FORM_LIMIT: usize = 2 * 1024 * 1024;

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = PortalError;
    type Future = LocalBoxFuture<'static, Result<Self, PortalError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(read_posted::<T, Complete>(req.clone(), payload.take()))
    }
}

impl<T: DeserializeOwned + 'static, S: Stages + 'static> FromRequest for PostedAt<T, S> {
    type Error = PortalError;
    type Future = LocalBoxFuture<'static, Result<Self, PortalError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_posted::<T, S>(req.clone(), payload.take());
        Box::pin(async move { Ok(PostedAt(read.await?, std::marker::PhantomData)) })
    }
}

fn read_posted<T: DeserializeOwned + 'static, S: Stages + 'static>(
    req: HttpRequest,
    mut payload: Payload,
) -> LocalBoxFuture<'static, Result<Posted<T>, PortalError>> {
    let body = web::Bytes::from_request(&req, &mut payload);
    Box::pin(async move {
        // The body is read before anything is refused, so the
        // connection stays usable for the browser's next request.
        let body = body.await.map_err(|_| PortalError::BadForm)?;
        check_same_site(&req)?;
        let signed_in = load::<S>(req.clone()).await?;
        if body.len() > FORM_LIMIT {
            return Err(PortalError::TooLarge);
        }
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let token = pairs
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        if !tokens_match(token, &signed_in.csrf) {
            return Err(PortalError::BadCsrf);
        }
        let rest: Vec<(String, String)> =
            pairs.into_iter().filter(|(k, _)| k != CSRF_FIELD).collect();
        let encoded = serde_urlencoded::to_string(&rest).map_err(|_| PortalError::BadForm)?;
        let form = serde_urlencoded::from_str(&encoded).map_err(|_| PortalError::BadForm)?;
        Ok(Posted { signed_in, form })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        assert!(is_local_path("/applications/1?x=2"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "/a\nb",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", "a"));
    }

    #[test]
    fn tokens_are_256_random_bits() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
