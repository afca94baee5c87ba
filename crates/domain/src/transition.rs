//! The error every state machine returns for a move it does not allow.

use core::fmt;

/// A state change that is not allowed from the current state, e.g.
/// "cannot accept an award that is declined".
///
/// ```
/// use grantledger_domain::award::AwardStatus;
///
/// let err = AwardStatus::Declined.accept().unwrap_err();
/// assert_eq!(err.to_string(), "cannot accept an award that is declined");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct TransitionError {
    /// The kind of thing, e.g. "award".
    pub entity: &'static str,
    /// The attempted action, e.g. "accept".
    pub action: &'static str,
    /// The current state's wire name, e.g. "declined".
    pub from: &'static str,
}

impl TransitionError {
    /// Builds the error.
    #[must_use]
    pub const fn new(entity: &'static str, action: &'static str, from: &'static str) -> Self {
        TransitionError {
            entity,
            action,
            from,
        }
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let article = match self.entity.bytes().next() {
            Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
            _ => "a",
        };
        // Wire names use underscores; people read spaces.
        let from = self.from.replace('_', " ");
        write!(
            f,
            "cannot {} {article} {} that is {from}",
            self.action, self.entity
        )
    }
}

/// A string that is not one of an enum's wire names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a valid {kind}; expected one of: {expected}")]
pub struct ParseEnumError {
    /// What was being parsed, e.g. "region".
    pub kind: &'static str,
    /// The text given.
    pub value: String,
    /// The accepted values, comma separated.
    pub expected: String,
}

impl ParseEnumError {
    pub(crate) fn new(kind: &'static str, value: &str, expected: String) -> Self {
        ParseEnumError {
            kind,
            value: value.to_owned(),
            expected,
        }
    }
}

/// Shared helpers for table-driven transition tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::TransitionError;
    use std::collections::BTreeSet;

    /// A named state-machine move.
    pub(crate) type Action<S> = fn(S) -> Result<S, TransitionError>;

    /// Runs every action from every state and checks the allowed moves are
    /// exactly `allowed`, and every refusal names the entity, action and state.
    pub(crate) fn check_table<S: Copy + Ord + core::fmt::Debug>(
        entity: &str,
        states: &[S],
        name: impl Fn(S) -> &'static str,
        actions: &[(&str, Action<S>)],
        allowed: &[(S, &str, S)],
    ) {
        let expected: BTreeSet<(S, &str, S)> = allowed.iter().copied().collect();
        let mut actual = BTreeSet::new();
        for &from in states {
            for &(action, f) in actions {
                match f(from) {
                    Ok(to) => {
                        actual.insert((from, action, to));
                    }
                    Err(e) => {
                        assert_eq!((e.entity, e.action, e.from), (entity, action, name(from)));
                        assert!(
                            e.to_string().starts_with(&format!("cannot {action} ")),
                            "{e}"
                        );
                    }
                }
            }
        }
        assert_eq!(actual, expected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_naturally() {
        assert_eq!(
            TransitionError::new("application", "submit", "under_review").to_string(),
            "cannot submit an application that is under review"
        );
        assert_eq!(
            TransitionError::new("payment run", "confirm", "cancelled").to_string(),
            "cannot confirm a payment run that is cancelled"
        );
    }
}
