//! Deciding many applications of a round in one request: each item as
//! [`decide`](super::applications::decide) decides one, with the same
//! checks, errors, audit events and notices, but the batch does once what
//! `decide` does an item, and only its last statements wait for other
//! decisions of the round.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use grantledger_domain::award::Award;
use grantledger_domain::fund::Fund;
use grantledger_domain::ids::{ApplicationId, AwardId, RoundId};
use grantledger_domain::reference::AwardReference;
use grantledger_domain::round::Round;
use grantledger_store::awards::{self, Finished, Hold, RoundBatch};
use grantledger_store::common::{Actor, Record};
use grantledger_store::{AnyConnection, StoreError, applications, audit, funds, ledger, rounds};

use super::applications::{Decided, DecisionBody, Outcome, Reached, decision_on};
use crate::error::ApiError;
use crate::operations::notices::{self, Notices};

/// One item of [`decide_many`]: the application and what became of it.
pub type ItemDecided = (ApplicationId, Result<Decided, ApiError>);

/// Decides many applications of a round; results in request order. One
/// item that fails leaves nothing behind, takes no award number and tells
/// nobody, and does not undo the others.
///
/// The round, its fund and the applications are read once; the awards,
/// their ledger transfers and every audit event are written together at
/// the end ([`RoundBatch`]), followed by each decision's notice, and the
/// debit of the round's money comes last of all.
///
/// It runs twice at most. First quickly, inside one savepoint: the round's
/// money is read without a lock ([`Hold::Unlocked`]) and the items are
/// written without a savepoint each, so concurrent batches and single
/// decisions of the round overlap until the final debit. If that debit
/// finds another decision took money this batch counted on, or an item's
/// write fails in the database for any reason but a stale version (which
/// writes nothing), the savepoint is rolled back and the batch decided
/// again carefully: the round's money locked first ([`Hold::Locked`]) and
/// each item in a savepoint of its own, so only that item fails.
#[tracing::instrument(skip_all, fields(round_id = %round_id, items = items.len()))]
pub fn decide_many(
    c: &mut AnyConnection,
    notices: &Notices,
    round_id: RoundId,
    items: Vec<(ApplicationId, DecisionBody)>,
    actor: &Actor,
) -> Result<Vec<ItemDecided>, ApiError> {
    let round = rounds::get(c, round_id)?.value;
    let fund = funds::get(c, round.fund_id)?.value;
    let ids: Vec<ApplicationId> = items.iter().map(|(id, _)| *id).collect();
    let stored = applications::get_many(c, &ids)?;
    let batch = Batch {
        round: &round,
        fund: &fund,
        notices,
        actor,
        items: &items,
    };
    let quickly =
        grantledger_store::write_transaction(c, |c| batch.decide(c, &stored, Hold::Unlocked));
    match quickly {
        Ok(results) => Ok(results),
        Err(Again::Carefully) => {
            tracing::debug!("bulk decision decided again with the round's money locked");
            batch
                .decide(c, &stored, Hold::Locked)
                .map_err(Again::into_api)
        }
        Err(Again::No(error)) => Err(error),
    }
}

/// Why a quick attempt of [`decide_many`] stopped.
enum Again {
    /// Roll it back and decide the batch again carefully.
    Carefully,
    /// A failure of the whole batch.
    No(ApiError),
}

impl Again {
    fn into_api(self) -> ApiError {
        match self {
            Again::Carefully => {
                ApiError::Internal("a careful bulk decision asked to run again".into())
            }
            Again::No(error) => error,
        }
    }
}

impl From<StoreError> for Again {
    fn from(error: StoreError) -> Self {
        Again::No(error.into())
    }
}

impl From<ApiError> for Again {
    fn from(error: ApiError) -> Self {
        Again::No(error)
    }
}

/// What every item of a bulk decision shares.
struct Batch<'a> {
    round: &'a Round,
    fund: &'a Fund,
    notices: &'a Notices,
    actor: &'a Actor,
    items: &'a [(ApplicationId, DecisionBody)],
}

