//! `Idempotency-Key` on POSTs that create records or move money: a retry
//! returns the first response (with `Idempotent-Replayed: true`) instead of
//! applying twice; the same key with a different request is 422; a retry
//! while the first is still running is 409. See the store module for how the
//! stored response commits with the change itself.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use chrono::Utc;
use futures_util::future::{Ready, ready};
use grantledger_store::idempotency::{self, Claim, Request, StoredResponse};
use grantledger_store::{AnyConnection, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::extract::BodyDigest;
use crate::http::blocking;
use crate::state::AppState;

/// The header's name.
pub const HEADER: &str = "Idempotency-Key";
/// Set on a replayed response.
pub const REPLAYED: &str = "Idempotent-Replayed";

/// The client's `Idempotency-Key`, if it sent one: 1 to 255 visible ASCII
/// characters (a UUID is a good choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub Option<String>);

/// The header as the API document lists it, declared once: routes write
/// `params(IdempotencyKey)`.
impl utoipa::IntoParams for IdempotencyKey {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Makes a retry safe: a retry with the same key and body is answered as the \
                     first was, without doing it again (1 to 255 visible ASCII characters; a \
                     UUID is a good choice)",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(255)),
                ))
                .build(),
        ]
    }
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(HEADER) else {
            return ready(Ok(IdempotencyKey(None)));
        };
        let key =
            value.to_str().ok().map(str::trim).filter(|k| {
                !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic())
            });
        ready(match key {
            Some(key) => Ok(IdempotencyKey(Some(key.to_owned()))),
            None => Err(ApiError::BadRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID".into(),
            )),
        })
    }
}

/// What a successful write answers with.
#[derive(Debug)]
pub struct Created<V> {
    /// The body.
    pub body: V,
    /// `Location`, for a new record.
    pub location: Option<String>,
    /// The record's version, sent as `ETag`.
    pub version: Option<i64>,
}

impl<V> Created<V> {
    /// An answer that is no record of its own (an import's summary, a
    /// batch's results): no `Location`, no `ETag`.
    pub fn unversioned(body: V) -> Self {
        Created {
            location: None,
            version: None,
            body,
        }
    }
}

impl<V: crate::http::Versioned> Created<V> {
    /// A changed record: 200 (or the route's status) with its `ETag`.
    pub fn updated(body: V) -> Self {
        Created {
            location: None,
            version: Some(body.version()),
            body,
        }
    }

    /// A new record at `location`, with its `ETag`.
    pub fn at(location: String, body: V) -> Self {
        Created {
            location: Some(location),
            version: Some(body.version()),
            body,
        }
    }
}

fn response(
    status: StatusCode,
    body: String,
    location: Option<&str>,
    version: Option<i64>,
    replayed: bool,
) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.content_type("application/json");
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        builder.insert_header((header::LOCATION, location));
    }
    if let Some(version) = version {
        builder.insert_header((header::ETAG, crate::http::etag(version)));
    }
    if replayed {
        builder.insert_header((REPLAYED, "true"));
    }
    builder.body(body)
}

fn fingerprint(req: &HttpRequest) -> String {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update([0]);
    hash.update(req.path());
    hash.update([0]);
    if let Some(BodyDigest(digest)) = req.extensions().get::<BodyDigest>() {
        hash.update(digest);
    }
    hex::encode(hash.finalize())
}

fn is_unique_violation(error: &ApiError) -> bool {
    matches!(error, ApiError::Conflict { .. })
}

/// [`write`] for a request that creates a record: answers 201.
pub async fn create<V, F>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    principal: &Principal,
    key: IdempotencyKey,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    V: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<Created<V>, ApiError> + Send + 'static,
{
    write(state, req, principal, key, StatusCode::CREATED, work).await
}

/// Runs `work` in one write transaction and answers `status` with its
/// result, honouring the caller's idempotency key if any.
pub async fn write<V, F>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    principal: &Principal,
    key: IdempotencyKey,
    status: StatusCode,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    V: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<Created<V>, ApiError> + Send + 'static,
{
    let state = state.clone();
    let Some(key) = key.0 else {
        let created = blocking(move || state.db.write(work)).await?;
        let body =
            serde_json::to_string(&created.body).map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok(response(
            status,
            body,
            created.location.as_deref(),
            created.version,
            false,
        ));
    };
    let caller = principal.user_id;
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let print = fingerprint(req);
    let outcome = blocking(move || {
        let request = Request {
            caller,
            key: &key,
            method: &method,
            path: &path,
            fingerprint: &print,
        };
        // A concurrent first claim of the same key on PostgreSQL shows as a
        // unique violation; looking again then finds it.
        let mut claim = Err(ApiError::conflict(String::new()));
        for _ in 0..3 {
            claim = state
                .db
                .write(|c| Ok::<_, ApiError>(idempotency::claim(c, request, Utc::now())?));
            if !claim.as_ref().is_err_and(is_unique_violation) {
                break;
            }
        }
        match claim? {
            Claim::Replay(stored) => return Ok(Err(stored)),
            Claim::Mismatch => {
                return Err(ApiError::invalid(
                    HEADER,
                    "this Idempotency-Key was already used for a different request; use a new key",
                ));
            }
            Claim::InFlight => {
                return Err(ApiError::conflict(
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                ));
            }
            Claim::Fresh => {}
        }
        let result = state.db.write(|c| {
            let created = work(c)?;
            let body = serde_json::to_string(&created.body)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let stored = StoredResponse {
                status: status.as_u16(),
                body,
                location: created.location.clone(),
            };
            idempotency::complete(c, caller, &key, &stored, Utc::now())?;
            Ok::<_, ApiError>((stored, created.version))
        });
        match result {
            Ok(done) => Ok(Ok(done)),
            Err(error) => {
                // Nothing was applied: free the key so a retry runs afresh.
                // (Should the COMMIT have gone through after all, the key is
                // completed and `release` leaves it alone.) When the failure
                // was a lost connection, other pooled connections may have
                // been lost with it (a restarted or failed-over database), so
                // try again on another before leaving the claim to go stale.
                for attempt in 1..=3 {
                    match state
                        .db
                        .write::<_, StoreError, _>(|c| idempotency::release(c, caller, &key))
                    {
                        Ok(()) => break,
                        Err(release) => tracing::warn!(
                            %release,
                            attempt,
                            "could not free an Idempotency-Key after a failed request; \
                             retries with it get 409 until the claim is stale"
                        ),
                    }
                }
                Err(error)
            }
        }
    })
    .await?;
    Ok(match outcome {
        Ok((stored, version)) => response(
            status,
            stored.body,
            stored.location.as_deref(),
            version,
            false,
        ),
        Err(replay) => {
            let status = StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK);
            response(status, replay.body, replay.location.as_deref(), None, true)
        }
    })
}
