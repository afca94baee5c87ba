//! What a document is called and how its content is identified: a display
//! name that can do no harm, and the SHA-256 digest that addresses content.

use core::fmt;

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The name a file had on the uploader's computer, kept for display only:
/// any directory part removed, control characters dropped, trimmed, at most
/// [`FileName::MAX_CHARS`] characters, and never empty (`document`).
/// Nothing is decided from it — not the type, not where it is stored.
///
/// ```
/// use grantledger_domain::document::FileName;
/// assert_eq!(FileName::new("C:\\Users\\me\\Accounts 2025.pdf").as_str(), "Accounts 2025.pdf");
/// assert_eq!(FileName::new("../../etc/passwd").as_str(), "passwd");
/// assert_eq!(FileName::new(" \u{7}").as_str(), "document");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct FileName(String);

impl FileName {
    /// The most characters a name keeps.
    pub const MAX_CHARS: usize = 200;
    /// The name given when nothing usable is left.
    pub const FALLBACK: &'static str = "document";

    /// Makes a display name from whatever the client sent.
    #[must_use]
    pub fn new(raw: &str) -> FileName {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let clean: String = last.chars().filter(|c| !c.is_control()).collect();
        let kept: String = clean.trim().chars().take(Self::MAX_CHARS).collect();
        let kept = kept.trim();
        if kept.is_empty() || kept == "." || kept == ".." {
            FileName(Self::FALLBACK.to_owned())
        } else {
            FileName(kept.to_owned())
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value of a `Content-Disposition: attachment` header for this
    /// name: a plain `filename` with anything outside printable ASCII (and
    /// quotes, backslashes) replaced by `_`, and, when the name is not plain
    /// ASCII, the exact name as RFC 5987 `filename*`.
    ///
    /// ```
    /// use grantledger_domain::document::FileName;
    /// assert_eq!(FileName::new("a.pdf").content_disposition(), "attachment; filename=\"a.pdf\"");
    /// assert_eq!(
    ///     FileName::new("Café \"x\".pdf").content_disposition(),
    ///     "attachment; filename=\"Caf_ _x_.pdf\"; filename*=UTF-8''Caf%C3%A9%20%22x%22.pdf"
    /// );
    /// ```
    #[must_use]
    pub fn content_disposition(&self) -> String {
        let plain = |c: char| c.is_ascii_graphic() || c == ' ';
        let safe: String = self
            .0
            .chars()
            .map(|c| {
                if plain(c) && c != '"' && c != '\\' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if safe == self.0 {
            return format!("attachment; filename=\"{safe}\"");
        }
        let mut encoded = String::new();
        for byte in self.0.bytes() {
            let c = char::from(byte);
            if byte.is_ascii_alphanumeric() || "!#$&+-.^_`|~".contains(c) {
                encoded.push(c);
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        format!("attachment; filename=\"{safe}\"; filename*=UTF-8''{encoded}")
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SHA-256 digest: the address of a document's content. Two uploads of
/// the same bytes have the same digest and are stored once.
///
/// ```
/// use grantledger_domain::document::Sha256;
/// let d = Sha256::of(b"abc");
/// assert_eq!(d.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// assert_eq!(Sha256::parse(&d.to_hex()).unwrap(), d);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// The digest of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Sha256 {
        Sha256(sha2::Sha256::digest(bytes).into())
    }

    /// Wraps a digest computed elsewhere (incrementally, as a file streams in).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Sha256 {
        Sha256(bytes)
    }

    /// Reads 64 hexadecimal digits.
    ///
    /// # Errors
    /// [`DigestError`] for anything else.
    pub fn parse(hex_digits: &str) -> Result<Sha256, DigestError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_digits, &mut out).map_err(|_| DigestError {
            got: hex_digits.chars().take(80).collect(),
        })?;
        Ok(Sha256(out))
    }

    /// The digest as 64 lower-case hexadecimal digits, as stored.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Sha256::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Sha256 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-f]{64}$"))
            .description(Some("SHA-256 of the content, 64 lower-case hex digits"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Sha256 {}

/// Text that is not a SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{got}\" is not a SHA-256 digest (64 hexadecimal digits)")]
pub struct DigestError {
    /// The text given (at most 80 characters of it).
    pub got: String,
}
