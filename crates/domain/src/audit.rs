//! The audit trail's hash chain: the canonical encoding of an event, the
//! chaining rule, and verification.
//!
//! Every state change appends an [`AuditEvent`]. A sealer later appends each
//! event to the chain as a [`ChainLink`] whose hash is
//!
//! ```text
//! hash(n) = SHA-256( prev_hash(n) ‖ canonical(event, position n, sealed_at) )
//! prev_hash(1) = 32 zero bytes
//! ```
//!
//! where `prev_hash(n)` is the raw 32 bytes of `hash(n − 1)`. Changing any
//! field of a sealed event, or the chain position or sealing time of its
//! link, changes its hash, and so breaks every later link.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use grantledger_domain::audit::{AuditEvent, Verifier, seal};
//!
//! let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
//! let event = |seq: i64| AuditEvent {
//!     seq,
//!     id: uuid::Uuid::now_v7(),
//!     occurred_at: at,
//!     actor_id: None,
//!     actor: "cli".to_owned(),
//!     action: "fund.created".to_owned(),
//!     entity_type: "fund".to_owned(),
//!     entity_id: uuid::Uuid::now_v7(),
//!     fund_id: None,
//!     before: None,
//!     after: Some(r#"{"budget":"4000000.00"}"#.to_owned()),
//! };
//! let (first, second) = (event(1), event(2));
//! let one = seal(None, &first, at);
//! let two = seal(Some(&one), &second, at);
//! assert_eq!(two.prev_hash, one.hash);
//!
//! let mut verifier = Verifier::new(true);
//! verifier.check(&one, Some(&first));
//! verifier.check(&two, Some(&second));
//! assert!(verifier.finish().ok);
//!
//! // Edit the event after sealing: its link no longer matches.
//! let mut edited = second.clone();
//! edited.after = Some(r#"{"budget":"5000000.00"}"#.to_owned());
//! let mut verifier = Verifier::new(true);
//! verifier.check(&one, Some(&first));
//! verifier.check(&two, Some(&edited));
//! let report = verifier.finish();
//! assert!(!report.ok);
//! assert_eq!(report.first_fault.map(|f| f.seq), Some(2));
//! ```

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version tag that starts every canonical encoding; a future encoding
/// would use a new tag, so old chains stay verifiable.
pub const ENCODING_TAG: &str = "grantledger.audit.v1";

/// The hash before the first link: 32 zero bytes, as hex.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How long after it occurred an event may still be sealed out of sequence
/// order (its transaction committed after a later-numbered one was sealed).
/// An event sealed out of order any later than this was not written by a
/// transaction of grantledger's: it was inserted afterwards.
pub const MAX_LATE_SEAL: Duration = Duration::minutes(10);

/// Tolerated clock difference between server processes.
pub const CLOCK_SKEW: Duration = Duration::seconds(30);

/// One audit event as stored: who did what to which record, when, with
/// summaries of the record before and after (JSON text, hashed as stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Sequence number, assigned by the database when the event is inserted.
    pub seq: i64,
    /// The event's id.
    pub id: uuid::Uuid,
    /// When the change was made.
    pub occurred_at: DateTime<Utc>,
    /// The user who made it, if a user did.
    pub actor_id: Option<uuid::Uuid>,
    /// A readable name for who made it (an email, a role and id, or "cli").
    pub actor: String,
    /// What was done, as `entity.verb`.
    pub action: String,
    /// The kind of record changed.
    pub entity_type: String,
    /// Its id.
    pub entity_id: uuid::Uuid,
    /// The fund it belongs to, where there is one.
    pub fund_id: Option<uuid::Uuid>,
    /// JSON summary of the record before the change.
    pub before: Option<String>,
    /// JSON summary of the record after the change.
    pub after: Option<String>,
}

/// One link of the chain: which event sits at which position, and the hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// 1, 2, 3, … with no gaps.
    pub position: i64,
    /// The event sealed here.
    pub seq: i64,
    /// The previous link's hash (hex), or [`GENESIS_HASH`] at position 1.
    pub prev_hash: String,
    /// This link's hash (hex).
    pub hash: String,
    /// When the sealer appended it.
    pub sealed_at: DateTime<Utc>,
}

