//! A round's applications for staff (issue 17): filtered by status,
//! region, amount and (for administrators and auditors) mean score, in the
//! order chosen, paged by keyset, each linking to the application (where
//! an administrator decides it). The same operation as `GET /v1/rounds/{id}/applications`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::Money;
use grantledger_domain::application::{ApplicationStatus, QueueOrder};
use grantledger_domain::assessment::mean::MeanScore;
use grantledger_domain::grantee::Region;
use grantledger_domain::ids::{ApplicationId, GranteeId, RoundId};
use grantledger_store::applications::ApplicationFilter;
use grantledger_store::common::PageRequest;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations;
use crate::operations::applications::{DecisionBody, Outcome};
use crate::policy::Action;
use crate::portal::format::{instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html};
use crate::portal::payment_runs::SelectOption;
use crate::portal::rounds::Choice;
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

/// Applications a page shows.
const PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    round: String,
    statuses: Vec<SelectOption>,
    regions: Vec<SelectOption>,
    min_amount: String,
    max_amount: String,
    sorts: Vec<SelectOption>,
    /// Whether the reader sees mean scores, so the page offers the score
    /// column, order and filter.
    sees_scores: bool,
    min_score: String,
    rows: Vec<QueueRow>,
    next: Option<String>,
    /// Whether the reader decides, so the page offers deciding in bulk.
    decides: bool,
    outcomes: Vec<Choice>,
}

/// An application in the list.
#[derive(Debug)]
pub struct QueueRow {
    /// Its id.
    pub id: String,
    /// The project's title.
    pub title: String,
    /// The applicant's name.
    pub organisation: String,
    /// What is asked for.
    pub amount: String,
    /// Its status in words and tag colour.
    pub status: (String, &'static str),
    /// When it was submitted.
    pub submitted: String,
    /// Its mean assessment score, or words saying it has none yet.
    pub score: String,
    /// Whether it awaits a decision (and so can be ticked).
    pub decidable: bool,
}

/// The filters (status, region, amount asked for, score), the order and
/// the page's cursor.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    min_amount: String,
    #[serde(default)]
    max_amount: String,
    #[serde(default)]
    min_score: String,
    #[serde(default)]
    sort: String,
    after: Option<uuid::Uuid>,
}

/// An optional amount filter: none when blank, else an amount as typed.
fn amount_filter(errors: &mut FormErrors, field: &str, typed: &str) -> Option<Money> {
    if typed.trim().is_empty() {
        return None;
    }
    Money::parse_typed(typed)
        .map_err(|e| errors.add(field, e.to_string()))
        .ok()
}

