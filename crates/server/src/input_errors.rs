//! Every invalid value of a request in one answer, in words a person reads.
//!
//! serde stops at the first value that does not fit, so a body with six bad
//! fields would be refused six times over. When the first attempt fails,
//! [`all_field_errors`] works on the parsed JSON tree instead: it notes the
//! bad value, removes it and tries again. A struct that then lacks a
//! required field has had every other field of it checked (serde reports a
//! missing field only after reading all the present ones), so the struct
//! itself is removed from its parent and the search goes on there. Each
//! round removes a node, so the search ends; the paths reported are those
//! of the body as sent, even after items were removed from a list.
//!
//! [`humanise`] rewrites serde's messages ("invalid type: string \"x\",
//! expected u8", "unknown variant `maybe`") into sentences that name the
//! field and what it takes.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::error::{ApiError, FieldError};

/// A bound on rounds of the search, far above any real body's field count;
/// each round deserialises the remaining tree once.
const MAX_ROUNDS: usize = 200;

/// The 422 for a body whose first deserialisation failed with `first`,
/// naming every invalid value found in `value`.
pub fn unprocessable<T: DeserializeOwned>(value: &Value, first: ApiError) -> ApiError {
    let errors = all_field_errors::<T>(value);
    let detail = match errors.as_slice() {
        [] => return first,
        [one] => format!("{} is invalid: {}", one.field, one.message),
        many => format!("{} fields are invalid", many.len()),
    };
    ApiError::Unprocessable { detail, errors }
}

/// Every value in `value` that does not deserialise into `T`, each with its
/// path in the body as sent and a plain-words message.
pub fn all_field_errors<T: DeserializeOwned>(value: &Value) -> Vec<FieldError> {
    let mut tree = value.clone();
    let mut removed = Removed::default();
    let mut errors: Vec<FieldError> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let error = match serde_path_to_error::deserialize::<_, T>(&tree) {
            Ok(_) => break,
            Err(error) => error,
        };
        let segments: Vec<Segment> = error.path().iter().cloned().collect();
        let message = error.into_inner().to_string();
        let traceable = segments
            .iter()
            .all(|s| matches!(s, Segment::Seq { .. } | Segment::Map { .. }));
        let original = removed.original(&segments);
        if let Some(name) = missing_field(&message) {
            let field = join(&original, name);
            if removed.contains(&field) {
                // Reported already as a bad value. Put a value that fits in
                // its place so serde reads on to the required fields
                // declared after it, rather than giving up on the struct.
                if stand_in::<T>(&mut tree, &segments, name, removed.message(&field)) {
                    continue;
                }
            } else if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, humanise(name, &message)));
            }
        } else {
            let field = if original.is_empty() {
                "body".to_owned()
            } else {
                original.clone()
            };
            let message = match date_or_instant::<T>(&tree, &segments, &message) {
                Some(expected) => format!(
                    "{} must be {expected}{}",
                    last_name(&segments),
                    got(&tree, &segments)
                ),
                None => humanise(last_name(&segments), &message),
            };
            errors.push(FieldError::new(field, message));
        }
        // A missing field means its struct has been read through: drop the
        // struct and carry on in its parent. Any other error drops the value.
        if segments.is_empty() || !traceable || !removed.remove(&mut tree, &segments) {
            break;
        }
        removed.messages.insert(original, message);
    }
    errors
}

/// Checks the rules a request body states with `validator` (lengths,
/// counts, ranges) and turns every broken one into the same 422 field list
/// the JSON parser gives, so the API and the web forms report alike.
pub fn validated<T: validator::Validate>(body: T) -> Result<T, ApiError> {
    match body.validate() {
        Ok(()) => Ok(body),
        Err(errors) => {
            let mut fields = Vec::new();
            collect(&errors, "", &mut fields);
            let detail = match fields.as_slice() {
                [one] => format!("{} is invalid: {}", one.field, one.message),
                many => format!("{} fields are invalid", many.len()),
            };
            Err(ApiError::Unprocessable {
                detail,
                errors: fields,
            })
        }
    }
}

fn collect(errors: &validator::ValidationErrors, base: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind as Kind;
    let mut names: Vec<_> = errors.errors().keys().collect();
    names.sort();
    for name in names {
        let path = join(base, name);
        match errors.errors().get(name) {
            Some(Kind::Field(list)) => out.extend(list.iter().map(|e| {
                let message = e.message.as_ref().map_or_else(
                    || format!("{name} is invalid ({})", e.code),
                    ToString::to_string,
                );
                FieldError::new(path.clone(), message)
            })),
            Some(Kind::Struct(inner)) => collect(inner, &path, out),
            Some(Kind::List(items)) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
            None => {}
        }
    }
}

