//! The error answers of the API document, stated once for every operation.
//!
//! Each route declares the answers particular to it (404 for its record,
//! 409 for its rules). The answers any route can give — a request that does
//! not read (400), no or a bad token (401), a role without the right (403),
//! a slow, large or mistyped body (408, 413, 415), a value that is invalid
//! (422), a client over its limits (429), a fault (500), an unavailable
//! database (503) — are added here from what the operation takes, so the
//! document lists every status the server can send and each as
//! `application/problem+json`.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

use crate::error::PROBLEM_JSON;

/// Adds the error answers every operation can give, and gives each error
/// answer the problem media type and a description.
pub fn document_errors(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    for status in COMMON {
        components
            .responses
            .insert(name(status).to_owned(), RefOr::T(problem(status)));
    }
    for item in api.paths.paths.values_mut() {
        for (operation, is_write) in [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ] {
            let Some(operation) = operation else {
                continue;
            };
            add_common(operation, is_write);
            for (status, response) in &mut operation.responses.responses {
                if let RefOr::T(response) = response {
                    as_problem(status, response);
                }
            }
        }
    }
}

fn add_common(operation: &mut Operation, is_write: bool) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = operation.request_body.is_some();
    let takes = |place: ParameterIn| {
        operation.parameters.iter().flatten().any(|p| match p {
            RefOr::T(p) => p.parameter_in == place,
            RefOr::Ref(_) => false,
        })
    };
    let (query, path) = (takes(ParameterIn::Query), takes(ParameterIn::Path));
    let header = |name: &str| {
        operation.parameters.iter().flatten().any(|p| match p {
            RefOr::T(p) => p.parameter_in == ParameterIn::Header && p.name == name,
            RefOr::Ref(_) => false,
        })
    };
    let (if_match, idempotent) = (header("If-Match"), header("Idempotency-Key"));
    let writes = is_write;
    let mut statuses = vec!["400", "429", "500", "503"];
    if secured {
        statuses.extend(["401", "403"]);
    }
    if has_body {
        statuses.extend(["408", "413", "415", "422"]);
    }
    if query {
        statuses.push("422");
    }
    if path {
        statuses.push("404");
    }
    // Any write can meet a concurrent one (a unique value taken meanwhile,
    // a serialization failure).
    if writes {
        statuses.push("409");
    }
    if if_match {
        statuses.extend(["412", "428"]);
    }
    // The key: 409 while the first request is still running, 422 when it
    // was used for a different request.
    if idempotent {
        statuses.extend(["409", "422"]);
    }
    for status in statuses {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                RefOr::Ref(Ref::new(format!("#/components/responses/{}", name(status))))
            });
    }
}

/// The statuses added to operations, each a shared response component.
const COMMON: [&str; 14] = [
    "400", "401", "403", "404", "408", "409", "412", "413", "415", "422", "428", "429", "500",
    "503",
];

/// The component name of a shared error answer.
fn name(status: &str) -> &'static str {
    match status {
        "400" => "BadRequest",
        "401" => "Unauthenticated",
        "403" => "Forbidden",
        "404" => "NotFound",
        "408" => "BodyTimeout",
        "413" => "TooLarge",
        "415" => "WrongMediaType",
        "422" => "Invalid",
        "409" => "Conflict",
        "412" => "VersionChanged",
        "428" => "VersionRequired",
        "429" => "TooManyRequests",
        "500" => "ServerFault",
        _ => "Unavailable",
    }
}

fn problem(status: &str) -> Response {
    let mut response = Response::new(describe(status));
    response.content.insert(
        PROBLEM_JSON.to_owned(),
        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
    );
    response
}

/// Error answers declared by a route as `body = Problem` come out as
/// `application/json`; the server sends them as problem+json.
fn as_problem(status: &str, response: &mut Response) {
    if !(status.starts_with('4') || status.starts_with('5')) {
        return;
    }
    if let Some(content) = response.content.shift_remove("application/json") {
        response.content.insert(PROBLEM_JSON.to_owned(), content);
    }
    if response.description.is_empty() {
        response.description = describe(status).to_owned();
    }
}

fn describe(status: &str) -> &'static str {
    match status {
        "400" => {
            "The request does not read: malformed JSON, a malformed id in the path, or text holding NUL"
        }
        "401" => "No token, or a token that is invalid or expired",
        "403" => "Your role may not do this, or the record is not yours",
        "404" => "No such record (or not one you may see)",
        "408" => "The body did not arrive within the deadline",
        "409" => "The change conflicts with the record's state",
        "412" => "The record changed since the version in If-Match",
        "413" => "The body is larger than allowed",
        "415" => "The body is not of the media type this route takes",
        "422" => "A value is invalid; `errors` names each field",
        "428" => "If-Match is required",
        "429" => "Too many requests or connections from this client; see Retry-After",
        "500" => "A fault in the server; the request id in the answer finds it in the log",
        "503" => "The database is busy or unavailable; retry shortly",
        _ => "An error",
    }
}