/// A page of the round's applications, oldest first.
#[get("/rounds/{id}/applications")]
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<QueueQuery>,
) -> PortalResult {
    signed_in.may(Action::ReadApplications)?;
    if signed_in.is_grantee() {
        // A grantee's applications are on its home page.
        return Err(PortalError::NotFound);
    }
    let round = path
        .parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)?;
    let q = query.into_inner();
    let m = english();
    let mut errors = FormErrors::default();
    let wanted = match q.status.trim() {
        "" => None,
        s => match s.parse::<ApplicationStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                errors.add("status", m.t("queue-status-invalid"));
                None
            }
        },
    };
    let region = match q.region.trim() {
        "" => None,
        r => r
            .parse::<Region>()
            .map_err(|_| errors.add("region", m.t("queue-region-invalid")))
            .ok(),
    };
    let min_amount = amount_filter(&mut errors, "min_amount", &q.min_amount);
    let max_amount = amount_filter(&mut errors, "max_amount", &q.max_amount);
    let sees_scores = signed_in.principal.role.sees_mean_scores();
    let order = match q.sort.trim() {
        "" => QueueOrder::default(),
        s => s
            .parse::<QueueOrder>()
            .ok()
            .filter(|o| sees_scores || !o.reveals_scores())
            .unwrap_or_else(|| {
                errors.add("sort", m.t("queue-sort-invalid"));
                QueueOrder::default()
            }),
    };
    let min_score = match q.min_score.trim() {
        "" => None,
        _ if !sees_scores => return Err(PortalError::NotFound),
        typed => typed
            .parse::<MeanScore>()
            .map_err(|_| errors.add("min_score", m.t("queue-min-score-invalid")))
            .ok(),
    };
    let filter = ApplicationFilter {
        status: wanted,
        region,
        min_amount,
        max_amount,
        min_score,
        order,
        ..ApplicationFilter::default()
    };
    let principal = signed_in.principal.clone();
    let page = PageRequest::new(Some(PAGE), q.after);
    let (round_name, found, names) = blocking(move || {
        state.db.read(|c| {
            let name = operations::rounds::get(c, round)?.record.value.name;
            let found = operations::applications::list(c, &principal, round, filter, page)?;
            let mut names: HashMap<GranteeId, String> = HashMap::new();
            for r in &found.items {
                let id = r.value.application.grantee_id;
                if let std::collections::hash_map::Entry::Vacant(e) = names.entry(id) {
                    let grantee = operations::grantees::visible(c, &principal, id)?;
                    e.insert(grantee.value.name.to_string());
                }
            }
            Ok((name, found, names))
        })
    })
    .await?;
    let rows = found
        .items
        .iter()
        .map(|r| {
            let a = &r.value.application;
            QueueRow {
                id: a.id.to_string(),
                title: a.project_title.clone(),
                organisation: names.get(&a.grantee_id).cloned().unwrap_or_default(),
                amount: pounds(a.amount_requested),
                status: status(m, "application", a.status.as_str()),
                submitted: a.submitted_at.map(instant).unwrap_or_default(),
                score: r
                    .value
                    .mean_score
                    .map_or_else(|| m.t("queue-not-scored"), |s| s.to_string()),
                decidable: a.status.is_decidable(),
            }
        })
        .collect();
    let chosen = wanted.map(ApplicationStatus::as_str).unwrap_or_default();
    let mut statuses = vec![SelectOption {
        value: String::new(),
        label: m.t("queue-any-status"),
        selected: chosen.is_empty(),
    }];
    statuses.extend(ApplicationStatus::ALL.iter().map(|s| SelectOption {
        value: s.as_str().to_owned(),
        label: m.t(&format!("application-status-{}", s.as_str())),
        selected: chosen == s.as_str(),
    }));
    let mut regions = vec![SelectOption {
        value: String::new(),
        label: m.t("queue-any-region"),
        selected: region.is_none(),
    }];
    regions.extend(Region::ALL.iter().map(|r| SelectOption {
        value: r.as_str().to_owned(),
        label: r.label().to_owned(),
        selected: region == Some(*r),
    }));
    let sorts = QueueOrder::ALL
        .iter()
        .filter(|o| sees_scores || !o.reveals_scores())
        .map(|o| SelectOption {
            value: o.as_str().to_owned(),
            label: o.label().to_owned(),
            selected: *o == order,
        })
        .collect();
    let next = found.next.map(|after| {
        let fields: Vec<(&str, String)> = [
            ("status", chosen.to_owned()),
            ("region", q.region.trim().to_owned()),
            ("min_amount", q.min_amount.trim().to_owned()),
            ("max_amount", q.max_amount.trim().to_owned()),
            ("min_score", q.min_score.trim().to_owned()),
            ("sort", q.sort.trim().to_owned()),
            ("after", after.to_string()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        format!(
            "/rounds/{round}/applications?{}",
            serde_urlencoded::to_string(&fields).unwrap_or_default()
        )
    });
    html(&QueuePage {
        c: Chrome::signed_in(&signed_in, "home"),
        errors,
        id: round.to_string(),
        round: round_name,
        statuses,
        regions,
        min_amount: q.min_amount.clone(),
        max_amount: q.max_amount.clone(),
        sorts,
        sees_scores,
        min_score: q.min_score.clone(),
        rows,
        next,
        decides: signed_in.can(Action::Decide),
        outcomes: bulk_outcomes(),
    })
}

fn bulk_outcomes() -> Vec<Choice> {
    let m = english();
    [
        ("award", "queue-award-requested"),
        ("reject", "decide-reject"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value,
        label: m.t(label),
        checked: false,
    })
    .collect()
}

#[derive(Template)]
#[template(path = "queue_decided.html")]
struct DecidedPage {
    c: Chrome,
    id: String,
    round: String,
    decided: usize,
    refused: Vec<(String, String)>,
}

/// Decides the ticked applications alike: each awarded the amount it asked
/// for, or each rejected with the same feedback, in one batch (one that is
/// refused does not stop the others). The same operation as
/// `POST /v1/rounds/{id}/decisions`.
#[post("/rounds/{id}/decisions")]
pub async fn decide(
    state: web::Data<AppState>,
    posted: Posted<Vec<(String, String)>>,
    path: web::Path<String>,
) -> PortalResult {
    let round = path
        .parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)?;
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::Decide)?;
    let m = english();
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ids: Vec<ApplicationId> = form
        .iter()
        .filter(|(k, _)| k == "application")
        .map(|(_, v)| v.parse::<uuid::Uuid>().map(ApplicationId::from_uuid))
        .collect::<Result<_, _>>()
        .map_err(|_| PortalError::BadForm)?;
    let outcome = match field("outcome").as_str() {
        "award" => Some(Outcome::Award),
        "reject" => Some(Outcome::Reject),
        _ => None,
    };
    let problem = if ids.is_empty() {
        Some(m.t("queue-none-ticked"))
    } else if outcome.is_none() {
        Some(m.t("decide-outcome-missing"))
    } else {
        None
    };
    if let Some(reason) = problem {
        return Err(PortalError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            reason,
        });
    }
    let outcome = outcome.unwrap_or(Outcome::Reject);
    let (feedback, note) = (field("feedback"), field("internal_note"));
    let actor = signed_in.principal.actor();
    let (round_name, results, titles) = blocking(move || {
        state.db.write(|c| {
            let name = operations::rounds::get(c, round)?.record.value.name;
            let found = grantledger_store::applications::get_many(c, &ids)?;
            let items = ids
                .iter()
                .map(|id| {
                    let amount = found.get(id).map(|r| r.value.application.amount_requested);
                    (
                        *id,
                        DecisionBody {
                            outcome,
                            amount: amount.filter(|_| outcome == Outcome::Award),
                            feedback: Some(feedback.clone()),
                            internal_note: Some(note.clone()),
                        },
                    )
                })
                .collect();
            let titles: HashMap<ApplicationId, String> = found
                .into_iter()
                .map(|(id, r)| (id, r.value.application.project_title))
                .collect();
            let results =
                operations::bulk_decisions::decide_many(c, &state.notices, round, items, &actor)?;
            Ok((name, results, titles))
        })
    })
    .await?;
    let decided = results.iter().filter(|(_, r)| r.is_ok()).count();
    let refused = results
        .into_iter()
        .filter_map(|(id, r)| {
            r.err().map(|e| {
                (
                    titles.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                    e.problem().detail,
                )
            })
        })
        .collect();
    html(&DecidedPage {
        c: Chrome::signed_in(&signed_in, "home"),
        id: round.to_string(),
        round: round_name,
        decided,
        refused,
    })
}
