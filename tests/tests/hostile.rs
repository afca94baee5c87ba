//! Hostile input against every route, in the manner of schemathesis but in
//! Rust so it runs with the test suite: for every operation in
//! `/openapi.json`, as the admin and as a grantee, send bodies built from the
//! operation's own schema with each field in turn replaced by a hostile
//! value (wrong types, huge and negative numbers, negative and malformed
//! money, unicode, very long strings, nested junk, null), whole bodies of the
//! wrong shape, hostile query parameters, hostile import files, and
//! malformed ids in the path. No answer may be a 5xx, and every 4xx must be
//! an `application/problem+json` document whose `status` matches.
//!
//! `scripts/schemathesis.sh` runs schemathesis itself against a real server;
//! see docs/FUZZING.md.

use std::collections::BTreeMap;

use grantledger_server::demo::{DEMO_PASSWORD, DEMO_USERS};
use grantledger_tests::{TestApp, api_tests, content_type, expect};
use serde_json::{Map, Value, json};

/// Values that replace one field at a time.
fn hostile_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(1e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(0.5),
        json!("-1.00"),
        json!("1e3"),
        json!("1000000000000.01"),
        json!("99999999999999999999999999999.99"),
        json!("NaN"),
        json!(""),
        json!(" "),
        json!("\u{0}"),
        json!("💷\u{202e}ÅÍÎÏ˝ÓÔ\u{fe0f}"),
        json!("x".repeat(100_000)),
        json!("not-a-uuid"),
        json!("2026-02-30T25:61:00Z"),
        json!("+275760-09-13"),
        json!([]),
        json!([[[[[[[[[[{}]]]]]]]]]]),
        json!({"nested": {"junk": [1, "two", null]}}),
    ]
}

/// Whole bodies of the wrong shape.
fn hostile_bodies() -> Vec<String> {
    vec![
        "null".to_owned(),
        "[]".to_owned(),
        "[{}]".to_owned(),
        "\"a string\"".to_owned(),
        "12".to_owned(),
        "{}".to_owned(),
        r#"{"unknown_field": 1}"#.to_owned(),
        "{".to_owned(),
        "{\"a\":".to_owned(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
        "\u{feff}{}".to_owned(),
        "{} {}".to_owned(),
    ]
}

/// Hostile files for the routes that take one.
fn hostile_files() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"\xff\xfe\x00\x01binary".to_vec(),
        "\u{feff}".as_bytes().to_vec(),
        b"\"unbalanced,quote\n".to_vec(),
        "a,".repeat(20_000).into_bytes(),
        format!("Pledge\tDept\tProgress\n{}\n", "9".repeat(50)).into_bytes(),
        b"name,org_id,organisation_type,region,local_authority,postcode,annual_income\n\0,\0,\0,\0,\0,\0,\0\n".to_vec(),
        b"application_id,amount\nnot-a-uuid,-1\n00000000-0000-0000-0000-000000000000,1e3\n".to_vec(),
        "x\n".repeat(200_000).into_bytes(),
    ]
}

/// Query values, for every documented query parameter and an unknown one.
fn hostile_queries() -> Vec<String> {
    vec![
        String::new(),
        "-1".to_owned(),
        "0".to_owned(),
        "99999999999999999999".to_owned(),
        "abc".to_owned(),
        "%F0%9F%92%A9".to_owned(),
        "%00".to_owned(),
        "x".repeat(10_000),
        "null".to_owned(),
        "2026-13-45".to_owned(),
    ]
}

/// Malformed ids for `{id}`.
const BAD_IDS: [&str; 6] = [
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "%F0%9F%92%A9",
    "1",
    "0190a0a0-0000-7000-8000-00000000000g",
    "%00",
];

struct Doc(Value);

impl Doc {
    /// Follows a `$ref`, and picks the first non-null branch of a `oneOf`,
    /// `anyOf` or `allOf`.
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            return self.resolve(&self.0["components"]["schemas"][name]);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(branches) = schema[key].as_array()
                && let Some(branch) = branches.iter().find(|b| b["type"] != "null")
            {
                return self.resolve(branch);
            }
        }
        schema
    }

    /// A plausible value for a schema: its example, else the first enum
    /// value, else something of its type.
    fn sample(&self, schema: &Value, ids: &BTreeMap<&str, String>, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(example) = schema["examples"].get(0).or(schema.get("example")) {
            return example.clone();
        }
        if let Some(first) = schema["enum"].get(0) {
            return first.clone();
        }
        let kind = match &schema["type"] {
            Value::Array(types) => types
                .iter()
                .find(|t| *t != "null")
                .cloned()
                .unwrap_or(Value::Null),
            other => other.clone(),
        };
        match kind.as_str().unwrap_or("object") {
            "string" => match schema["format"].as_str() {
                Some("uuid") => json!(ids.values().next().cloned().unwrap_or_default()),
                Some("date") => json!("2026-06-01"),
                Some("date-time") => json!("2026-06-01T00:00:00Z"),
                Some("email") => json!("someone@example.org"),
                _ => json!("text"),
            },
            "integer" | "number" => json!(1),
            "boolean" => json!(true),
            "array" if depth < 4 => json!([self.sample(&schema["items"], ids, depth + 1)]),
            "array" => json!([]),
            _ if depth < 4 => {
                let mut object = Map::new();
                if let Some(properties) = schema["properties"].as_object() {
                    for (name, property) in properties {
                        object.insert(name.clone(), self.sample(property, ids, depth + 1));
                    }
                }
                Value::Object(object)
            }
            _ => json!({}),
        }
    }
}

