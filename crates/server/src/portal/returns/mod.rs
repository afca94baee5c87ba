//! The evaluation return on an award: the ONS measures for each
//! participant before and after, typed in or uploaded as a CSV file;
//! saved as a draft, submitted, and fixed after the fund asks for changes.

pub mod evidence;
pub mod form;
pub mod overdue;
pub mod review;
pub mod upload;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use futures_util::StreamExt;
use grantledger_domain::document::AttachmentOwner;
use grantledger_domain::evaluation::{DirectAnswer, ReturnContent, ReviewStatus, UclaAnswer};
use grantledger_domain::ids::AwardId;

use crate::http::blocking;
use crate::operations;
use crate::operations::evaluation::ReturnDetail;
use crate::policy::Action;
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::messages::{Messages, english};
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{CSRF_FIELD, Posted, SignedIn, check_same_site, tokens_match};
use crate::state::AppState;
use form::{ITEMS, ReturnForm, STAGES, field_of};

/// An option of a select.
#[derive(Debug)]
pub struct OptionView {
    /// The value posted.
    pub value: &'static str,
    /// What it says.
    pub label: String,
    /// Whether it is chosen.
    pub selected: bool,
}

/// One question about one participant at one stage.
#[derive(Debug)]
pub struct QuestionView {
    /// The field's name and id, e.g. `p0_before_direct`.
    pub id: String,
    /// The question.
    pub label: String,
    /// The answers.
    pub options: Vec<OptionView>,
    /// What is wrong with the answer given.
    pub error: Option<String>,
}

/// One stage of one participant.
#[derive(Debug)]
pub struct StageView {
    /// Before or after, in words.
    pub legend: String,
    /// The four questions.
    pub questions: Vec<QuestionView>,
}

/// One participant on the form.
#[derive(Debug)]
pub struct ParticipantView {
    /// 0, 1, … for field names.
    pub index: usize,
    /// 1, 2, … for people.
    pub number: usize,
    /// Their code.
    pub code: String,
    /// What is wrong with the code.
    pub code_error: Option<String>,
    /// Before and after.
    pub stages: Vec<StageView>,
}

/// A date asked as day, month and year.
#[derive(Debug)]
pub struct DateView {
    /// `start` or `end`.
    pub name: &'static str,
    /// The question.
    pub legend: String,
    /// The day as typed.
    pub day: String,
    /// The month as typed.
    pub month: String,
    /// The year as typed.
    pub year: String,
}

/// A review of the return, as shown.
#[derive(Debug)]
pub struct ReviewView {
    /// Accepted or changes requested, in words.
    pub decision: String,
    /// What the reviewer said.
    pub comment: String,
    /// When.
    pub at: String,
}

