//! Every string the portal shows, from one Fluent catalogue per language
//! (`locales/<lang>/portal.ftl`). Templates never hold words of their
//! own, so a Welsh catalogue can be added without touching them.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::{LanguageIdentifier, langid};

/// The English catalogue, as written.
pub const ENGLISH_SOURCE: &str = include_str!("../../locales/en/portal.ftl");

/// One language's messages.
pub struct Messages {
    bundle: FluentBundle<FluentResource>,
    lang: LanguageIdentifier,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

/// The catalogue could not be read: each message says where.
#[derive(Debug, thiserror::Error)]
#[error("the message catalogue has errors: {0}")]
pub struct CatalogueError(String);

impl Messages {
    /// Reads a catalogue; any syntax error or repeated key is refused.
    pub fn parse(lang: LanguageIdentifier, source: &str) -> Result<Messages, CatalogueError> {
        let resource = FluentResource::try_new(source.to_owned())
            .map_err(|(_, errors)| CatalogueError(format!("{errors:?}")))?;
        let mut bundle = FluentBundle::new_concurrent(vec![lang.clone()]);
        // Unicode isolation marks would land inside HTML attributes and
        // test expectations; our arguments are never right-to-left.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .map_err(|errors| CatalogueError(format!("{errors:?}")))?;
        Ok(Messages { bundle, lang })
    }

    /// The language's tag, for `<html lang>`.
    #[must_use]
    pub fn lang(&self) -> String {
        self.lang.to_string()
    }

    /// Whether the catalogue has `key`.
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    /// The message `key`. A missing key shows as itself (and a test keeps
    /// every key the templates use in the catalogue).
    #[must_use]
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with named arguments.
    #[must_use]
    pub fn with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        self.format(key, Some(&fluent_args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, "a portal message is missing from the catalogue");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "a portal message did not format cleanly");
        }
        text.into_owned()
    }
}

static ENGLISH: LazyLock<Option<Messages>> =
    LazyLock::new(|| match Messages::parse(langid!("en-GB"), ENGLISH_SOURCE) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!(error = %e, "the English catalogue does not parse");
            None
        }
    });

static EMPTY: LazyLock<Messages> = LazyLock::new(|| Messages {
    bundle: FluentBundle::new_concurrent(vec![langid!("en-GB")]),
    lang: langid!("en-GB"),
});

/// The English messages (the only language so far).
#[must_use]
pub fn english() -> &'static Messages {
    ENGLISH.as_ref().unwrap_or(&EMPTY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_english_catalogue_parses() {
        assert!(Messages::parse(langid!("en-GB"), ENGLISH_SOURCE).is_ok());
    }

    #[test]
    fn every_key_the_templates_and_code_use_is_in_the_catalogue() {
        let m = english();
        let mut missing = Vec::new();
        let mut seen = 0;
        for source in crate::portal::SOURCES_USING_MESSAGES {
            let uses = source
                .match_indices(".t(\"")
                .map(|(i, _)| i + 4)
                .chain(source.match_indices(".with(\"").map(|(i, _)| i + 7));
            for start in uses {
                let rest = &source[start..];
                let key: String = rest.chars().take_while(|c| *c != '"').collect();
                seen += 1;
                if !m.has(&key) {
                    missing.push(key);
                }
            }
        }
        assert!(seen > 50, "the scan found only {seen} message uses");
        assert!(missing.is_empty(), "missing from portal.ftl: {missing:?}");
    }

    #[test]
    fn arguments_are_placed_without_isolation_marks() {
        let m = Messages::parse(langid!("en-GB"), "hello = Hello { $name }").unwrap();
        assert_eq!(m.with("hello", &[("name", "Ada")]), "Hello Ada");
        assert_eq!(m.t("absent"), "absent");
    }
}