/// The real ids a route's `{id}` can name, by the path segment before it.
fn ids(app: &TestApp, admin: &str) -> BTreeMap<&'static str, String> {
    let first = |path: &str| -> Option<String> {
        let body = expect(app.get(path, Some(admin)), 200);
        body["items"][0]["id"].as_str().map(str::to_owned)
    };
    let mut ids = BTreeMap::new();
    for kind in [
        "funds",
        "grantees",
        "awards",
        "users",
        "payment-runs",
        "commitments",
    ] {
        if let Some(id) = first(&format!("/v1/{kind}")) {
            ids.insert(kind, id);
        }
    }
    let fund = ids["funds"].clone();
    if let Some(round) = first(&format!("/v1/funds/{fund}/rounds")) {
        if let Some(application) = first(&format!("/v1/rounds/{round}/applications")) {
            ids.insert("applications", application);
        }
        ids.insert("rounds", round);
    }
    let awards = expect(app.get("/v1/awards?limit=500", Some(admin)), 200);
    for award in awards["items"].as_array().unwrap() {
        let award = award["id"].as_str().unwrap();
        for (kind, list) in [
            ("disbursements", "disbursements"),
            ("evaluation-returns", "evaluation-returns"),
        ] {
            if !ids.contains_key(kind)
                && let Some(id) = first(&format!("/v1/awards/{award}/{list}"))
            {
                ids.insert(kind, id);
            }
        }
    }
    ids
}

struct Checker<'a> {
    app: &'a TestApp,
    requests: usize,
}

impl Checker<'_> {
    /// Sends one request and checks the answer is a 2xx/3xx, or a 4xx
    /// problem document, never a 5xx.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<(&str, Vec<u8>)>,
        what: &str,
    ) {
        let size = body.as_ref().map_or(0, |(_, bytes)| bytes.len());
        let request = || {
            let mut builder = self
                .app
                .client
                .request(method.to_uppercase().parse().unwrap(), self.app.url(path))
                .bearer_auth(token)
                .header("If-Match", "*")
                .header("Idempotency-Key", uuid::Uuid::now_v7().to_string());
            if let Some((content_type, bytes)) = &body {
                builder = builder
                    .header("Content-Type", *content_type)
                    .body(bytes.clone());
            }
            builder.send()
        };
        self.requests += 1;
        // A large body refused before it is read (a 403 for the wrong role,
        // a 415) may have its connection closed while the client is still
        // sending, so the client sees no answer; and the next request may
        // pick that closing connection from the pool. Both are the HTTP
        // server declining to read the rest, not a 5xx: retry once, and
        // accept no answer only for a large body.
        let response = match request().or_else(|_| request()) {
            Ok(response) => response,
            Err(error) if size > 64 * 1024 && error.is_request() => return,
            Err(error) => panic!("{} {path} ({what}): {error}", method.to_uppercase()),
        };
        let status = response.status().as_u16();
        let content_type = content_type(&response);
        let text = response.text().unwrap_or_default();
        let shown: String = text.chars().take(300).collect();
        assert!(
            status < 500,
            "{} {path} ({what}) answered {status}: {shown}",
            method.to_uppercase()
        );
        if status >= 400 {
            assert_eq!(
                content_type,
                "application/problem+json",
                "{} {path} ({what}) answered {status} without a problem document: {shown}",
                method.to_uppercase()
            );
            let problem: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(problem["status"], status, "{path} ({what}): {shown}");
        }
    }
}

/// Calls `f` with every `$ref` in a JSON document.
fn every_ref(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                f(reference);
            }
            map.values().for_each(|v| every_ref(v, f));
        }
        Value::Array(items) => items.iter().for_each(|v| every_ref(v, f)),
        _ => {}
    }
}

fn login(app: &TestApp, email: &str) -> String {
    app.login(email, DEMO_PASSWORD)
}