/// An instant as the encoding writes it: UTC, microseconds, `Z`.
#[must_use]
pub fn canonical_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(bytes) => {
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        None => out.extend_from_slice(&u64::MAX.to_be_bytes()),
    }
}

/// The canonical encoding of an event sealed at `position` at `sealed_at`:
/// fourteen fields in a fixed order, each an unsigned 64-bit big-endian
/// length followed by that many bytes of UTF-8, or the length `2^64 − 1` and
/// no bytes for an absent value. The fields are: [`ENCODING_TAG`],
/// position, sealed_at, seq, id, occurred_at, actor_id, actor, action,
/// entity_type, entity_id, fund_id, before, after. Numbers are decimal
/// ASCII, ids lower-case hyphenated UUIDs, instants as [`canonical_time`],
/// and `before`/`after` the stored JSON text byte for byte.
///
/// ```
/// use grantledger_domain::audit::{AuditEvent, canonical};
/// # use chrono::{TimeZone, Utc};
/// # let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
/// # let event = AuditEvent { seq: 7, id: uuid::Uuid::nil(), occurred_at: at, actor_id: None,
/// #     actor: "cli".into(), action: "fund.created".into(), entity_type: "fund".into(),
/// #     entity_id: uuid::Uuid::nil(), fund_id: None, before: None, after: None };
/// let bytes = canonical(&event, 1, at);
/// assert_eq!(&bytes[..8], &20u64.to_be_bytes()); // the tag's length
/// assert_eq!(&bytes[8..28], b"grantledger.audit.v1");
/// ```
#[must_use]
pub fn canonical(event: &AuditEvent, position: i64, sealed_at: DateTime<Utc>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let uuid = |u: &uuid::Uuid| u.hyphenated().to_string();
    field(&mut out, Some(ENCODING_TAG.as_bytes()));
    field(&mut out, Some(position.to_string().as_bytes()));
    field(&mut out, Some(canonical_time(sealed_at).as_bytes()));
    field(&mut out, Some(event.seq.to_string().as_bytes()));
    field(&mut out, Some(uuid(&event.id).as_bytes()));
    field(&mut out, Some(canonical_time(event.occurred_at).as_bytes()));
    field(
        &mut out,
        event
            .actor_id
            .as_ref()
            .map(uuid)
            .as_deref()
            .map(str::as_bytes),
    );
    field(&mut out, Some(event.actor.as_bytes()));
    field(&mut out, Some(event.action.as_bytes()));
    field(&mut out, Some(event.entity_type.as_bytes()));
    field(&mut out, Some(uuid(&event.entity_id).as_bytes()));
    field(
        &mut out,
        event
            .fund_id
            .as_ref()
            .map(uuid)
            .as_deref()
            .map(str::as_bytes),
    );
    field(&mut out, event.before.as_deref().map(str::as_bytes));
    field(&mut out, event.after.as_deref().map(str::as_bytes));
    out
}

/// `SHA-256(prev ‖ canonical)` as hex, where `prev` is the previous link's
/// hash decoded to bytes. A `prev_hash` that is not 64 hex digits is hashed
/// as its text, so the result can never match a correctly computed hash.
#[must_use]
pub fn link_hash(prev_hash: &str, canonical: &[u8]) -> String {
    let mut hasher = Sha256::new();
    match hex::decode(prev_hash) {
        Ok(bytes) if bytes.len() == 32 => hasher.update(&bytes),
        _ => hasher.update(prev_hash.as_bytes()),
    }
    hasher.update(canonical);
    hex::encode(hasher.finalize())
}