impl<'a> Batch<'a> {
    /// Decides every item once, the round's money held as `hold` says,
    /// from the applications as `stored` before the batch.
    fn decide(
        &self,
        c: &mut AnyConnection,
        stored: &HashMap<ApplicationId, Record<applications::Stored>>,
        hold: Hold,
    ) -> Result<Vec<ItemDecided>, Again> {
        // Applications this run has changed: a later item on the same one
        // must see its new state.
        let mut changed: HashMap<ApplicationId, Record<applications::Stored>> = HashMap::new();
        let mut made: Option<RoundBatch> = None;
        let mut events = Vec::with_capacity(self.items.len() * 2);
        let mut results = Vec::with_capacity(self.items.len());
        let awards_asked = self
            .items
            .iter()
            .filter(|(_, body)| body.outcome == Outcome::Award)
            .count();
        for (id, body) in self.items {
            if body.outcome == Outcome::Award && made.is_none() {
                made = Some(awards::begin_batch(
                    c,
                    self.round.id,
                    self.fund.id,
                    awards_asked,
                    hold,
                )?);
            }
            let before = changed.get(id).or_else(|| stored.get(id));
            let outcome = match hold {
                Hold::Unlocked => match self.item(c, before, body, made.as_ref())? {
                    Ok(item) => Ok(item),
                    Err(Refused::Before(error)) => Err(error),
                    Err(Refused::Written(stale @ StoreError::StaleVersion { .. })) => {
                        Err(stale.into())
                    }
                    Err(Refused::Written(_)) => return Err(Again::Carefully),
                },
                Hold::Locked => grantledger_store::write_transaction(c, |c| {
                    match self.item(c, before, body, made.as_ref())? {
                        Ok(item) => Ok(item),
                        Err(Refused::Before(error)) => Err(error),
                        Err(Refused::Written(error)) => Err(error.into()),
                    }
                }),
            };
            let outcome = match outcome {
                Ok(item) => {
                    events.push(item.event);
                    if let Some((award, posting, now)) = item.award {
                        events.push(RoundBatch::offered_event(self.actor, &award, now));
                        made.as_mut()
                            .ok_or_else(|| ApiError::Internal("an award without its batch".into()))?
                            .add(award, posting)?;
                    }
                    changed.insert(*id, item.decided.application.clone());
                    Ok(item.decided)
                }
                Err(error) => Err(error),
            };
            results.push((*id, outcome));
        }
        audit::append_pending(c, &events)?;
        let decided = results
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .map(|decided| {
                let stored = &decided.application.value;
                (
                    &stored.application,
                    decided
                        .award
                        .as_ref()
                        .map(|a| (a.value.award.id, a.value.award.amount)),
                    stored.decision_feedback.as_deref().unwrap_or_default(),
                )
            });
        notices::applications_decided(c, self.notices, &self.round.name, decided, Utc::now())?;
        if let Some(made) = made {
            match made.finish(c)? {
                Finished::Written => {}
                Finished::RoundMoved => return Err(Again::Carefully),
            }
        }
        Ok(results)
    }

    /// [`decide`](super::applications::decide) for one item: the same steps
    /// and errors, with the round, fund and application read by the batch,
    /// and the award checked against the batch's money left instead of
    /// written. Everything that can refuse the item without the database
    /// comes first; the application's write is its only statement.
    fn item(
        &self,
        c: &mut AnyConnection,
        before: Option<&Record<applications::Stored>>,
        body: &DecisionBody,
        made: Option<&RoundBatch>,
    ) -> Result<Result<BatchItem<'a>, Refused>, StoreError> {
        let Planned {
            before,
            reached,
            offer,
        } = match self.plan(before, body, made) {
            Ok(planned) => planned,
            Err(error) => return Ok(Err(Refused::Before(error))),
        };
        let saved = applications::save_in_batch(
            c,
            before,
            &reached.after,
            self.fund.id,
            reached.action,
            self.actor,
            reached.now,
        );
        let (application, event) = match saved {
            Ok(saved) => saved,
            Err(error) => return Ok(Err(Refused::Written(error))),
        };
        let (award, record) = match offer {
            Some(Offer {
                award,
                record,
                posting,
            }) => (Some((award, posting, reached.now)), Some(record)),
            None => (None, None),
        };
        Ok(Ok(BatchItem {
            decided: Decided {
                application,
                award: record,
            },
            event,
            award,
        }))
    }

    /// An item's decision and award, worked out and checked without
    /// writing anything.
    fn plan<'r>(
        &self,
        before: Option<&'r Record<applications::Stored>>,
        body: &DecisionBody,
        made: Option<&RoundBatch>,
    ) -> Result<Planned<'r>, ApiError> {
        let before = before.ok_or(StoreError::NotFound {
            entity: "application",
        })?;
        if before.value.application.round_id != self.round.id {
            return Err(ApiError::not_found("application"));
        }
        let reached = decision_on(&before.value.application, self.round, body)?;
        let offer = match reached.amount {
            Some(amount) => {
                let made =
                    made.ok_or_else(|| ApiError::Internal("an award without its batch".into()))?;
                let reference = AwardReference::new(
                    self.fund.code.clone(),
                    self.round.number,
                    made.next_sequence()?,
                )
                .map_err(ApiError::conflict_from)?;
                let award = Award::offer(
                    AwardId::new(),
                    reference,
                    &reached.decided,
                    self.round,
                    amount,
                );
                let (record, posting) = made.offer(&award, reached.now)?;
                Some(Offer {
                    award,
                    record,
                    posting,
                })
            }
            None => None,
        };
        Ok(Planned {
            before,
            reached,
            offer,
        })
    }
}

/// An item of a batch worked out, before its write.
struct Planned<'r> {
    before: &'r Record<applications::Stored>,
    reached: Reached,
    offer: Option<Offer>,
}

/// An award an item would make, checked against the batch's money left.
struct Offer {
    award: Award,
    record: Record<awards::Stored>,
    posting: ledger::Posting,
}

/// Why an item of a batch was not decided.
enum Refused {
    /// Before anything was written: the item's own error.
    Before(ApiError),
    /// Its write failed in the database.
    Written(StoreError),
}

/// One item of a batch decided, and what the batch must write for it.
struct BatchItem<'a> {
    decided: Decided,
    event: audit::PendingEvent<'a>,
    award: Option<(Award, ledger::Posting, DateTime<Utc>)>,
}