/// The paths removed so far, and which items of each list, so that later
/// paths can be given as the client wrote them.
#[derive(Default)]
struct Removed {
    paths: Vec<String>,
    items: HashMap<String, Vec<usize>>,
    /// serde's own message for each value removed, which lists an enum's
    /// variants.
    messages: HashMap<String, String>,
}

impl Removed {
    fn message(&self, path: &str) -> &str {
        self.messages.get(path).map_or("", String::as_str)
    }

    fn contains(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// The path in the body as sent for a path in the current tree.
    fn original(&self, segments: &[Segment]) -> String {
        let mut path = String::new();
        for segment in segments {
            match segment {
                Segment::Seq { index } => {
                    let gone = self.items.get(&path).map_or(&[][..], Vec::as_slice);
                    let index = original_index(*index, gone);
                    path.push_str(&format!("[{index}]"));
                }
                Segment::Map { key } => path = join(&path, key),
                Segment::Enum { variant } => path = join(&path, variant),
                Segment::Unknown => path = join(&path, "?"),
            }
        }
        path
    }

    /// Removes the node at `segments` from `tree`; false if there is none.
    fn remove(&mut self, tree: &mut Value, segments: &[Segment]) -> bool {
        let Some((last, parents)) = segments.split_last() else {
            return false;
        };
        let parent_path = self.original(parents);
        let here = self.original(segments);
        let Some(parent) = node_mut(tree, parents) else {
            return false;
        };
        let done = match (parent, last) {
            (Value::Object(map), Segment::Map { key }) => map.remove(key).is_some(),
            (Value::Array(items), Segment::Seq { index }) if *index < items.len() => {
                items.remove(*index);
                let gone = self.items.entry(parent_path.clone()).or_default();
                let original = original_index(*index, gone);
                gone.push(original);
                gone.sort_unstable();
                true
            }
            _ => false,
        };
        if done {
            self.paths.push(here);
        }
        done
    }
}

/// The index in the list as sent of the `current`-th remaining item.
fn original_index(current: usize, gone: &[usize]) -> usize {
    let mut index = current;
    for g in gone {
        if *g <= index {
            index += 1;
        }
    }
    index
}

/// Values tried in place of a removed bad value: one of them fits most
/// field types (text, numbers, amounts, dates, instants, ids, flags, lists,
/// objects, optional values); an enum's own variants are tried first.
const STAND_INS: [&str; 11] = [
    "null",
    "\"0\"",
    "0",
    "\"2027-01-31\"",
    "\"2027-01-01T09:00:00Z\"",
    "\"00000000-0000-0000-0000-000000000000\"",
    "\"GB-CHC-1000000\"",
    "\"x\"",
    "false",
    "[]",
    "{}",
];

/// Puts a value that deserialises in the removed field `name` of the
/// struct at `segments`; false when none is found (the struct is then
/// given up on, as before).
fn stand_in<T: DeserializeOwned>(
    tree: &mut Value,
    segments: &[Segment],
    name: &str,
    removed_message: &str,
) -> bool {
    let here = path_text(segments.iter());
    let variants = removed_message
        .split_once("expected one of ")
        .or_else(|| removed_message.split_once("expected "))
        .map(|(_, list)| {
            list.split('`')
                .skip(1)
                .step_by(2)
                .map(|v| Value::String(v.to_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let candidates = variants.into_iter().chain(
        STAND_INS
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok()),
    );
    for candidate in candidates {
        let mut probe = tree.clone();
        let Some(Value::Object(map)) = node_mut(&mut probe, segments) else {
            return false;
        };
        map.insert(name.to_owned(), candidate);
        let fits = match serde_path_to_error::deserialize::<_, T>(&probe) {
            Ok(_) => true,
            Err(error) => {
                let at = path_text(error.path().iter());
                let message = error.into_inner().to_string();
                // Fits when serde now stops somewhere else, or at this
                // struct for another missing field.
                !(at_field(&at, &here, name)
                    || (at == here && missing_field(&message) == Some(name)))
            }
        };
        if fits {
            *tree = probe;
            return true;
        }
    }
    false
}

/// Whether the error path `at` is the field `name` of the struct at
/// `here`, or inside it.
fn at_field(at: &str, here: &str, name: &str) -> bool {
    let field = join(here, name);
    at == field || at.starts_with(&format!("{field}.")) || at.starts_with(&format!("{field}["))
}

fn node_mut<'a>(tree: &'a mut Value, segments: &[Segment]) -> Option<&'a mut Value> {
    let mut node = tree;
    for segment in segments {
        node = match (node, segment) {
            (Value::Object(map), Segment::Map { key }) => map.get_mut(key)?,
            (Value::Array(items), Segment::Seq { index }) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

fn node<'a>(tree: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    let mut node = tree;
    for segment in segments {
        node = match (node, segment) {
            (Value::Object(map), Segment::Map { key }) => map.get(key)?,
            (Value::Array(items), Segment::Seq { index }) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

/// The name a person would use for the value at `segments`: its key, or
/// its list's key for an item.
fn last_name(segments: &[Segment]) -> &str {
    segments
        .iter()
        .rev()
        .find_map(|s| match s {
            Segment::Map { key } => Some(key.as_str()),
            _ => None,
        })
        .unwrap_or("the body")
}

/// `; got "07/12/2026"` for a string value, so the client sees what it sent.
fn got(tree: &Value, segments: &[Segment]) -> String {
    match node(tree, segments) {
        Some(Value::String(text)) if text.chars().count() <= 60 => format!("; got \"{text}\""),
        _ => String::new(),
    }
}

/// chrono's parse errors say what went wrong inside the text ("premature
/// end of input"), not what was expected.
const CHRONO_MESSAGES: [&str; 7] = [
    "premature end of input",
    "input contains invalid characters",
    "input is out of range",
    "trailing input",
    "input is not enough for unique date and time",
    "no possible date and time matching input",
    "bad or unsupported format string",
];

/// A date: a calendar day with no time.
pub const DATE_EXPECTED: &str = "a date such as 2027-01-31";
/// An instant: a date and time in UTC.
pub const INSTANT_EXPECTED: &str = "an instant such as 2027-01-01T09:00:00Z";

/// For a chrono error, whether the field takes a date or an instant: the
/// field is tried with a valid one of each and the one that passes says.
fn date_or_instant<T: DeserializeOwned>(
    tree: &Value,
    segments: &[Segment],
    message: &str,
) -> Option<&'static str> {
    if segments.is_empty() || !CHRONO_MESSAGES.iter().any(|m| message.contains(m)) {
        return None;
    }
    let fits = |example: &str| {
        let mut probe = tree.clone();
        let Some(slot) = node_mut(&mut probe, segments) else {
            return false;
        };
        *slot = Value::String(example.to_owned());
        match serde_path_to_error::deserialize::<_, T>(&probe) {
            Ok(_) => true,
            Err(error) => path_text(error.path().iter()) != path_text(segments.iter()),
        }
    };
    if fits("2027-01-31") {
        Some(DATE_EXPECTED)
    } else if fits("2027-01-01T09:00:00Z") {
        Some(INSTANT_EXPECTED)
    } else {
        Some("a date such as 2027-01-31 or an instant such as 2027-01-01T09:00:00Z")
    }
}

/// A path as text, to compare two (serde_path_to_error's segments have no `==`).
fn path_text<'a>(segments: impl Iterator<Item = &'a Segment>) -> String {
    let mut text = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            Segment::Map { key } => text = join(&text, key),
            Segment::Enum { variant } => text = join(&text, variant),
            Segment::Unknown => text = join(&text, "?"),
        }
    }
    text
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name)
}

/// Rewrites a serde message about the value named `name` in plain words.
///
/// Messages that are already sentences (the domain's own, such as "an
/// amount has at most two decimal places") pass through unchanged.
pub fn humanise(name: &str, message: &str) -> String {
    if let Some(missing) = missing_field(message) {
        return format!("{missing} is required");
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known = expected
            .trim_start_matches(',')
            .trim()
            .strip_prefix("expected ")
            .map(listed);
        return match known {
            Some(known) => format!("{field} is not a field here; the fields are: {known}"),
            None => format!("{field} is not a field here"),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let choices = expected
            .trim_start_matches(',')
            .trim()
            .strip_prefix("expected ")
            .map_or_else(String::new, listed);
        return format!("{name} must be one of: {choices}; got \"{value}\"");
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            return format!(
                "{name} must be {}; got {}",
                expected_words(expected),
                found_words(found)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!(
            "{name} must be {}; got {found} items",
            expected_words(expected)
        );
    }
    if message.contains("UUID") || message.contains("urn:uuid") {
        return format!("{name} must be an id such as 0192f7a0-6d2b-7c3e-9a41-5b1f0c2d3e4f");
    }
    if CHRONO_MESSAGES.iter().any(|m| message.contains(m)) {
        return format!("{name} must be {DATE_EXPECTED} or {INSTANT_EXPECTED}");
    }
    message.to_owned()
}

/// "one of `a`, `b`" or "`a` or `b`" → "a, b".
fn listed(expected: &str) -> String {
    expected
        .strip_prefix("one of ")
        .unwrap_or(expected)
        .replace(" or ", ", ")
        .replace('`', "")
}

/// serde's name for what it wanted, as a person would say it.
fn expected_words(expected: &str) -> String {
    let words = match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a string" | "a borrowed string" => "text in quotes",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        "a map" => "an object",
        "unit" => "null",
        "a UUID string" => "an id such as 0192f7a0-6d2b-7c3e-9a41-5b1f0c2d3e4f",
        other if other.starts_with("struct ") || other.starts_with("internally tagged enum") => {
            "an object"
        }
        other if other.starts_with("enum ") => "one of the listed values",
        other => return other.replace('`', ""),
    };
    words.to_owned()
}

/// serde's description of what it found ("integer `5`", "string \"x\"").
fn found_words(found: &str) -> String {
    let words = match found {
        "null" | "unit value" => "null",
        "map" => "an object",
        "sequence" => "a list",
        other => {
            for kind in ["integer ", "floating point ", "boolean "] {
                if let Some(value) = other.strip_prefix(kind) {
                    return value.replace('`', "");
                }
            }
            if let Some(value) = other.strip_prefix("string ") {
                return value.to_owned();
            }
            return other.replace('`', "");
        }
    };
    words.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Funder {
        name: String,
        share: u8,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        count: u32,
        due_on: chrono::NaiveDate,
        opens_at: Option<chrono::DateTime<chrono::Utc>>,
        funders: Vec<Funder>,
        kind: Option<Kind>,
        title: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Award,
        Reject,
    }

    fn errors(value: Value) -> Vec<(String, String)> {
        all_field_errors::<Body>(&value)
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn every_bad_value_is_named_with_its_path_as_sent() {
        let found = errors(json!({
            "count": "many",
            "due_on": "07/12/2026",
            "opens_at": "2027-01-01",
            "funders": [
                {"name": "A", "share": 300},
                {"name": 5, "share": 1},
                {"name": "C", "share": -1, "colour": "red"}
            ],
            "kind": "maybe"
        }));
        let mut fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "count",
                "due_on",
                "funders[0].share",
                "funders[1].name",
                "funders[2].colour",
                "funders[2].share",
                "kind",
                "opens_at",
                "title",
            ],
            "{found:?}"
        );
        let message = |field: &str| {
            found
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, m)| m.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            message("due_on"),
            "due_on must be a date such as 2027-01-31; got \"07/12/2026\""
        );
        assert_eq!(
            message("opens_at"),
            "opens_at must be an instant such as 2027-01-01T09:00:00Z; got \"2027-01-01\""
        );
        assert_eq!(
            message("kind"),
            "kind must be one of: award, reject; got \"maybe\""
        );
        assert_eq!(
            message("funders[0].share"),
            "share must be a whole number from 0 to 255; got 300"
        );
        assert_eq!(message("title"), "title is required");
        assert_eq!(
            message("funders[2].colour"),
            "colour is not a field here; the fields are: name, share"
        );
        for (_, m) in &found {
            assert!(
                !m.contains('`') && !m.contains("u8") && !m.contains("u32"),
                "{m}"
            );
        }
    }

    use validator::Validate;

    #[derive(Debug, serde::Serialize, Validate)]
    struct Line {
        #[validate(length(max = 3, message = "at most 3 characters"))]
        note: Option<String>,
    }

    #[derive(Debug, Validate)]
    struct Batch {
        #[validate(length(min = 1, max = 2, message = "send 1 or 2 lines"))]
        #[validate(nested)]
        lines: Vec<Line>,
    }

    #[test]
    fn validator_rules_come_back_as_the_same_field_list() {
        let line = |note: &str| Line {
            note: Some(note.to_owned()),
        };
        assert!(
            validated(Batch {
                lines: vec![line("ok")]
            })
            .is_ok()
        );
        let Err(ApiError::Unprocessable { errors, .. }) = validated(Batch {
            lines: vec![line("fine"), line("too long")],
        }) else {
            panic!("expected a 422");
        };
        let found: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("lines[0].note", "at most 3 characters"),
                ("lines[1].note", "at most 3 characters")
            ]
        );
        let Err(ApiError::Unprocessable { errors, detail }) = validated(Batch { lines: vec![] })
        else {
            panic!("expected a 422");
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(detail, "lines is invalid: send 1 or 2 lines");
    }

    #[test]
    fn a_body_that_is_not_an_object_is_one_error_on_the_body() {
        let found = errors(json!("text"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "body");
        assert_eq!(found[0].1, "the body must be an object; got \"text\"");
    }
}