/// Seals `event` after `previous` (or first, at position 1).
#[must_use]
pub fn seal(
    previous: Option<&ChainLink>,
    event: &AuditEvent,
    sealed_at: DateTime<Utc>,
) -> ChainLink {
    let (position, prev_hash) = match previous {
        Some(link) => (link.position + 1, link.hash.clone()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let hash = link_hash(&prev_hash, &canonical(event, position, sealed_at));
    ChainLink {
        position,
        seq: event.seq,
        prev_hash,
        hash,
        sealed_at,
    }
}

string_enum! {
    /// What is wrong at the first bad link.
    pub enum FaultKind("audit fault") {
        /// The link's position is not the one after the previous link: a link was removed or inserted.
        PositionGap = "position_gap", "Position gap";
        /// The link's `prev_hash` is not the previous link's hash: the chain was cut or re-linked.
        BrokenLink = "broken_link", "Broken link";
        /// The event a link seals is not in the trail: it was deleted.
        MissingEvent = "missing_event", "Missing event";
        /// The event's contents no longer hash to the link's hash: it was edited after sealing.
        EventAltered = "event_altered", "Event altered";
        /// The link names a different event than the one given with it.
        WrongEvent = "wrong_event", "Wrong event";
        /// A sequence number is missing where the backend never leaves gaps: an event was deleted.
        SequenceGap = "sequence_gap", "Sequence gap";
        /// An event sealed out of sequence order long after it claims to have occurred: it was inserted afterwards.
        LateInsertion = "late_insertion", "Late insertion";
        /// Sealing times go backwards, or an event claims to have occurred after it was sealed.
        TimeTravel = "time_travel", "Time travel";
        /// An event in the trail that the chain does not cover.
        Unsealed = "unsealed", "Unsealed event";
    }
}

/// The first bad link found, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fault {
    /// The chain position where it was found.
    pub position: i64,
    /// The event sequence number concerned.
    pub seq: i64,
    /// What is wrong.
    pub kind: FaultKind,
    /// A sentence naming the problem.
    pub detail: String,
}

/// The end of a verified chain, to be written down and compared later: a
/// chain truncated at its end can only be detected against a head recorded
/// before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Head {
    /// The last position.
    pub position: i64,
    /// The event sealed there.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// The outcome of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// Whether every link checked out.
    pub ok: bool,
    /// Links checked.
    pub links: u64,
    /// The last link, if any.
    pub head: Option<Head>,
    /// The first problem, if any.
    pub first_fault: Option<Fault>,
}

/// Checks links in chain order, one at a time, so a chain of any length is
/// verified in constant memory. Stops recording at the first fault.
#[derive(Debug, Clone)]
pub struct Verifier {
    contiguous_seq: bool,
    previous: Option<ChainLink>,
    highest_seq: i64,
    /// Links that raised the highest sequence number, with when they were
    /// sealed, for the last [`MAX_LATE_SEAL`]: increasing in both.
    recent_highs: VecDeque<(i64, DateTime<Utc>)>,
    /// The highest sequence number sealed longer ago than that: nothing
    /// numbered below it can still be sealed legitimately.
    floor: i64,
    links: u64,
    fault: Option<Fault>,
}

impl Verifier {
    /// A verifier. With `contiguous_seq` (SQLite, whose sequence never skips
    /// a number and whose writers never overlap), events must be sealed in
    /// sequence order 1, 2, 3, … with no number missing; without it
    /// (PostgreSQL, where rolled-back inserts leave gaps and transactions
    /// commit out of order) gaps are allowed and late seals are bounded by
    /// [`MAX_LATE_SEAL`].
    #[must_use]
    pub fn new(contiguous_seq: bool) -> Verifier {
        Verifier {
            contiguous_seq,
            previous: None,
            highest_seq: 0,
            recent_highs: VecDeque::new(),
            floor: 0,
            links: 0,
            fault: None,
        }
    }

