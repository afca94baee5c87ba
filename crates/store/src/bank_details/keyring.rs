//! The keys that seal grantees' bank details at rest.
//!
//! Each account is sealed with AES-256-GCM under the *current* key, and the
//! row names that key's id so older rows stay readable after a rotation
//! (their keys are kept as *previous* keys until `bank-details rekey` has
//! re-sealed everything under the current one). The grantee's id and the
//! row's id are bound in as associated data, so a sealed account copied
//! onto another grantee's row fails to open instead of paying the wrong
//! organisation.
//!
//! Fingerprints (for the audit trail, which must never hold the numbers)
//! are an HMAC-SHA256 of the account under a key derived from the current
//! key: equal accounts give equal fingerprints under one key, and nobody
//! without the key can test guesses against them (a plain hash of a sort
//! code and eight digits is broken by trying them all).

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use grantledger_domain::bank::BankAccount;
use grantledger_domain::ids::GranteeId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why keys were refused, or stored details could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// A key that is not 64 hexadecimal digits.
    #[error(
        "bank details key {id:?} must be 64 hexadecimal digits (32 random bytes, e.g. `openssl rand -hex 32`)"
    )]
    BadKey {
        /// The key's id.
        id: String,
    },
    /// An empty key id, or one with characters other than letters, digits, `-`, `_`, `.`.
    #[error("a bank details key id must be 1 to 32 letters, digits, '-', '_' or '.': got {id:?}")]
    BadKeyId {
        /// The id given.
        id: String,
    },
    /// The same id given twice.
    #[error("bank details key id {id:?} is given twice")]
    DuplicateKeyId {
        /// The id.
        id: String,
    },
    /// Stored details name a key that is not configured.
    #[error(
        "bank details are stored under key {id:?}, which is not configured: give it as GRANTLEDGER_BANK_KEY (with GRANTLEDGER_BANK_KEY_ID) or in GRANTLEDGER_BANK_PREVIOUS_KEYS"
    )]
    UnknownKey {
        /// The key id the rows name.
        id: String,
    },
    /// The configured key with this id does not open the stored details.
    #[error(
        "the bank details key configured as {id:?} does not open the bank details stored under that id: it is the wrong key"
    )]
    WrongKey {
        /// The key id.
        id: String,
    },
}

#[derive(Clone)]
struct BankKey {
    id: String,
    cipher: Aes256Gcm,
    fingerprint: Hmac<Sha256>,
}

impl BankKey {
    fn parse(id: &str, hex_key: &str) -> Result<BankKey, KeyringError> {
        let id_ok = (1..=32).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            return Err(KeyringError::BadKeyId { id: id.to_owned() });
        }
        let bad = || KeyringError::BadKey { id: id.to_owned() };
        let bytes = hex::decode(hex_key.trim()).map_err(|_| bad())?;
        if bytes.len() != 32 {
            return Err(bad());
        }
        let key = Key::<Aes256Gcm>::from_slice(&bytes);
        // A separate key for fingerprints, so the encryption key is used for
        // one purpose only.
        let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(&bytes).map_err(|_| bad())?;
        derive.update(b"grantledger bank details fingerprint v1");
        let fingerprint_key = derive.finalize().into_bytes();
        Ok(BankKey {
            id: id.to_owned(),
            cipher: Aes256Gcm::new(key),
            fingerprint: <Hmac<Sha256> as Mac>::new_from_slice(&fingerprint_key)
                .map_err(|_| bad())?,
        })
    }
}

/// The current key and any previous ones. Its `Debug` shows key ids only.
#[derive(Clone)]
pub struct Keyring {
    current: BankKey,
    previous: HashMap<String, BankKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field("previous", &self.previous.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The key the demonstration and the tests use. It is published here, so
/// it protects nothing: `serve` outside `--demo` refuses to start without
/// a key of the operator's own.
pub const DEMO_KEY: &str = "6772616e746c65646765722064656d6f206b65793a206e6f7420736563726574";
/// The id of [`DEMO_KEY`].
pub const DEMO_KEY_ID: &str = "demo";

/// An account sealed for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The key it was sealed under.
    pub key_id: String,
    /// Nonce and ciphertext, hexadecimal.
    pub sealed: String,
}

fn aad(grantee: GranteeId, row: uuid::Uuid) -> String {
    format!("grantledger/bank_details/v1|{grantee}|{row}")
}

impl Keyring {
    /// A keyring from the current key (id and 64 hex digits) and previous
    /// `(id, key)` pairs.
    ///
    /// # Errors
    /// A malformed key or id, or an id given twice.
    pub fn new(
        current_id: &str,
        current_key: &str,
        previous: &[(String, String)],
    ) -> Result<Keyring, KeyringError> {
        let current = BankKey::parse(current_id, current_key)?;
        let mut keys = HashMap::new();
        for (id, key) in previous {
            if id == current_id || keys.contains_key(id) {
                return Err(KeyringError::DuplicateKeyId { id: id.clone() });
            }
            keys.insert(id.clone(), BankKey::parse(id, key)?);
        }
        Ok(Keyring {
            current,
            previous: keys,
        })
    }

    /// The keyring of the demonstration and the tests ([`DEMO_KEY`]).
    #[must_use]
    #[expect(clippy::expect_used, reason = "a constant, checked by a unit test")]
    pub fn demo() -> Keyring {
        Keyring::new(DEMO_KEY_ID, DEMO_KEY, &[]).expect("the demo key is well formed")
    }

