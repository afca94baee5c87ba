//! Request extractors whose every failure is a problem document.
//!
//! actix-web's own extractors answer bad input with `text/plain` bodies and,
//! in places, statuses that do not say what went wrong. Handlers take
//! [`Json`] and [`Query`] from here instead of `web::Json` and `web::Query`
//! (which cannot say which parameter was wrong), and the app registers
//! [`query_config`], [`path_config`], [`json_config`] and
//! [`default_service`] so the remaining built-in extractors and unknown
//! routes answer in the same shape.

use std::ops::{Deref, DerefMut};

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::header;
use actix_web::web::{self, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, mime};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The largest JSON body accepted unless the app sets a [`JsonLimit`].
pub const DEFAULT_JSON_LIMIT: usize = 1024 * 1024;

/// Overrides the JSON body size limit, in bytes, for the app, scope or
/// resource whose `app_data` holds it (register the bare value, not
/// `web::Data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimit(pub usize);

/// A JSON request body deserialised into `T`.
///
/// Fails with 415 unless the body is declared JSON, 413 if it is over the
/// limit, 400 if it is empty or not JSON, and 422 with the path of each bad
/// value if it is JSON of the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The deserialised value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<JsonLimit>()
            .map_or(DEFAULT_JSON_LIMIT, |limit| limit.0);
        // Both checks run before any byte is read so that an oversized or
        // non-JSON upload is refused without buffering it.
        let early = check_json_content_type(req).and_then(|()| check_content_length(req, limit));
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            early?;
            let body = read_body(&mut payload, limit).await?;
            if body.is_empty() {
                return Err(ApiError::BadRequest(
                    "the request body is empty; send a JSON document".to_owned(),
                ));
            }
            // Idempotency keys compare requests by this digest of the exact bytes.
            req.extensions_mut()
                .insert(BodyDigest(Sha256::digest(&body).into()));
            from_json_slice(&body).map(Json)
        })
    }
}

/// The largest text upload (an import file) accepted.
pub const TEXT_UPLOAD_LIMIT: usize = 1024 * 1024;

/// A text file sent as the raw request body, e.g. the pledge tracker.
///
/// Fails with 415 unless the body is declared `text/plain` or
/// `text/tab-separated-values` (UTF-8 or no charset), and with 413 above
/// [`TEXT_UPLOAD_LIMIT`]. The bytes are not checked further: the reader of
/// the file says which line is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextUpload(pub Vec<u8>);

impl FromRequest for TextUpload {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let early = check_text_content_type(req)
            .and_then(|()| check_content_length(req, TEXT_UPLOAD_LIMIT));
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            early?;
            let body = read_body(&mut payload, TEXT_UPLOAD_LIMIT).await?;
            // An Idempotency-Key replay must be the same file.
            req.extensions_mut()
                .insert(BodyDigest(Sha256::digest(&body).into()));
            Ok(TextUpload(body.to_vec()))
        })
    }
}

/// The largest CSV import accepted.
pub const CSV_UPLOAD_LIMIT: usize = 4 * 1024 * 1024;

/// A CSV file sent as the raw request body (an import).
///
/// Fails with 415 unless the body is declared `text/csv` (or `text/plain`),
/// UTF-8 or no charset, and with 413 above [`CSV_UPLOAD_LIMIT`]. The reader
/// of the file checks the bytes and names the bad lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvUpload(pub Vec<u8>);

impl FromRequest for CsvUpload {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Too large says what to do instead: split the file, or use the CLI.
        let too_large = |error: ApiError| match error {
            ApiError::PayloadTooLarge { limit } => ApiError::FileTooLarge { limit },
            other => other,
        };
        let early = check_csv_content_type(req)
            .and_then(|()| check_content_length(req, CSV_UPLOAD_LIMIT).map_err(too_large));
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            early?;
            let body = read_body(&mut payload, CSV_UPLOAD_LIMIT)
                .await
                .map_err(too_large)?;
            // An Idempotency-Key replay must be the same file.
            req.extensions_mut()
                .insert(BodyDigest(Sha256::digest(&body).into()));
            Ok(CsvUpload(body.to_vec()))
        })
    }
}