    /// Whether a fault has been found.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.fault.is_some()
    }

    fn fail(&mut self, link: &ChainLink, kind: FaultKind, detail: String) {
        if self.fault.is_none() {
            self.fault = Some(Fault {
                position: link.position,
                seq: link.seq,
                kind,
                detail,
            });
        }
    }

    /// Records an event the chain does not cover (found after the chain was sealed).
    pub fn unsealed(&mut self, seq: i64) {
        if self.fault.is_none() {
            self.fault = Some(Fault {
                position: self.previous.as_ref().map_or(0, |l| l.position) + 1,
                seq,
                kind: FaultKind::Unsealed,
                detail: format!("event {seq} is in the trail but not sealed into the chain"),
            });
        }
    }

    /// Checks the next link with the event it seals (`None` if the event is gone).
    pub fn check(&mut self, link: &ChainLink, event: Option<&AuditEvent>) {
        if self.fault.is_some() {
            return;
        }
        self.links += 1;
        let (expected_position, expected_prev) = match &self.previous {
            Some(p) => (p.position + 1, p.hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        let (position, seq) = (link.position, link.seq);
        if position != expected_position {
            self.fail(
                link,
                FaultKind::PositionGap,
                format!("expected position {expected_position} but found {position}: links are missing or inserted"),
            );
        } else if link.prev_hash != expected_prev {
            self.fail(
                link,
                FaultKind::BrokenLink,
                format!("position {position} does not follow position {}: its previous hash is {} but that link's hash is {expected_prev}", position - 1, link.prev_hash),
            );
        } else if let Some(event) = event {
            self.check_event(link, event);
        } else {
            self.fail(
                link,
                FaultKind::MissingEvent,
                format!(
                    "event {seq}, sealed at position {position}, has been deleted from the trail"
                ),
            );
        }
        if seq > self.highest_seq {
            self.highest_seq = seq;
            self.recent_highs.push_back((seq, link.sealed_at));
        }
        let horizon = link.sealed_at - MAX_LATE_SEAL - CLOCK_SKEW;
        while let Some(&(high, at)) = self.recent_highs.front() {
            if at >= horizon {
                break;
            }
            self.floor = self.floor.max(high);
            self.recent_highs.pop_front();
        }
        self.previous = Some(link.clone());
    }

    fn check_event(&mut self, link: &ChainLink, event: &AuditEvent) {
        let (position, seq) = (link.position, link.seq);
        let expected_seq = self.highest_seq + 1;
        if event.seq != seq {
            self.fail(
                link,
                FaultKind::WrongEvent,
                format!(
                    "position {position} seals event {seq} but was given event {}",
                    event.seq
                ),
            );
        } else if link_hash(&link.prev_hash, &canonical(event, position, link.sealed_at))
            != link.hash
        {
            self.fail(
                link,
                FaultKind::EventAltered,
                format!("event {seq} ({} on {} {}) does not match the hash sealed at position {position}: it was changed after it was sealed", event.action, event.entity_type, event.entity_id),
            );
        } else if self.contiguous_seq && seq != expected_seq {
            let detail = if seq > expected_seq {
                format!(
                    "event {expected_seq} is missing: the chain goes from event {} to event {seq}",
                    expected_seq - 1
                )
            } else {
                format!(
                    "event {seq} was sealed after event {}, out of order",
                    self.highest_seq
                )
            };
            let kind = if seq > expected_seq {
                FaultKind::SequenceGap
            } else {
                FaultKind::LateInsertion
            };
            self.fail(link, kind, detail);
        } else if self
            .previous
            .as_ref()
            .is_some_and(|p| link.sealed_at + CLOCK_SKEW < p.sealed_at)
            || event.occurred_at > link.sealed_at + CLOCK_SKEW
        {
            self.fail(
                link,
                FaultKind::TimeTravel,
                format!("event {seq} at position {position}: sealing times go backwards or the event claims to occur after it was sealed"),
            );
        } else if seq < self.highest_seq {
            self.check_late(link, event);
        }
    }

    /// An event sealed after a higher-numbered one: its transaction committed
    /// late. Legitimate only if it was sealed soon after it occurred, and it
    /// occurred before the first higher-numbered event was sealed (its number
    /// was taken before that one's).
    fn check_late(&mut self, link: &ChainLink, event: &AuditEvent) {
        let seq = link.seq;
        let first_higher = self.recent_highs.iter().find(|(s, _)| *s > seq).copied();
        let reason = if seq < self.floor {
            Some(format!(
                "event {seq} was sealed after event {}, which was sealed more than {} minutes earlier: it was inserted afterwards",
                self.floor,
                MAX_LATE_SEAL.num_minutes()
            ))
        } else if let Some((higher, at)) =
            first_higher.filter(|(_, at)| event.occurred_at > *at + CLOCK_SKEW)
        {
            Some(format!(
                "event {seq} claims to have occurred after event {higher}, numbered after it, was sealed at {}: it was inserted afterwards",
                canonical_time(at)
            ))
        } else if link.sealed_at - event.occurred_at > MAX_LATE_SEAL {
            Some(format!(
                "event {seq} was sealed after event {} and {} minutes after it claims to have occurred: no transaction runs that long, so it was inserted afterwards",
                self.highest_seq,
                (link.sealed_at - event.occurred_at).num_minutes()
            ))
        } else {
            None
        };
        if let Some(detail) = reason {
            self.fail(link, FaultKind::LateInsertion, detail);
        }
    }

    /// The verdict.
    #[must_use]
    pub fn finish(self) -> Verification {
        Verification {
            ok: self.fault.is_none(),
            links: self.links,
            head: self.previous.map(|l| Head {
                position: l.position,
                seq: l.seq,
                hash: l.hash,
            }),
            first_fault: self.fault,
        }
    }
}

/// The first line of an export file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    /// Always `grantledger-audit-export`.
    pub format: String,
    /// The export format version (1).
    pub version: u32,
    /// The canonical encoding the hashes use ([`ENCODING_TAG`]).
    pub encoding: String,
    /// Whether sequence numbers must be contiguous (see [`Verifier::new`]).
    pub contiguous_seq: bool,
    /// When the file was written.
    pub exported_at: DateTime<Utc>,
}