#[derive(Template)]
#[template(path = "return.html")]
struct ReturnPage {
    c: Chrome,
    errors: FormErrors,
    award_id: String,
    reference: String,
    status: Option<(String, &'static str)>,
    version: String,
    submitted_at: String,
    responses: String,
    reviews: Vec<ReviewView>,
    editable: bool,
    /// Whether the reader may review it now (staff who review, and it
    /// awaits review).
    reviewable: bool,
    /// The files attached to it.
    evidence: crate::portal::table::Table,
    /// Whether the reader may attach a file now (its grantee, while
    /// changes are asked for).
    may_attach: bool,
    draft_saved: String,
    banner: String,
    form: ReturnForm,
    dates: Vec<DateView>,
    participants: Vec<ParticipantView>,
}

fn award_id(raw: &str) -> Result<AwardId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(AwardId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

fn options(m: &Messages, item: &str, chosen: &str) -> Vec<OptionView> {
    let mut out = vec![OptionView {
        value: "",
        label: m.t("answer-none"),
        selected: chosen.is_empty(),
    }];
    if item == "direct" {
        out.extend(DirectAnswer::ALL.iter().map(|a| OptionView {
            value: a.as_str(),
            label: m.t(&format!("direct-answer-{a}")),
            selected: a.as_str() == chosen,
        }));
    } else {
        out.extend(UclaAnswer::ALL.iter().map(|a| OptionView {
            value: a.as_str(),
            label: m.t(&format!("ucla-answer-{a}")),
            selected: a.as_str() == chosen,
        }));
    }
    out
}

fn participant_views(m: &Messages, f: &ReturnForm, errors: &FormErrors) -> Vec<ParticipantView> {
    f.participants
        .iter()
        .enumerate()
        .map(|(i, p)| ParticipantView {
            index: i,
            number: i + 1,
            code: p.code.clone(),
            code_error: errors.get(&format!("p{i}_code")).map(str::to_owned),
            stages: STAGES
                .iter()
                .map(|stage| {
                    let answers = if *stage == "before" {
                        &p.before
                    } else {
                        &p.after
                    };
                    StageView {
                        legend: m.t(&format!("return-stage-{stage}")),
                        questions: ITEMS
                            .iter()
                            .map(|item| {
                                let id = format!("p{i}_{stage}_{item}");
                                QuestionView {
                                    label: m.t(&format!("question-{item}")),
                                    options: options(m, item, answers.get(item)),
                                    error: errors.get(&id).map(str::to_owned),
                                    id,
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect()
}

/// What the page needs from the database.
struct Loaded {
    reference: String,
    detail: Option<ReturnDetail>,
    draft: Option<grantledger_store::return_drafts::Draft>,
    evidence: Vec<grantledger_domain::document::Attachment>,
}

async fn load(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: AwardId,
) -> Result<Loaded, PortalError> {
    signed_in.may(Action::ReadEvaluationReturns)?;
    let state = state.clone();
    let principal = signed_in.principal.clone();
    Ok(blocking(move || {
        state.db.read(|c| {
            let award = operations::awards::visible(c, &principal, id)?;
            let detail = operations::evaluation::for_award(c, &principal, id)?;
            let draft = operations::evaluation::draft(c, &principal, id)?;
            let evidence = match &detail {
                Some(d) => operations::documents::list(
                    c,
                    &principal,
                    AttachmentOwner::EvaluationReturn(d.record.value.id),
                )?,
                None => Vec::new(),
            };
            Ok(Loaded {
                reference: award.value.award.reference.to_string(),
                detail,
                draft,
                evidence,
            })
        })
    })
    .await?)
}

fn page(
    signed_in: &SignedIn,
    id: AwardId,
    loaded: Loaded,
    form: Option<ReturnForm>,
    errors: FormErrors,
    banner: String,
) -> ReturnPage {
    let m = english();
    let changes_requested = loaded
        .detail
        .as_ref()
        .is_some_and(|d| d.record.value.status == ReviewStatus::ChangesRequested);
    let editable = signed_in.is_grantee() && (loaded.detail.is_none() || changes_requested);
    let form = form.unwrap_or_else(|| {
        let saved = loaded
            .draft
            .as_ref()
            .and_then(|d| serde_json::from_str::<ReturnForm>(&d.form).ok());
        match (saved, &loaded.detail) {
            (Some(f), _) => f,
            (None, Some(d)) => ReturnForm::from_content(&d.current.content),
            (None, None) => ReturnForm::default(),
        }
        .with_blanks(1)
    });
    let (status, version, submitted_at, responses, reviews) = match &loaded.detail {
        Some(d) => (
            Some(crate::portal::format::status(
                m,
                "return",
                d.record.value.status.as_str(),
            )),
            d.record.value.latest_version.to_string(),
            instant(d.current.submitted_at),
            d.current.content.responses.len().to_string(),
            d.reviews
                .iter()
                .map(|r| ReviewView {
                    decision: m.t(&format!("review-{}", r.decision)),
                    comment: r.comment.clone().unwrap_or_default(),
                    at: instant(r.reviewed_at),
                })
                .collect(),
        ),
        None => (
            None,
            String::new(),
            String::new(),
            String::new(),
            Vec::new(),
        ),
    };
    let date = |name: &'static str, parts: &[String; 3]| {
        let [day, month, year] = parts.clone();
        DateView {
            name,
            legend: m.t(&format!("return-{name}")),
            day,
            month,
            year,
        }
    };
    let dates = vec![date("start", &form.start), date("end", &form.end)];
    ReturnPage {
        c: Chrome::signed_in(signed_in, "home"),
        dates,
        participants: participant_views(m, &form, &errors),
        errors,
        award_id: id.to_string(),
        reference: loaded.reference,
        status,
        version,
        submitted_at,
        responses,
        reviews,
        editable,
        evidence: crate::portal::documents::evidence_table(m, &loaded.evidence),
        may_attach: signed_in.can(Action::SubmitEvaluationReturns)
            && loaded
                .detail
                .as_ref()
                .is_some_and(|d| d.record.value.status.accepts_evidence()),
        reviewable: signed_in.can(Action::ReviewEvaluationReturns)
            && loaded
                .detail
                .as_ref()
                .is_some_and(|d| d.record.value.status == ReviewStatus::Submitted),
        draft_saved: loaded
            .draft
            .map(|d| instant(d.saved_at))
            .unwrap_or_default(),
        banner,
        form,
    }
}

/// Whether the page should say something was done.
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The return: its state, its reviews, and the form while it can change.
#[get("/awards/{id}/return")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> PortalResult {
    let id = award_id(&path)?;
    let loaded = load(&state, &signed_in, id).await?;
    let m = english();
    let banner = match query.done.as_deref() {
        Some("saved") => m.t("return-banner-saved"),
        Some("submitted") => m.t("return-banner-submitted"),
        Some("reviewed") => m.t("return-banner-reviewed"),
        Some("evidence") => m.t("return-banner-evidence"),
        Some(n) if n.parse::<usize>().is_ok() => m.with("return-banner-uploaded", &[("count", n)]),
        _ => String::new(),
    };
    html_with_status(
        StatusCode::OK,
        &page(&signed_in, id, loaded, None, FormErrors::default(), banner),
    )
}

/// Saves the form as a draft, adds a participant, or submits it.
#[post("/awards/{id}/return")]
pub async fn save(
    state: web::Data<AppState>,
    posted: Posted<Vec<(String, String)>>,
    path: web::Path<String>,
) -> PortalResult {
    let id = award_id(&path)?;
    let Posted {
        signed_in,
        form: fields,
    } = posted;
    signed_in.may(Action::SubmitEvaluationReturns)?;
    let action = fields
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let form = ReturnForm::from_fields(&fields);
    let m = english();
    if action != "submit" {
        let blanks = usize::from(action == "add");
        let kept = form.with_blanks(blanks);
        let json = serde_json::to_string(&kept)
            .map_err(|e| PortalError::Internal(format!("a draft did not serialise: {e}")))?;
        let principal = signed_in.principal.clone();
        {
            let state = state.clone();
            blocking(move || {
                state
                    .db
                    .write(|c| operations::evaluation::save_draft(c, &principal, id, &json))
            })
            .await?;
        }
        if action == "add" {
            let loaded = load(&state, &signed_in, id).await?;
            let count = kept.participants.len();
            let mut page = page(
                &signed_in,
                id,
                loaded,
                Some(kept),
                FormErrors::default(),
                String::new(),
            );
            page.banner = m.with("return-banner-added", &[("number", &count.to_string())]);
            return html_with_status(StatusCode::OK, &page);
        }
        return Ok(see_other(&format!("/awards/{id}/return?done=saved")));
    }
    let checked = form.to_input(m).and_then(|(input, places)| {
        ReturnContent::parse(input).map_err(|issues| {
            let mut errors = FormErrors::default();
            for issue in &issues {
                errors.add(&field_of(issue, &places), issue.message.clone());
            }
            errors
        })
    });
    let errors = match checked {
        Ok(content) => {
            let principal = signed_in.principal.clone();
            let sent = {
                let state = state.clone();
                blocking(move || {
                    state.db.write(|c| {
                        operations::evaluation::submit_draft(c, &principal, id, &content)
                    })
                })
                .await
            };
            match sent {
                Ok(_) => return Ok(see_other(&format!("/awards/{id}/return?done=submitted"))),
                Err(e) => FormErrors::from_api(e)?,
            }
        }
        Err(errors) => errors,
    };
    let loaded = load(&state, &signed_in, id).await?;
    html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(
            &signed_in,
            id,
            loaded,
            Some(form.with_blanks(0)),
            errors,
            String::new(),
        ),
    )
}

/// The CSV template for many participants.
#[get("/awards/{id}/return/template.csv")]
pub async fn template(signed_in: SignedIn, path: web::Path<String>) -> PortalResult {
    award_id(&path)?;
    signed_in.may(Action::SubmitEvaluationReturns)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"participants-template.csv\"",
        ))
        .body(upload::template()))
}

/// The largest participants file (a few thousand rows is far less).
pub const UPLOAD_LIMIT: usize = 1024 * 1024;

/// Reads the upload form: its CSRF token and the file's bytes.
async fn read_upload(mut payload: Multipart) -> Result<(String, Vec<u8>), PortalError> {
    let mut token = String::new();
    let mut file = Vec::new();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| PortalError::BadForm)?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| PortalError::BadForm)?;
            if bytes.len() + chunk.len() > UPLOAD_LIMIT {
                return Err(PortalError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            CSRF_FIELD => token = String::from_utf8(bytes).map_err(|_| PortalError::BadForm)?,
            "participants" => file = bytes,
            _ => {}
        }
    }
    Ok((token, file))
}

/// Loads participants from a CSV file into the draft.
#[post("/awards/{id}/return/upload")]
pub async fn upload_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    path: web::Path<String>,
    payload: Multipart,
) -> PortalResult {
    let id = award_id(&path)?;
    check_same_site(&req)?;
    signed_in.may(Action::SubmitEvaluationReturns)?;
    let (token, file) = read_upload(payload).await?;
    if !tokens_match(&token, &signed_in.csrf) {
        return Err(PortalError::BadCsrf);
    }
    let m = english();
    let loaded = load(&state, &signed_in, id).await?;
    let problems = if file.is_empty() {
        vec![m.t("upload-no-file")]
    } else {
        match upload::participants(m, &file) {
            Ok(participants) => {
                let count = participants.len();
                let mut form = loaded
                    .draft
                    .as_ref()
                    .and_then(|d| serde_json::from_str::<ReturnForm>(&d.form).ok())
                    .or_else(|| {
                        loaded
                            .detail
                            .as_ref()
                            .map(|d| ReturnForm::from_content(&d.current.content))
                    })
                    .unwrap_or_default();
                form.participants = participants;
                let json = serde_json::to_string(&form).map_err(|e| {
                    PortalError::Internal(format!("a draft did not serialise: {e}"))
                })?;
                let principal = signed_in.principal.clone();
                blocking(move || {
                    state
                        .db
                        .write(|c| operations::evaluation::save_draft(c, &principal, id, &json))
                })
                .await?;
                return Ok(see_other(&format!("/awards/{id}/return?done={count}")));
            }
            Err(problems) => problems,
        }
    };
    let mut errors = FormErrors::default();
    for p in problems {
        errors.add("participants", p);
    }
    html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&signed_in, id, loaded, None, errors, String::new()),
    )
}
