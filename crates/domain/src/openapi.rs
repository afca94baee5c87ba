//! OpenAPI schemas for the domain's value types (feature `openapi`), so the
//! service's API document describes money, identifiers and codes exactly as
//! they are parsed here.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::grantee::Postcode;
use crate::money::{Money, MoneyDelta};
use crate::org_id::OrgId;
use crate::reference::{AwardReference, FundCode};
use crate::user::Email;

fn string(pattern: Option<&str>, example: &str, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(pattern)
        .examples([serde_json::Value::String(example.to_owned())])
        .description(Some(description))
        .into()
}

pub(crate) fn uuid_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .description(Some("A UUID v7 identifier."))
        .into()
}

pub(crate) fn text_schema(max: usize) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .into()
}

macro_rules! string_schema {
    ($ty:ty, $pattern:expr, $example:literal, $description:literal) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                string($pattern, $example, $description)
            }
        }
        impl ToSchema for $ty {}
    };
}

string_schema!(
    Money,
    Some(r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$"),
    "2500.00",
    "An amount in pounds sterling as a string with at most 2 decimal places; never a JSON number."
);
string_schema!(
    MoneyDelta,
    Some(r"^[-+]?(0|[1-9][0-9]*)(\.[0-9]{1,2})?$"),
    "-250.00",
    "A signed change of an amount in pounds sterling, as a string."
);
impl PartialSchema for OrgId {
    fn schema() -> RefOr<Schema> {
        let schemes: Vec<String> = crate::org_id::OrgIdScheme::ALL
            .iter()
            .map(|s| format!("{}-{}", s.prefix(), s.number_pattern()))
            .collect();
        let pattern = format!("^({})$", schemes.join("|"));
        let prefixes: Vec<&str> = crate::org_id::OrgIdScheme::ALL
            .iter()
            .map(|s| s.prefix())
            .collect();
        let description = format!(
            "An org-id.guide organisation identifier, in one of the registers {}.",
            prefixes.join(", ")
        );
        string(Some(&pattern), "GB-CHC-1234567", &description)
    }
}
impl ToSchema for OrgId {}

string_schema!(
    FundCode,
    Some(r"^[A-Z][A-Z0-9]{1,9}$"),
    "LCF",
    "A fund's short code, used in award references."
);
string_schema!(
    AwardReference,
    Some(r"^[A-Z][A-Z0-9]{1,9}-R[0-9]+-[0-9]{6}$"),
    "LCF-R1-000123",
    "An award's human reference: fund code, round number and sequence."
);
string_schema!(Postcode, None, "M14 4PW", "A UK postcode.");
string_schema!(Email, None, "admin@example.org", "An email address.");

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use crate::award::AwardStatus;
    use crate::commitment::CommitmentStatus;

    /// Regression: the documented values are the wire strings, which the
    /// derive used to get wrong ("Offered" for "offered").
    #[test]
    fn string_enums_document_their_wire_strings() {
        let schema = serde_json::to_value(AwardStatus::schema()).unwrap_or_default();
        let values: Vec<&str> = AwardStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(values));
        assert_eq!(schema["enum"][0], "offered");
        let schema = serde_json::to_value(CommitmentStatus::schema()).unwrap_or_default();
        assert!(
            schema["enum"]
                .as_array()
                .is_some_and(|v| v.contains(&serde_json::json!("in_progress"))),
            "{schema}"
        );
    }
}
