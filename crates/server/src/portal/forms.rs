//! What a form reports back: the same field errors the JSON API gives in
//! its 422 `errors` list, shown as a GOV.UK error summary linking to each
//! field and a message beside it. Form fields are named as the API's JSON
//! fields, so one error serves both.

use crate::error::{ApiError, FieldError};
use crate::portal::page::PortalError;

/// Errors to show on a form; empty when there are none.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// Each error, in the order the form shows its fields. An empty
    /// `field` is about the whole form.
    pub items: Vec<FieldError>,
}

impl FormErrors {
    /// One error about a field (or, with `""`, the whole form).
    #[must_use]
    pub fn one(field: &str, message: impl Into<String>) -> FormErrors {
        FormErrors {
            items: vec![FieldError::new(field, message)],
        }
    }

    /// Adds an error.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.items.push(FieldError::new(field, message));
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether `field` has an error.
    #[must_use]
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// The first error about `field`.
    #[must_use]
    pub fn get(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The ids an input's `aria-describedby` names: its hint and error.
    #[must_use]
    pub fn described_by(&self, field: &str, hint: &str) -> String {
        let mut ids = Vec::new();
        if !hint.is_empty() {
            ids.push(format!("{field}-hint"));
        }
        if self.has(field) {
            ids.push(format!("{field}-error"));
        }
        ids.join(" ")
    }

    /// What an operation refused, as errors to show on the form: invalid
    /// values by field, a conflict (a closed round, a changed state) about
    /// the whole form. Anything else is not the form's to show.
    pub fn from_api(error: ApiError) -> Result<FormErrors, PortalError> {
        match error {
            ApiError::Unprocessable { detail, errors } => {
                let items = if errors.is_empty() {
                    vec![FieldError::new("", detail)]
                } else {
                    errors
                };
                Ok(FormErrors { items })
            }
            ApiError::Conflict { detail, .. } | ApiError::PreconditionFailed(detail) => {
                Ok(FormErrors::one("", detail))
            }
            other => Err(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_values_stay_with_their_fields_and_conflicts_with_the_form() {
        let e = FormErrors::from_api(ApiError::Unprocessable {
            detail: "x".into(),
            errors: vec![FieldError::new("amount_requested", "too much")],
        })
        .unwrap();
        assert_eq!(e.get("amount_requested"), Some("too much"));
        assert_eq!(
            e.described_by("amount_requested", "hint"),
            "amount_requested-hint amount_requested-error"
        );
        let e = FormErrors::from_api(ApiError::conflict("the round is closed")).unwrap();
        assert_eq!(e.get(""), Some("the round is closed"));
        assert!(FormErrors::from_api(ApiError::NotFound { entity: "award" }).is_err());
    }
}
