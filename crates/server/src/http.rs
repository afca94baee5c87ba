//! Small HTTP conventions shared by the route modules: running store work
//! off the async workers, versions as ETags, pages, and collecting every
//! invalid field of a request before answering 422.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use grantledger_store::common::{Page, PageRequest, Record};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use grantledger_store::AnyConnection;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// Runs blocking store work on actix's blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f).await?
}

/// A view of a versioned record: its version goes out as the `ETag`.
pub trait Versioned {
    /// The record's version.
    fn version(&self) -> i64;
}

/// Implements [`Versioned`] for views with a `version` field.
macro_rules! versioned {
    ($($view:ty),+ $(,)?) => {
        $(impl $crate::http::Versioned for $view {
            fn version(&self) -> i64 {
                self.version
            }
        })+
    };
}
pub(crate) use versioned;

/// Runs `read` in a read transaction on the blocking pool and answers 200
/// with the view of what it returns, its version as the `ETag`.
pub async fn read_one<V, R>(
    state: &web::Data<AppState>,
    read: impl FnOnce(&mut AnyConnection) -> Result<R, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError>
where
    V: From<R> + Serialize + Versioned,
    R: Send + 'static,
{
    let state = state.clone();
    let record = blocking(move || state.db.read(read)).await?;
    let view = V::from(record);
    Ok(ok_versioned(view.version(), &view))
}

/// Runs `write` in one write transaction on the blocking pool and answers
/// 200 with the view of what it returns, its version as the `ETag`.
pub async fn write_one<V, R>(
    state: &web::Data<AppState>,
    write: impl FnOnce(&mut AnyConnection) -> Result<R, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError>
where
    V: From<R> + Serialize + Versioned,
    R: Send + 'static,
{
    let state = state.clone();
    let record = blocking(move || state.db.write(write)).await?;
    let view = V::from(record);
    Ok(ok_versioned(view.version(), &view))
}

/// The strong ETag for a record version: `"3"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A response with the record's version as its `ETag`.
pub fn with_etag<T: Serialize>(
    mut response: actix_web::HttpResponseBuilder,
    version: i64,
    body: &T,
) -> HttpResponse {
    response
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 200 with the record's version as its `ETag`.
pub fn ok_versioned<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    with_etag(HttpResponse::Ok(), version, body)
}

/// 201 with `Location` and `ETag`.
pub fn created<T: Serialize>(location: String, version: i64, body: &T) -> HttpResponse {
    let mut response = HttpResponse::Created();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.insert_header((header::LOCATION, value));
    }
    with_etag(response, version, body)
}

/// The version named by `If-Match` (`"3"` or `W/"3"`), required for updates
/// so that two administrators editing at once cannot overwrite each other:
/// 428 when missing, 412 when it names an older version.
pub fn require_if_match(req: &HttpRequest) -> Result<IfMatch, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("If-Match is not valid text".into()))?
        .trim();
    if text == "*" {
        return Ok(IfMatch::Any);
    }
    let unquoted = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    unquoted.parse::<i64>().map(IfMatch::Version).map_err(|_| {
        ApiError::BadRequest(format!(
            "If-Match must be an ETag from this API, such as \"3\"; got {text}"
        ))
    })
}

/// What `If-Match` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    /// This version exactly.
    Version(i64),
}

impl IfMatch {
    /// Fails with 412 unless `record` is at the version the caller read.
    pub fn check<T>(self, record: &Record<T>, entity: &str) -> Result<(), ApiError> {
        match self {
            IfMatch::Version(v) if v != record.version => {
                Err(ApiError::PreconditionFailed(format!(
                    "the {entity} has changed: you sent If-Match \"{v}\" but it is now at \"{}\"; reload it and try again",
                    record.version
                )))
            }
            _ => Ok(()),
        }
    }
}

/// `?limit=&after=` on every list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

impl PageQuery {
    /// As a store page request.
    pub fn page(&self) -> PageRequest {
        PageRequest::new(self.limit.map(PageLimit::get), self.after)
    }
}

/// `?limit=`: how many items a page holds, from 1 to
/// [`MAX_PAGE_SIZE`](grantledger_store::common::MAX_PAGE_SIZE). Anything
/// else is refused (422) rather than quietly changed, so a client never
/// mistakes a shortened page for the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    /// The number of items.
    pub fn get(self) -> u32 {
        self.0
    }

    fn parse<E: serde::de::Error>(
        value: Option<u64>,
        got: &dyn std::fmt::Display,
    ) -> Result<Self, E> {
        let max = grantledger_store::common::MAX_PAGE_SIZE;
        value
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| (1..=max).contains(v))
            .map(PageLimit)
            .ok_or_else(|| {
                E::custom(format!(
                    "limit must be a whole number from 1 to {max}; got {got}"
                ))
            })
    }
}

impl<'de> Deserialize<'de> for PageLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = PageLimit;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number from 1 to 500")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PageLimit, E> {
                PageLimit::parse(Some(v), &v)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PageLimit, E> {
                PageLimit::parse(u64::try_from(v).ok(), &v)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PageLimit, E> {
                PageLimit::parse(v.trim().parse::<u64>().ok(), &format_args!("\"{v}\""))
            }
        }
        // Query strings hand every value over as text.
        deserializer.deserialize_any(V)
    }
}

impl utoipa::PartialSchema for PageLimit {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(grantledger_store::common::MAX_PAGE_SIZE))
            .into()
    }
}

impl utoipa::ToSchema for PageLimit {}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    /// The items, oldest first.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<uuid::Uuid>,
}

impl<T> ListResponse<T> {
    /// Converts a store page into a response page.
    pub fn from_page<R>(page: Page<R>, view: impl Fn(R) -> T) -> Self {
        ListResponse {
            items: page.items.into_iter().map(view).collect(),
            next: page.next,
        }
    }

    /// A whole list as one page (no `next`), each item shown by `view`.
    pub fn whole<R>(items: Vec<R>, view: impl Fn(R) -> T) -> Self {
        ListResponse {
            items: items.into_iter().map(view).collect(),
            next: None,
        }
    }
}

/// Collects field errors so that one 422 names every invalid field at once.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// Keeps the value, or records why `field` is invalid.
    pub fn take<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(FieldError::new(field, error.to_string()));
                None
            }
        }
    }

    /// Records an invalid field directly.
    pub fn reject(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message.into()));
    }

    /// Whether every field so far was valid.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The 422 naming every invalid field.
    pub fn error(self) -> ApiError {
        let detail = match self.errors.as_slice() {
            [one] => format!("{} is invalid: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        ApiError::Unprocessable {
            detail,
            errors: self.errors,
        }
    }
}