/// The name in [`ExportHeader::format`].
pub const EXPORT_FORMAT: &str = "grantledger-audit-export";

impl ExportHeader {
    /// A header for an export made now.
    #[must_use]
    pub fn new(contiguous_seq: bool, exported_at: DateTime<Utc>) -> ExportHeader {
        ExportHeader {
            format: EXPORT_FORMAT.to_owned(),
            version: 1,
            encoding: ENCODING_TAG.to_owned(),
            contiguous_seq,
            exported_at,
        }
    }
}

/// Every following line of an export file: a link, the event it seals
/// (absent if deleted from the database), and the canonical bytes that were
/// hashed (hex), so the file is self-contained and checkable without grantledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    /// The link.
    pub link: ChainLink,
    /// The event.
    pub event: Option<AuditEvent>,
    /// `canonical(event, position, sealed_at)` in hex; absent with the event.
    pub canonical: Option<String>,
}

impl ExportLine {
    /// The line for a link and its event.
    #[must_use]
    pub fn new(link: ChainLink, event: Option<AuditEvent>) -> ExportLine {
        let canonical = event
            .as_ref()
            .map(|e| hex::encode(canonical(e, link.position, link.sealed_at)));
        ExportLine {
            link,
            event,
            canonical,
        }
    }
}

/// Verifies an export file given as lines of text (header first), without a
/// database. Also checks that each line's `canonical` field is what its
/// event encodes to.
///
/// # Errors
/// A line that is not valid JSON of the expected shape, naming the line.
pub fn verify_export<I, S>(lines: I) -> Result<Verification, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut lines = lines.into_iter().enumerate();
    let header: ExportHeader = match lines.next() {
        Some((_, line)) => serde_json::from_str(line.as_ref())
            .map_err(|e| format!("line 1 is not an audit export header: {e}"))?,
        None => return Err("the file is empty".to_owned()),
    };
    if header.format != EXPORT_FORMAT || header.version != 1 || header.encoding != ENCODING_TAG {
        return Err(format!(
            "unsupported export: format {} version {} encoding {}",
            header.format, header.version, header.encoding
        ));
    }
    let mut verifier = Verifier::new(header.contiguous_seq);
    for (index, line) in lines {
        let line = line.as_ref();
        if line.trim().is_empty() {
            continue;
        }
        let entry: ExportLine = serde_json::from_str(line)
            .map_err(|e| format!("line {} is not an audit export line: {e}", index + 1))?;
        verifier.check(&entry.link, entry.event.as_ref());
        let encoded = entry
            .event
            .as_ref()
            .map(|e| hex::encode(canonical(e, entry.link.position, entry.link.sealed_at)));
        if !verifier.failed() && encoded != entry.canonical {
            verifier.fail(
                &entry.link,
                FaultKind::EventAltered,
                format!(
                    "line {}: the canonical bytes recorded for event {} are not what the event encodes to",
                    index + 1,
                    entry.link.seq
                ),
            );
        }
        if verifier.failed() {
            break;
        }
    }
    Ok(verifier.finish())
}

#[cfg(test)]
mod tests;