fn hostile_input_never_gets_a_5xx(app: &TestApp) {
    grantledger_server::demo::load(
        &app.db.db,
        &grantledger_store::bank_details::Keyring::demo(),
    )
    .unwrap();
    app.demo_authenticators();
    let admin = login(app, DEMO_USERS[0].0);
    let grantee = login(app, DEMO_USERS[3].0);
    // The pledge tracker, so `{id}` of a commitment names a real one.
    expect(
        app.post_raw(
            "/v1/commitments/import",
            Some(&admin),
            "text/plain",
            "Pledge\tDept\tProgress\n1. Measure loneliness.\tDCMS\tIn progress\n",
        ),
        200,
    );
    let ids = ids(app, &admin);
    let doc = Doc(expect(app.get("/openapi.json", None), 200));
    let mut dangling = Vec::new();
    every_ref(&doc.0, &mut |reference| {
        // `#/components/schemas/X` or `#/components/responses/X`.
        let target = reference
            .strip_prefix("#/")
            .unwrap_or_default()
            .split('/')
            .try_fold(&doc.0, |node, key| node.get(key));
        if target.is_none() {
            dangling.push(reference.to_owned());
        }
    });
    assert!(dangling.is_empty(), "$refs that name nothing: {dangling:?}");
    let mut checker = Checker { app, requests: 0 };
    let paths = doc.0["paths"].as_object().unwrap().clone();
    let mut operations = 0;
    for (template, item) in &paths {
        let kind = template
            .split_once("/{id}")
            .map(|(before, _)| before.rsplit('/').next().unwrap());
        let real = match kind {
            // A kind the demo data has none of is named by a fresh id (404).
            Some(kind) => template.replace(
                "{id}",
                &ids.get(kind)
                    .cloned()
                    .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            ),
            None => template.clone(),
        };
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            // Each operation as the admin (who reaches the handler) and as
            // a grantee (who is mostly refused early, so fewer cases).
            for (who, token) in [("admin", &admin), ("grantee", &grantee)] {
                let full = who == "admin";
                if kind.is_some() {
                    for bad in BAD_IDS {
                        let path = template.replace("{id}", bad);
                        let body = (method != "get").then(|| ("application/json", b"{}".to_vec()));
                        checker.send(method, &path, token, body, &format!("{who}, id {bad}"));
                    }
                }
                if method == "get" {
                    let mut names: Vec<String> = operation["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str().map(str::to_owned))
                        .collect();
                    names.push("unknown".to_owned());
                    for name in &names {
                        let values = if full {
                            hostile_queries()
                        } else {
                            vec!["-1".to_owned()]
                        };
                        for value in values {
                            let path = format!("{real}?{name}={value}");
                            checker.send(
                                method,
                                &path,
                                token,
                                None,
                                &format!("{who}, {name}={value:.20}"),
                            );
                        }
                    }
                    continue;
                }
                let content = &operation["requestBody"]["content"];
                let file_type = ["text/csv", "text/plain", "text/tab-separated-values"]
                    .into_iter()
                    .find(|t| content.get(*t).is_some());
                if let Some(file_type) = file_type {
                    for file in hostile_files() {
                        checker.send(
                            method,
                            &real,
                            token,
                            Some((file_type, file)),
                            &format!("{who}, file"),
                        );
                    }
                    checker.send(
                        method,
                        &real,
                        token,
                        Some(("application/json", b"{}".to_vec())),
                        "json for a file",
                    );
                    continue;
                }
                for body in hostile_bodies() {
                    let what = format!("{who}, body {body:.30}");
                    checker.send(
                        method,
                        &real,
                        token,
                        Some(("application/json", body.into_bytes())),
                        &what,
                    );
                }
                let schema = &content["application/json"]["schema"];
                if schema.is_null() || !full {
                    continue;
                }
                let base = doc.sample(schema, &ids, 0);
                let Some(fields) = base.as_object() else {
                    continue;
                };
                for field in fields.keys() {
                    for value in hostile_values() {
                        let mut body = base.clone();
                        body[field] = value.clone();
                        let what = format!("{who}, {field} = {value:.30}");
                        let bytes = serde_json::to_vec(&body).unwrap();
                        checker.send(
                            method,
                            &real,
                            token,
                            Some(("application/json", bytes)),
                            &what,
                        );
                    }
                    let mut missing = base.clone();
                    missing.as_object_mut().unwrap().remove(field);
                    let bytes = serde_json::to_vec(&missing).unwrap();
                    checker.send(
                        method,
                        &real,
                        token,
                        Some(("application/json", bytes)),
                        &format!("{who}, no {field}"),
                    );
                }
            }
        }
    }
    assert!(
        operations >= 60,
        "only {operations} operations in the document"
    );
    assert!(
        checker.requests > 2000,
        "only {} requests sent",
        checker.requests
    );
}

api_tests!(hostile_input_never_gets_a_5xx);