fn check_csv_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let refuse = || {
        ApiError::UnsupportedMediaType(
            "send the CSV file as the request body with Content-Type: text/csv".to_owned(),
        )
    };
    let mime = req.mime_type().map_err(|_| refuse())?.ok_or_else(refuse)?;
    let is_csv = mime.type_() == mime::TEXT
        && (mime.subtype() == mime::CSV || mime.subtype() == mime::PLAIN);
    if !is_csv {
        return Err(refuse());
    }
    match mime.get_param(mime::CHARSET) {
        Some(charset)
            if !["utf-8", "utf8", "us-ascii"]
                .iter()
                .any(|c| charset.as_str().eq_ignore_ascii_case(c)) =>
        {
            Err(ApiError::UnsupportedMediaType(format!(
                "the file must be UTF-8, not {}",
                charset.as_str()
            )))
        }
        _ => Ok(()),
    }
}

fn check_text_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let refuse = || {
        ApiError::UnsupportedMediaType(
            "send the file as the request body with Content-Type: text/plain or text/tab-separated-values"
                .to_owned(),
        )
    };
    let mime = req.mime_type().map_err(|_| refuse())?.ok_or_else(refuse)?;
    let is_text = mime.type_() == mime::TEXT
        && (mime.subtype() == mime::PLAIN || mime.subtype().as_str() == "tab-separated-values");
    if !is_text {
        return Err(refuse());
    }
    match mime.get_param(mime::CHARSET) {
        Some(charset)
            if !["utf-8", "utf8", "us-ascii"]
                .iter()
                .any(|c| charset.as_str().eq_ignore_ascii_case(c)) =>
        {
            Err(ApiError::UnsupportedMediaType(format!(
                "the file must be UTF-8, not {}",
                charset.as_str()
            )))
        }
        _ => Ok(()),
    }
}

fn check_json_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let refuse = || {
        ApiError::UnsupportedMediaType(
            "the request body must be JSON, sent with Content-Type: application/json".to_owned(),
        )
    };
    let mime = req.mime_type().map_err(|_| refuse())?.ok_or_else(refuse)?;
    let is_json = mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON));
    if !is_json {
        return Err(refuse());
    }
    // JSON is UTF-8 (RFC 8259); a body declared otherwise would be misread.
    match mime.get_param(mime::CHARSET) {
        Some(charset)
            if !charset.as_str().eq_ignore_ascii_case("utf-8")
                && !charset.as_str().eq_ignore_ascii_case("utf8") =>
        {
            Err(ApiError::UnsupportedMediaType(format!(
                "JSON must be UTF-8, not {}",
                charset.as_str()
            )))
        }
        _ => Ok(()),
    }
}

fn check_content_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => Err(ApiError::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

/// SHA-256 of the JSON body as received, left in the request's extensions
/// by [`Json`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDigest(pub [u8; 32]);

/// Reads the whole payload, stopping as soon as it passes `limit`: a chunked
/// body declares no length, so the early check alone cannot bound memory.
async fn read_body(payload: &mut Payload, limit: usize) -> Result<BytesMut, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| match error {
            PayloadError::Overflow => ApiError::PayloadTooLarge { limit },
            _ => ApiError::BadRequest("the request body could not be read".to_owned()),
        })?;
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Deserialises JSON text with the same error mapping as [`Json`]: 400 for
/// text that is not JSON, 422 naming the path of each value of the wrong
/// shape. For handlers that read a body some other way (an import file).
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match classify_json_error(&path, &inner) {
            // One bad value found; read the whole document to name them all.
            first @ ApiError::Unprocessable { .. } => match serde_json::from_slice(bytes) {
                Ok(tree) => crate::input_errors::unprocessable::<T>(&tree, first),
                Err(syntax) => classify_json_error(".", &syntax),
            },
            other => other,
        }
    })?;
    // Trailing text after a complete document is as malformed as a missing
    // brace; accepting it would let two documents pass for one.
    deserializer
        .end()
        .map_err(|error| classify_json_error(".", &error))?;
    Ok(value)
}