    /// The id of the key new details are sealed under.
    #[must_use]
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn key(&self, id: &str) -> Option<&BankKey> {
        if id == self.current.id {
            Some(&self.current)
        } else {
            self.previous.get(id)
        }
    }

    /// Seals `account` for the row `row` of `grantee`, under the current key.
    ///
    /// # Errors
    /// Only if the cipher fails, which it does not for inputs this size.
    pub fn seal(
        &self,
        grantee: GranteeId,
        row: uuid::Uuid,
        account: &BankAccount,
    ) -> Result<Sealed, KeyringError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let plain = account.canonical();
        let aad = aad(grantee, row);
        let wrong = || KeyringError::WrongKey {
            id: self.current.id.clone(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| wrong())?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: self.current.id.clone(),
            sealed: hex::encode(bytes),
        })
    }

    /// Opens what [`Keyring::seal`] sealed for the same grantee and row.
    ///
    /// # Errors
    /// [`KeyringError::UnknownKey`] when the key is not configured,
    /// [`KeyringError::WrongKey`] when it does not open the row (a wrong
    /// key, or a row moved or altered).
    pub fn open(
        &self,
        grantee: GranteeId,
        row: uuid::Uuid,
        sealed: &Sealed,
    ) -> Result<BankAccount, KeyringError> {
        let key = self
            .key(&sealed.key_id)
            .ok_or_else(|| KeyringError::UnknownKey {
                id: sealed.key_id.clone(),
            })?;
        let wrong = || KeyringError::WrongKey {
            id: sealed.key_id.clone(),
        };
        let bytes = hex::decode(&sealed.sealed).map_err(|_| wrong())?;
        if bytes.len() < 12 {
            return Err(wrong());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let aad = aad(grantee, row);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| wrong())?;
        let text = String::from_utf8(plain).map_err(|_| wrong())?;
        BankAccount::from_canonical(&text).map_err(|_| wrong())
    }

    /// The account's fingerprint under the current key: `key id:` and 16
    /// bytes of HMAC, hexadecimal. Never the numbers.
    #[must_use]
    pub fn fingerprint(&self, account: &BankAccount) -> String {
        let mut mac = self.current.fingerprint.clone();
        mac.update(account.canonical().as_bytes());
        let bytes = mac.finalize().into_bytes();
        let short = bytes.get(..16).unwrap_or(&bytes);
        format!("{}:{}", self.current.id, hex::encode(short))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(number: &str) -> BankAccount {
        BankAccount::parse("Tuesday Lunch Club", "12-34-56", number, "").unwrap()
    }

    const OTHER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn sealed_details_open_for_their_row_only() {
        let ring = Keyring::demo();
        let (grantee, row) = (GranteeId::new(), uuid::Uuid::now_v7());
        let sealed = ring.seal(grantee, row, &account("12345678")).unwrap();
        assert!(!sealed.sealed.contains("12345678"));
        assert_eq!(
            ring.open(grantee, row, &sealed).unwrap(),
            account("12345678")
        );
        assert_eq!(
            ring.open(GranteeId::new(), row, &sealed),
            Err(KeyringError::WrongKey { id: "demo".into() })
        );
    }

    #[test]
    fn rows_under_a_previous_key_open_after_rotation_and_a_wrong_key_is_named() {
        let old = Keyring::demo();
        let (grantee, row) = (GranteeId::new(), uuid::Uuid::now_v7());
        let sealed = old.seal(grantee, row, &account("12345678")).unwrap();
        let rotated =
            Keyring::new("k2", OTHER_KEY, &[(DEMO_KEY_ID.into(), DEMO_KEY.into())]).unwrap();
        assert_eq!(
            rotated.open(grantee, row, &sealed).unwrap(),
            account("12345678")
        );
        assert_eq!(
            rotated
                .seal(grantee, row, &account("12345678"))
                .unwrap()
                .key_id,
            "k2"
        );
        let forgot = Keyring::new("k2", OTHER_KEY, &[]).unwrap();
        assert_eq!(
            forgot.open(grantee, row, &sealed),
            Err(KeyringError::UnknownKey { id: "demo".into() })
        );
        let wrong = Keyring::new("demo", OTHER_KEY, &[]).unwrap();
        assert_eq!(
            wrong.open(grantee, row, &sealed),
            Err(KeyringError::WrongKey { id: "demo".into() })
        );
    }

    #[test]
    fn fingerprints_tell_accounts_apart_without_the_numbers() {
        let ring = Keyring::demo();
        let a = ring.fingerprint(&account("12345678"));
        assert_eq!(a, ring.fingerprint(&account("12345678")));
        assert_ne!(a, ring.fingerprint(&account("12345679")));
        assert!(a.starts_with("demo:") && !a.contains("12345678"));
    }

    #[test]
    fn malformed_keys_are_refused_by_name() {
        assert_eq!(
            Keyring::new("k1", "abc", &[]).unwrap_err(),
            KeyringError::BadKey { id: "k1".into() }
        );
        assert!(matches!(
            Keyring::new("", DEMO_KEY, &[]),
            Err(KeyringError::BadKeyId { .. })
        ));
        assert!(matches!(
            Keyring::new("k1", DEMO_KEY, &[("k1".into(), OTHER_KEY.into())]),
            Err(KeyringError::DuplicateKeyId { .. })
        ));
        assert!(format!("{:?}", Keyring::demo()).contains("demo"));
        assert!(!format!("{:?}", Keyring::demo()).contains(DEMO_KEY));
    }
}