fn classify_json_error(path: &str, error: &serde_json::Error) -> ApiError {
    let message = message_without_position(error);
    match error.classify() {
        Category::Data => {
            let field = field_path(path, &message);
            ApiError::invalid(field, message)
        }
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest(format!(
            "malformed JSON: {message} at line {} column {}",
            error.line(),
            error.column()
        )),
    }
}

/// serde_json appends the position to every message; for data errors the
/// field path says more, and for syntax errors we add it back in our format.
fn message_without_position(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix)
        .map_or(full.clone(), str::to_owned)
}

/// Turns serde_path_to_error's path into the `field` of a [`crate::error::FieldError`].
///
/// A missing field is reported by serde at the enclosing object, so its
/// name is taken from the message and appended; clients then see
/// `funders[0].name`, not `funders[0]`. (Unknown fields already end the path.)
fn field_path(path: &str, message: &str) -> String {
    let base = if path == "." || path.is_empty() {
        None
    } else {
        Some(path)
    };
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    match (base, named) {
        (Some(base), Some(name)) => format!("{base}.{name}"),
        (None, Some(name)) => name.to_owned(),
        (Some(base), None) => base.to_owned(),
        (None, None) => "body".to_owned(),
    }
}

/// Settings for actix's own `web::Json`, for any handler that uses it
/// rather than [`Json`]: the same limit, and problem documents for errors.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(DEFAULT_JSON_LIMIT)
        .content_type_required(true)
        .error_handler(|error, _req| json_payload_error(error).into())
}

fn json_payload_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit },
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
            "the request body must be JSON, sent with Content-Type: application/json".to_owned(),
        ),
        JsonPayloadError::Deserialize(error) => classify_json_error(".", &error),
        JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge {
            limit: DEFAULT_JSON_LIMIT,
        },
        _ => ApiError::BadRequest("the request body could not be read".to_owned()),
    }
}

/// Settings for `web::Query`: a query string that does not fit the handler's
/// parameters is a 422 on the field `query`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| {
        let message = match error {
            QueryPayloadError::Deserialize(error) => error.to_string(),
            other => other.to_string(),
        };
        ApiError::invalid("query", message).into()
    })
}

/// A query string deserialised into `T`. A value of the wrong shape is a
/// 422 whose `field` names the parameter (`limit`, `status`), which
/// `web::Query` cannot tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The parameters.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(from_query_str(req.query_string()).map(Query))
    }
}

/// Parses a URL query string into `T`, naming the offending parameter in
/// the error.
pub fn from_query_str<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let field = match field_path(&path, &message).as_str() {
            "body" => "query".to_owned(),
            named => named.to_owned(),
        };
        let message = crate::input_errors::humanise(&field, &message).replace(
            " is not a field here; the fields are",
            " is not a parameter here; the parameters are",
        );
        ApiError::invalid(field, message)
    })
}

/// Settings for `web::Path`: a path segment that does not parse (a malformed
/// id) names no resource, so it is a 404 rather than a validation error.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_error: PathError, _req| ApiError::not_found("resource").into())
}

/// The app's default service: any request that matches no route gets a 404
/// problem document. (A resource that exists but lacks the method answers
/// 405 from actix; [`crate::middleware::problem_errors`] gives it a body.)
pub fn default_service() -> actix_web::Route {
    web::to(unknown_route)
}

async fn unknown_route() -> HttpResponse {
    ApiError::not_found("resource").error_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::App;
    use actix_web::http::StatusCode;
    use actix_web::test as actix_test;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Listing {
        limit: Option<u32>,
        status: Option<String>,
    }

    fn query_field(query: &str) -> (String, String) {
        match from_query_str::<Listing>(query) {
            Err(ApiError::Unprocessable { errors, .. }) => {
                let first = errors.first().unwrap();
                (first.field.clone(), first.message.clone())
            }
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn query_errors_name_the_parameter() {
        assert_eq!(
            from_query_str::<Listing>("limit=5&status=open%20now").unwrap(),
            Listing {
                limit: Some(5),
                status: Some("open now".into())
            }
        );
        assert_eq!(query_field("limit=-1").0, "limit");
        assert_eq!(query_field("status=a&limit=4294967296").0, "limit");
        let (field, message) = query_field("colour=red");
        assert_eq!(field, "colour", "{message}");
        assert!(
            message
                .starts_with("colour is not a parameter here; the parameters are: limit, status"),
            "{message}"
        );
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Funder {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        contribution: u64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NewFund {
        name: String,
        #[allow(dead_code)]
        funders: Vec<Funder>,
    }

    async fn create(body: Json<NewFund>) -> HttpResponse {
        HttpResponse::Ok().body(body.into_inner().name)
    }

    #[derive(Debug, Deserialize)]
    struct Page {
        #[allow(dead_code)]
        limit: u32,
    }

    async fn list(_query: web::Query<Page>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    async fn show(_id: web::Path<uuid::Uuid>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    async fn call(req: actix_test::TestRequest) -> (StatusCode, String, serde_json::Value) {
        let app = actix_test::init_service(
            App::new()
                .app_data(query_config())
                .app_data(path_config())
                .app_data(JsonLimit(256))
                .route("/funds", web::post().to(create))
                .route("/funds", web::get().to(list))
                .route("/funds/{id}", web::get().to(show))
                .default_service(default_service()),
        )
        .await;
        let response = actix_test::call_service(&app, req.to_request()).await;
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = actix_test::read_body(response).await;
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, content_type, json)
    }

    fn post(body: &str) -> actix_test::TestRequest {
        actix_test::TestRequest::post()
            .uri("/funds")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(body.to_owned())
    }

    const VALID: &str = r#"{"name":"Fund","funders":[{"name":"A","contribution":5}]}"#;

    #[actix_web::test]
    async fn valid_json_is_accepted_with_charset_or_suffix_types() {
        for content_type in [
            "application/json",
            "application/json; charset=utf-8",
            "application/merge-patch+json",
        ] {
            let req = post(VALID).insert_header((header::CONTENT_TYPE, content_type));
            let (status, _, _) = call(req).await;
            assert_eq!(status, StatusCode::OK, "{content_type}");
        }
    }

    #[actix_web::test]
    async fn wrong_or_missing_content_type_is_415() {
        let req = post(VALID).insert_header((header::CONTENT_TYPE, "text/plain"));
        let (status, content_type, body) = call(req).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["type"], "/problems/unsupported-media-type");

        let req = actix_test::TestRequest::post()
            .uri("/funds")
            .set_payload(VALID);
        assert_eq!(call(req).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);

        let req =
            post(VALID).insert_header((header::CONTENT_TYPE, "application/json; charset=latin1"));
        assert_eq!(call(req).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[actix_web::test]
    async fn oversized_bodies_are_413() {
        let big = format!(r#"{{"name":"{}","funders":[]}}"#, "x".repeat(300));
        let (status, _, body) = call(post(&big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["type"], "/problems/payload-too-large");

        // A lying Content-Length is caught while streaming.
        let req = post(&big).insert_header((header::CONTENT_LENGTH, "10"));
        assert_eq!(call(req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[actix_web::test]
    async fn empty_and_malformed_bodies_are_400_with_position() {
        assert_eq!(call(post("")).await.0, StatusCode::BAD_REQUEST);

        let (status, _, body) = call(post("{\n  \"name\": \"Fund\",\n  oops\n}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["type"], "/problems/bad-request");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.starts_with("malformed JSON: "), "{detail}");
        assert!(detail.ends_with("at line 3 column 3"), "{detail}");

        let (status, _, body) = call(post(&format!("{VALID} {{}}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

        let (status, _, _) = call(post(r#"{"name": "Fu"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[actix_web::test]
    async fn unknown_fields_are_422_naming_the_field() {
        let (status, _, body) = call(post(
            r#"{"name":"F","funders":[{"name":"A","contribution":1,"colour":"red"}]}"#,
        ))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["type"], "/problems/validation");
        assert_eq!(body["errors"][0]["field"], "funders[0].colour", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert_eq!(
            message,
            "colour is not a field here; the fields are: name, contribution"
        );
        assert!(!message.contains("line"), "{message}");

        let (_, _, body) = call(post(r#"{"name":"F","funders":[],"extra":1}"#)).await;
        assert_eq!(body["errors"][0]["field"], "extra", "{body}");

        let (_, _, body) = call(post(
            r#"{"name":"F","funders":[{"name":"A","contribution":1},{"name":"B"}]}"#,
        ))
        .await;
        assert_eq!(
            body["errors"][0]["field"], "funders[1].contribution",
            "{body}"
        );
    }

    #[actix_web::test]
    async fn wrong_types_and_missing_fields_are_422_with_paths() {
        let (status, _, body) = call(post(
            r#"{"name":"F","funders":[{"name":"A","contribution":1},{"name":"B","contribution":"lots"}]}"#,
        ))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body["errors"][0]["field"], "funders[1].contribution",
            "{body}"
        );

        let (status, _, body) = call(post(r#"{"funders":[]}"#)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "name", "{body}");

        let (status, _, body) = call(post(r#""just a string""#)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "body", "{body}");
    }

    #[actix_web::test]
    async fn bad_queries_are_422_and_bad_path_ids_404() {
        let (status, content_type, body) =
            call(actix_test::TestRequest::get().uri("/funds?limit=many")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["errors"][0]["field"], "query");

        let (status, content_type, _) =
            call(actix_test::TestRequest::get().uri("/funds/not-a-uuid")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/problem+json");
    }

    #[actix_web::test]
    async fn unknown_routes_are_404_problems() {
        let (status, content_type, body) =
            call(actix_test::TestRequest::get().uri("/nowhere")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["status"], 404);
    }

    #[actix_web::test]
    async fn text_uploads_check_type_charset_and_size() {
        async fn upload(body: TextUpload) -> HttpResponse {
            HttpResponse::Ok().body(body.0.len().to_string())
        }
        let app =
            actix_test::init_service(App::new().route("/upload", web::post().to(upload))).await;
        let send = |content_type: Option<&str>, body: Vec<u8>| {
            let mut req = actix_test::TestRequest::post().uri("/upload");
            if let Some(content_type) = content_type {
                req = req.insert_header((header::CONTENT_TYPE, content_type.to_owned()));
            }
            req.set_payload(body).to_request()
        };
        for (content_type, status) in [
            (Some("text/plain"), StatusCode::OK),
            (Some("text/plain; charset=UTF-8"), StatusCode::OK),
            (Some("text/tab-separated-values"), StatusCode::OK),
            (
                Some("text/plain; charset=latin1"),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (Some("application/json"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
            (None, StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ] {
            let response = actix_test::call_service(&app, send(content_type, b"x".to_vec())).await;
            assert_eq!(response.status(), status, "{content_type:?}");
        }
        let big = vec![b'x'; TEXT_UPLOAD_LIMIT + 1];
        let response = actix_test::call_service(&app, send(Some("text/plain"), big)).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[actix_web::test]
    async fn actix_json_config_errors_are_problems() {
        async fn plain(body: web::Json<serde_json::Value>) -> HttpResponse {
            HttpResponse::Ok().json(body.into_inner())
        }
        let app = actix_test::init_service(
            App::new()
                .app_data(json_config())
                .route("/raw", web::post().to(plain)),
        )
        .await;
        let req = actix_test::TestRequest::post()
            .uri("/raw")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload("{nope")
            .to_request();
        let response = actix_test::call_service(&app, req).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
    }
}
