//! The authorization matrix: every route in the OpenAPI document, called by
//! every role (and by nobody, and by a grantee of another organisation),
//! answers as this table says. A route added without a row here fails.

use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::Role;
use grantledger_tests::{Grantee, Round, TestApp, api_tests, expect};
use serde_json::{Value, json};

/// The ids the routes' `{id}` stand for, and the callers.
struct World {
    fund: String,
    round: String,
    own_grantee: String,
    other_grantee: String,
    own_award: String,
    other_award: String,
    own_return: String,
    other_return: String,
    user: String,
    own_application: String,
    other_application: String,
    disbursement: String,
    payment_run: String,
    commitment: String,
    /// An organisation document of each organisation.
    own_attachment: String,
    other_attachment: String,
    /// A message the mail server refused for good.
    failed_mail: String,
    tokens: Vec<(Role, String)>,
}

/// What a route's `{id}` names.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    None,
    Fund,
    Round,
    /// A grantee organisation: a grantee user may reach only its own (404 otherwise).
    Grantee,
    /// An accepted award: a grantee user may reach only its own organisation's.
    Award,
    /// An evaluation return: likewise.
    Return,
    User,
    /// An application, owned by a grantee organisation.
    Application,
    Disbursement,
    PaymentRun,
    Commitment,
    /// An attachment (an organisation document): a grantee user may reach
    /// only its own organisation's.
    Attachment,
    /// A failed message in the outbox.
    FailedMail,
}

struct Rule {
    /// Reachable without a token.
    public: bool,
    /// Roles that may call it.
    allowed: &'static [Role],
    target: Target,
}

const EVERYONE: &[Role] = &[Role::Admin, Role::Assessor, Role::Auditor, Role::Grantee];
const ADMIN: &[Role] = &[Role::Admin];
const APPLICANTS: &[Role] = &[Role::Admin, Role::Grantee];
const ASSESSORS: &[Role] = &[Role::Admin, Role::Assessor];
const PAYMENT_READERS: &[Role] = &[Role::Admin, Role::Auditor];
const BANK_READERS: &[Role] = &[Role::Admin, Role::Auditor, Role::Grantee];
const READ_RETURNS: &[Role] = &[Role::Admin, Role::Auditor, Role::Grantee];
const OVERSIGHT: &[Role] = &[Role::Admin, Role::Auditor];
const AUDITORS: &[Role] = &[Role::Admin, Role::Auditor];

fn rule(method: &str, path: &str) -> Option<Rule> {
    use Target as T;
    let r = |allowed, target| {
        Some(Rule {
            public: false,
            allowed,
            target,
        })
    };
    match (method, path) {
        ("get", "/healthz")
        | ("get", "/readyz")
        | ("post", "/v1/auth/token")
        | ("post", "/v1/auth/password-reset") => Some(Rule {
            public: true,
            allowed: EVERYONE,
            target: T::None,
        }),
        ("get", "/v1/me") | ("put", "/v1/me/password") | ("post", "/v1/me/sign-out-everywhere") => {
            r(EVERYONE, T::None)
        }
        // The matrix's staff have two-factor on: a set-up started waits
        // for a code; a wrong code is refused 422 (or 409 with none on).
        ("get", "/v1/me/two-factor")
        | ("post", "/v1/me/two-factor")
        | ("post", "/v1/me/two-factor/confirm")
        | ("post", "/v1/me/two-factor/recovery-codes") => r(EVERYONE, T::None),
        // Staff must keep it.
        ("post", "/v1/me/two-factor/turn-off") => r(&[Role::Grantee], T::None),
        // The matrix's user has none to reset: 409.
        ("delete", "/v1/users/{id}/two-factor") => r(ADMIN, T::User),
        // Administrators invite anyone; an organisation's owner (the
        // matrix's grantee user is its organisation's first) its colleagues.
        ("post", "/v1/users/invitations") => r(APPLICANTS, T::None),
        ("get", "/v1/users") | ("post", "/v1/users") => r(ADMIN, T::None),
        ("get", "/v1/mail/failed") => r(ADMIN, T::None),
        ("post", "/v1/mail/{id}/retry") => r(ADMIN, T::FailedMail),
        ("get", "/v1/users/{id}") | ("patch", "/v1/users/{id}") => r(ADMIN, T::User),
        ("get", "/v1/funds") => r(EVERYONE, T::None),
        ("post", "/v1/funds") => r(ADMIN, T::None),
        ("get", "/v1/funds/{id}") | ("get", "/v1/funds/{id}/rounds") => r(EVERYONE, T::Fund),
        ("patch", "/v1/funds/{id}")
        | ("post", "/v1/funds/{id}/open")
        | ("post", "/v1/funds/{id}/close")
        | ("post", "/v1/funds/{id}/rounds") => r(ADMIN, T::Fund),
        ("get", "/v1/rounds/{id}") => r(EVERYONE, T::Round),
        ("patch", "/v1/rounds/{id}") => r(ADMIN, T::Round),
        ("get", "/v1/grantees") => r(EVERYONE, T::None),
        ("post", "/v1/grantees") => r(ADMIN, T::None),
        ("get", "/v1/grantees/{id}") => r(EVERYONE, T::Grantee),
        ("patch", "/v1/grantees/{id}")
        | ("post", "/v1/grantees/{id}/due-diligence")
        | ("post", "/v1/grantees/{id}/checks") => r(ADMIN, T::Grantee),
        ("get", "/v1/grantees/{id}/checks") => r(EVERYONE, T::Grantee),
        // Documents: read with the owner, uploaded by whoever may change it.
        ("get", "/v1/grantees/{id}/documents") => r(EVERYONE, T::Grantee),
        ("post", "/v1/grantees/{id}/documents") => r(APPLICANTS, T::Grantee),
        ("get", "/v1/applications/{id}/attachments") => r(EVERYONE, T::Application),
        // The matrix's applications are awarded: the allowed are refused 409.
        ("post", "/v1/applications/{id}/attachments") => r(APPLICANTS, T::Application),
        ("get", "/v1/evaluation-returns/{id}/attachments") => r(READ_RETURNS, T::Return),
        ("post", "/v1/evaluation-returns/{id}/attachments") => r(&[Role::Grantee], T::Return),
        ("get", "/v1/attachments/{id}") | ("get", "/v1/attachments/{id}/content") => {
            r(EVERYONE, T::Attachment)
        }
        ("get", "/v1/rounds/{id}/applications") => r(EVERYONE, T::Round),
        ("post", "/v1/rounds/{id}/applications") => r(APPLICANTS, T::Round),
        ("post", "/v1/rounds/{id}/decisions") => r(ADMIN, T::Round),
        // Published criteria: applicants may read what they are scored on.
        ("get", "/v1/rounds/{id}/criteria") => r(EVERYONE, T::Round),
        // Applicants read the form they answer.
        ("get", "/v1/rounds/{id}/form") | ("get", "/v1/rounds/{id}/form/versions") => {
            r(EVERYONE, T::Round)
        }
        ("put", "/v1/rounds/{id}/form") => r(ADMIN, T::Round),
        ("get", "/v1/applications/{id}/answers") => r(EVERYONE, T::Application),
        ("put", "/v1/applications/{id}/answers") => r(APPLICANTS, T::Application),
        ("put", "/v1/rounds/{id}/criteria") | ("post", "/v1/rounds/{id}/assignments") => {
            r(ADMIN, T::Round)
        }
        // Every assessor's scores side by side: not for assessors, who
        // might be conflicted on some of them.
        ("get", "/v1/rounds/{id}/assignments") | ("get", "/v1/rounds/{id}/panel") => {
            r(OVERSIGHT, T::Round)
        }
        ("get", "/v1/me/assignments") => r(ASSESSORS, T::None),
        ("post", "/v1/applications/{id}/assignments")
        | ("put", "/v1/applications/{id}/panel-recommendation") => r(ADMIN, T::Application),
        ("post", "/v1/applications/{id}/score-sheet") => r(ASSESSORS, T::Application),
        ("get", "/v1/applications/{id}") => r(EVERYONE, T::Application),
        ("patch", "/v1/applications/{id}")
        | ("post", "/v1/applications/{id}/submit")
        | ("post", "/v1/applications/{id}/withdraw") => r(APPLICANTS, T::Application),
        ("post", "/v1/applications/{id}/start-review")
        | ("get", "/v1/applications/{id}/assessments")
        | ("post", "/v1/applications/{id}/assessments") => r(ASSESSORS, T::Application),
        ("post", "/v1/applications/{id}/decision")
        | ("post", "/v1/applications/{id}/deadline-extension") => r(ADMIN, T::Application),
        ("get", "/v1/awards") => r(EVERYONE, T::None),
        ("get", "/v1/awards/{id}")
        | ("get", "/v1/awards/{id}/variations")
        | ("get", "/v1/awards/{id}/disbursements") => r(EVERYONE, T::Award),
        ("post", "/v1/awards/{id}/accept") | ("post", "/v1/awards/{id}/decline") => {
            r(APPLICANTS, T::Award)
        }
        ("post", "/v1/awards/{id}/cancel")
        | ("post", "/v1/awards/{id}/complete")
        | ("post", "/v1/awards/{id}/variations")
        | ("post", "/v1/awards/{id}/disbursements") => r(ADMIN, T::Award),
        ("post", "/v1/disbursements/{id}/paid")
        | ("post", "/v1/disbursements/{id}/failed")
        | ("post", "/v1/disbursements/{id}/reverse")
        | ("post", "/v1/disbursements/{id}/returned") => r(ADMIN, T::Disbursement),
        ("get", "/v1/payment-runs") => r(PAYMENT_READERS, T::None),
        ("post", "/v1/payment-runs") => r(ADMIN, T::None),
        ("get", "/v1/payment-runs/{id}") | ("get", "/v1/payment-runs/{id}/lines") => {
            r(PAYMENT_READERS, T::PaymentRun)
        }
        // The bank file carries full account numbers: administrators only.
        ("get", "/v1/payment-runs/{id}/export") => r(ADMIN, T::PaymentRun),
        // Its audit copy masks them: auditors too.
        ("get", "/v1/payment-runs/{id}/audit-copy") => r(PAYMENT_READERS, T::PaymentRun),
        ("get", "/v1/grantees/{id}/bank-details") => r(BANK_READERS, T::Grantee),
        ("put", "/v1/grantees/{id}/bank-details") => r(APPLICANTS, T::Grantee),
        ("post", "/v1/grantees/{id}/bank-details/verify")
        | ("post", "/v1/grantees/{id}/bank-details/reject") => r(ADMIN, T::Grantee),
        ("get", "/v1/bank-details/waiting") => r(ADMIN, T::None),
        ("post", "/v1/payment-runs/{id}/confirm")
        | ("post", "/v1/payment-runs/{id}/cancel")
        | ("post", "/v1/payment-runs/{id}/approve")
        | ("post", "/v1/payment-runs/{id}/lines/{line}/paid")
        | ("post", "/v1/payment-runs/{id}/lines/{line}/failed") => r(ADMIN, T::PaymentRun),
        ("get", "/v1/commitments") | ("get", "/v1/commitments/report") => r(EVERYONE, T::None),
        ("post", "/v1/commitments/import") => r(ADMIN, T::None),
        ("get", "/v1/commitments/{id}") => r(EVERYONE, T::Commitment),
        ("post", "/v1/commitments/{id}/status") => r(ADMIN, T::Commitment),
        ("post", "/v1/awards/{id}/evaluation-returns") => r(&[Role::Grantee], T::Award),
        ("get", "/v1/awards/{id}/evaluation-returns") => r(READ_RETURNS, T::Award),
        ("put", "/v1/awards/{id}/return-due-date") => r(ADMIN, T::Award),
        ("get", "/v1/evaluation-returns/overdue") => r(OVERSIGHT, T::None),
        ("get", "/v1/evaluation-returns/{id}") => r(READ_RETURNS, T::Return),
        ("post", "/v1/evaluation-returns/{id}/review") => r(ADMIN, T::Return),
        ("get", "/v1/funds/{id}/outcomes") => r(EVERYONE, T::Fund),
        ("get", "/v1/funds/{id}/reconciliation") => r(AUDITORS, T::Fund),
        ("get", "/v1/audit-events") | ("get", "/v1/audit-events/verify") => r(AUDITORS, T::None),
        ("get", "/v1/exports/360giving") => r(PAYMENT_READERS, T::None),
        // One handler serves every sheet; `{sheet}` is tried as `awards`.
        ("get", "/v1/exports/{sheet}") => r(AUDITORS, T::None),
        ("post", "/v1/imports/grantees") => r(ADMIN, T::None),
        ("post", "/v1/rounds/{id}/imports/awards") => r(ADMIN, T::Round),
        _ => None,
    }
}

/// A valid body for the route, fresh each call so creates do not collide.
fn body(method: &str, path: &str, world: Option<&World>) -> Option<Value> {
    let own = world.map(|w| w.own_grantee.clone()).unwrap_or_default();
    let own_application = world.map(|w| w.own_application.clone()).unwrap_or_default();
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let code = format!("F{}", &unique[unique.len() - 8..]).to_uppercase();
    match (method, path) {
        ("post", "/v1/auth/token") => {
            Some(json!({"email": "nobody@example.org", "password": "wrong password"}))
        }
        ("post", "/v1/users") => Some(
            json!({"email": format!("{unique}@example.org"), "password": "a long enough password", "role": "auditor"}),
        ),
        ("patch", "/v1/users/{id}") => Some(json!({"disabled": false})),
        ("post", "/v1/users/invitations") => Some(
            json!({"email": format!("{unique}@example.org"), "role": "grantee", "grantee_id": own}),
        ),
        ("post", "/v1/auth/password-reset") => Some(json!({"email": "nobody@example.org"})),
        ("post", "/v1/me/two-factor/confirm")
        | ("post", "/v1/me/two-factor/recovery-codes")
        | ("post", "/v1/me/two-factor/turn-off") => Some(json!({"code": "000000"})),
        // A wrong current password: refused 422 for everyone signed in,
        // so the matrix's tokens keep working.
        ("put", "/v1/me/password") => Some(
            json!({"current_password": "not the password", "new_password": "a long enough password"}),
        ),
        ("post", "/v1/funds") => {
            Some(json!({"code": code, "name": "Matrix fund", "budget": "10.00"}))
        }
        ("patch", "/v1/funds/{id}")
        | ("patch", "/v1/rounds/{id}")
        | ("patch", "/v1/grantees/{id}") => Some(json!({"name": "Renamed"})),
        ("post", "/v1/funds/{id}/rounds") => Some(json!({
            "name": "Matrix round", "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z",
            "allocation": "10.00", "min_grant": "1.00", "max_grant": "10.00"
        })),
        ("post", "/v1/grantees") => Some(json!({
            "name": "Matrix group", "organisation_type": "community_group", "region": "london",
            "local_authority": "Lambeth", "postcode": "SE11 5QY", "annual_income": "100.00"
        })),
        ("post", "/v1/grantees/{id}/due-diligence") => Some(json!({"outcome": "passed"})),
        ("put", "/v1/rounds/{id}/criteria") => Some(criteria_body()),
        ("put", "/v1/rounds/{id}/form") => Some(form_body()),
        ("put", "/v1/applications/{id}/answers") => Some(json!({"anything_else": "matrix"})),
        ("put", "/v1/applications/{id}/panel-recommendation") => {
            Some(json!({"decision": "reserve", "note": "matrix"}))
        }
        ("post", "/v1/grantees/{id}/checks") => {
            Some(json!({"kind": "registration", "status": "passed", "evidence": "matrix"}))
        }
        ("post", "/v1/rounds/{id}/applications") => Some(json!({
            "amount_requested": "5.00", "project_title": "Matrix project", "summary": "Tea and talk", "grantee_id": own
        })),
        ("patch", "/v1/applications/{id}") => Some(json!({"project_title": "Renamed"})),
        ("post", "/v1/applications/{id}/assessments") => {
            Some(json!({"kind": "scored", "score": 5, "recommendation": "award"}))
        }
        ("post", "/v1/applications/{id}/decision") => {
            Some(json!({"outcome": "reject", "reason": "matrix"}))
        }
        ("post", "/v1/applications/{id}/deadline-extension") => {
            Some(json!({"until": "2099-06-30T12:00:00Z", "reason": "matrix"}))
        }
        ("post", "/v1/rounds/{id}/decisions") => Some(json!({
            "decisions": [{"application_id": own_application, "outcome": "reject", "reason": "matrix"}]
        })),
        ("post", "/v1/awards/{id}/cancel") => Some(json!({"reason": "matrix"})),
        ("post", "/v1/awards/{id}/variations") => {
            Some(json!({"amount": "4.00", "reason": "matrix"}))
        }
        ("post", "/v1/awards/{id}/disbursements") => {
            Some(json!({"amount": "1.00", "due_on": "2026-01-01"}))
        }
        ("post", "/v1/payment-runs") => Some(json!({"due_by": "2099-01-01"})),
        ("post", "/v1/disbursements/{id}/returned") => Some(json!({"reason_code": "B"})),
        // Entered last by the grantee user (the matrix tries roles in
        // order), so the administrator may then verify or reject it.
        ("put", "/v1/grantees/{id}/bank-details") => Some(json!({
            "account_name": "Ours", "sort_code": "08-99-99", "account_number": "66374958"
        })),
        ("post", "/v1/grantees/{id}/bank-details/verify")
        | ("post", "/v1/grantees/{id}/bank-details/reject") => Some(json!({"note": "matrix"})),
        ("post", "/v1/commitments/{id}/status") => {
            Some(json!({"status": "completed", "note": "Matrix check"}))
        }
        ("post", "/v1/awards/{id}/evaluation-returns") => Some(json!({
            "period_start": "2026-04-01", "period_end": "2026-09-30",
            "participants_reached": 12, "volunteers": 2, "sessions_delivered": 20,
            "narrative": "Weekly lunches.",
            "responses": [
                {"stage": "baseline", "participant_code": "P-1", "direct": "often_always",
                 "lack_companionship": "often", "left_out": "often", "isolated": "some_of_the_time"},
                {"stage": "follow_up", "participant_code": "P-1", "direct": "occasionally"}
            ]
        })),
        ("put", "/v1/awards/{id}/return-due-date") => Some(json!({"return_due_on": "2026-12-31"})),
        ("post", "/v1/evaluation-returns/{id}/review") => {
            Some(json!({"decision": "request_changes", "comment": "Please add follow-ups"}))
        }
        (m, _) if m == "post" || m == "patch" || m == "put" => Some(json!({})),
        _ => None,
    }
}

/// Routes whose body is a file rather than JSON: the media type and the file.
fn raw_body(method: &str, path: &str) -> Option<(&'static str, &'static str)> {
    match (method, path) {
        ("post", "/v1/commitments/import") => Some(("text/plain", TRACKER)),
        ("post", "/v1/imports/grantees") => Some(("text/csv", GRANTEES_CSV)),
        // An empty file: refused 422 for the allowed, 403 for the rest.
        ("post", "/v1/rounds/{id}/imports/awards") => Some(("text/csv", "application_id,amount\n")),
        ("post", "/v1/grantees/{id}/documents")
        | ("post", "/v1/applications/{id}/attachments")
        | ("post", "/v1/evaluation-returns/{id}/attachments") => {
            Some(("application/octet-stream", PDF))
        }
        _ => None,
    }
}

const PDF: &str = "%PDF-1.7\n% matrix\n";

const GRANTEES_CSV: &str = "name,organisation_type,region,local_authority,postcode,annual_income\nMatrix import group,community_group,london,Lambeth,SE11 5QY,100.00\n";

const TRACKER: &str =
    "Pledge tracker\n\nPledge\tDept\tProgress\n1. Measure loneliness.\tDCMS\tIn progress\n";

/// A form of one optional question, so applications submit without answers.
fn form_body() -> Value {
    json!({"sections": [{"id": "more", "title": "More", "questions": [
        {"id": "anything_else", "label": "Anything else?", "type": "short_text", "required": false}
    ]}]})
}

/// Two weighted criteria on a 1–5 scale.
fn criteria_body() -> Value {
    json!({"scale": {"min": 1, "max": 5}, "margin": "1.5", "criteria": [
        {"name": "Reaches lonely people", "weight": 3},
        {"name": "Value for money", "weight": 1}
    ]})
}

fn world(app: &TestApp) -> World {
    let admin = app.user(Role::Admin, None);
    let fund = expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "MTX", "name": "Matrix", "budget": "1000000.00"}),
        ),
        201,
    );
    let fund = fund["id"].as_str().unwrap().to_owned();
    // The round is set up to open later, given its form, then opened.
    let mut round_body = body("post", "/v1/funds/{id}/rounds", None).unwrap();
    round_body["opens_at"] = json!("2098-01-01T00:00:00Z");
    let round = expect(
        app.post(
            &format!("/v1/funds/{fund}/rounds"),
            Some(&admin),
            &round_body,
        ),
        201,
    );
    let round_path = format!("/v1/rounds/{}", round["id"].as_str().unwrap());
    expect(
        app.put(
            &format!("{round_path}/form"),
            Some(&admin),
            None,
            &form_body(),
        ),
        200,
    );
    expect(
        app.patch(
            &round_path,
            Some(&admin),
            Some("*"),
            &json!({"opens_at": "2026-01-01T00:00:00Z"}),
        ),
        200,
    );
    let grantee = |name: &str| {
        let mut b = body("post", "/v1/grantees", None).unwrap();
        b["name"] = json!(name);
        expect(app.post("/v1/grantees", Some(&admin), &b), 201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Criteria, so the routes reading them answer for the allowed roles.
    expect(
        app.request(
            "PUT",
            &format!("/v1/rounds/{}/criteria", round["id"].as_str().unwrap()),
            Some(&admin),
            Some(&criteria_body()),
        ),
        200,
    );
    let own_grantee = grantee("Ours");
    let other_grantee = grantee("Theirs");
    let own_id: GranteeId = own_grantee.parse::<uuid::Uuid>().unwrap().into();
    let user_body = body("post", "/v1/users", None).unwrap();
    let user = expect(app.post("/v1/users", Some(&admin), &user_body), 201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An accepted award for each organisation, a tranche, and a payment run.
    let round_of = Round {
        id: round["id"].as_str().unwrap().to_owned(),
        admin: admin.clone(),
    };
    let award_for = |grantee: &str| {
        let grantee = Grantee {
            id: grantee.to_owned(),
            user: None,
        };
        app.pass_due_diligence(&admin, &grantee);
        let grant = app.accepted_award_with(
            &round_of,
            &grantee,
            json!({"amount_requested": "5.00", "project_title": "P", "summary": "S"}),
            "3.00",
        );
        (grant.application, grant.award)
    };
    let (own_application, own_award) = award_for(&own_grantee);
    let (other_application, other_award) = award_for(&other_grantee);
    let tranche = expect(
        app.post(
            &format!("/v1/awards/{own_award}/disbursements"),
            Some(&admin),
            &json!({"amount": "1.00", "due_on": "2026-01-01"}),
        ),
        201,
    );
    // Made by another administrator, so the matrix's may approve it.
    let run = expect(
        app.post(
            "/v1/payment-runs",
            Some(&app.admin()),
            &json!({"fund_id": fund, "due_by": "2026-01-01"}),
        ),
        201,
    );
    let imported = app.post_raw(
        "/v1/commitments/import",
        Some(&admin),
        "text/plain",
        TRACKER,
    );
    expect(imported, 200);
    let commitment = expect(app.get("/v1/commitments", Some(&admin)), 200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_id: GranteeId = other_grantee.parse::<uuid::Uuid>().unwrap().into();
    let own_token = app.user(Role::Grantee, Some(own_id));
    let other_token = app.user(Role::Grantee, Some(other_id));
    let submit = |award: &str, token: &str| {
        let path = format!("/v1/awards/{award}/evaluation-returns");
        let body = body("post", "/v1/awards/{id}/evaluation-returns", None).unwrap();
        expect(app.post(&path, Some(token), &body), 201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let own_return = submit(&own_award, &own_token);
    let other_return = submit(&other_award, &other_token);
    let document = |grantee: &str, token: &str| {
        let path = format!("/v1/grantees/{grantee}/documents?kind=governing_document&name=c.pdf");
        expect(
            app.post_raw(&path, Some(token), "application/octet-stream", PDF),
            201,
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let own_attachment = document(&own_grantee, &own_token);
    let other_attachment = document(&other_grantee, &other_token);
    let tokens = vec![
        (Role::Admin, admin),
        (Role::Assessor, app.user(Role::Assessor, None)),
        (Role::Auditor, app.user(Role::Auditor, None)),
        (Role::Grantee, own_token),
    ];
    World {
        fund,
        round: round["id"].as_str().unwrap().to_owned(),
        own_grantee,
        other_grantee,
        own_award,
        other_award,
        own_return,
        other_return,
        user,
        own_application,
        other_application,
        disbursement: tranche["id"].as_str().unwrap().to_owned(),
        payment_run: run["id"].as_str().unwrap().to_owned(),
        commitment,
        own_attachment,
        other_attachment,
        failed_mail: failed_mail(app),
        tokens,
    }
}

/// A message enqueued and then refused for good.
fn failed_mail(app: &TestApp) -> String {
    use grantledger_store::outbox;
    app.db
        .db
        .write(|c| {
            let id = outbox::enqueue(
                c,
                &outbox::NewMessage {
                    to_address: "nobody@example.invalid".to_owned(),
                    subject: "A test".to_owned(),
                    text_body: "A test.".to_owned(),
                    html_body: None,
                    kind: "test".to_owned(),
                    unsubscribe_url: None,
                },
                chrono::Utc::now(),
            )?;
            outbox::claim_due(c, chrono::Utc::now(), 100)?;
            outbox::mark_failed_attempt(c, id, "550 no such user", None)?;
            Ok::<_, grantledger_store::StoreError>(id.to_string())
        })
        .unwrap()
}

fn call(
    app: &TestApp,
    world: &World,
    method: &str,
    path: &str,
    template: &str,
    token: Option<&str>,
) -> u16 {
    let body = body(method, template, Some(world));
    let mut builder = app
        .client
        .request(method.to_uppercase().parse().unwrap(), app.url(path))
        .header("If-Match", "*");
    if let Some(token) = token {
        builder = builder.bearer_auth(token);
    }
    if let Some((content_type, file)) = raw_body(method, template) {
        builder = builder.header("Content-Type", content_type).body(file);
    } else if let Some(body) = body {
        builder = builder.json(&body);
    }
    builder.send().unwrap().status().as_u16()
}

fn every_route_answers_every_role_as_the_policy_says(app: &TestApp) {
    let world = world(app);
    let doc = expect(app.get("/openapi.json", None), 200);
    let paths = doc["paths"].as_object().unwrap();
    assert!(
        paths.len() >= 15,
        "the document lists too few paths: {}",
        paths.len()
    );
    let mut checked = 0;
    for (template, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let rule = rule(method, template).unwrap_or_else(|| {
                panic!(
                    "{} {template} has no row in the authorization matrix",
                    method.to_uppercase()
                )
            });
            let with = |id: &str| template.replace("{id}", id);
            let template = &template.replace("{sheet}", "awards");
            let path = match rule.target {
                Target::None => template.clone(),
                Target::Fund => with(&world.fund),
                Target::Round => with(&world.round),
                Target::Grantee => with(&world.own_grantee),
                Target::Award => with(&world.own_award),
                Target::Return => with(&world.own_return),
                Target::User => with(&world.user),
                Target::Application => with(&world.own_application),
                Target::Disbursement => with(&world.disbursement),
                Target::PaymentRun => with(&world.payment_run),
                Target::Commitment => with(&world.commitment),
                Target::Attachment => with(&world.own_attachment),
                Target::FailedMail => with(&world.failed_mail),
            };
            let path = path.replace("{line}", &world.disbursement);
            let anonymous = call(app, &world, method, &path, template, None);
            if rule.public {
                assert!(
                    anonymous < 500 && anonymous != 403,
                    "{method} {path} anonymous: {anonymous}"
                );
            } else {
                assert_eq!(anonymous, 401, "{method} {path} without a token");
            }
            for (role, token) in &world.tokens {
                // Signing out everywhere ends the caller's tokens: a fresh
                // user of the same role (and organisation) stands in.
                let fresh;
                let token = if template == "/v1/me/sign-out-everywhere" {
                    let grantee = (*role == Role::Grantee)
                        .then(|| world.own_grantee.parse::<uuid::Uuid>().unwrap().into());
                    fresh = app.user(*role, grantee);
                    &fresh
                } else {
                    token
                };
                let status = call(app, &world, method, &path, template, Some(token));
                if rule.public {
                    assert!(
                        status < 500 && status != 403,
                        "{method} {path} as {role}: {status}"
                    );
                } else if rule.allowed.contains(role) {
                    assert!(
                        status < 500 && ![401, 403, 404].contains(&status),
                        "{method} {path} as {role}: got {status}, expected it to be allowed"
                    );
                } else {
                    assert_eq!(status, 403, "{method} {path} as {role} should be forbidden");
                }
                let other = match rule.target {
                    Target::Grantee => Some(&world.other_grantee),
                    Target::Application => Some(&world.other_application),
                    Target::Award => Some(&world.other_award),
                    Target::Return => Some(&world.other_return),
                    Target::Attachment => Some(&world.other_attachment),
                    _ => None,
                };
                if let Some(other) =
                    other.filter(|_| *role == Role::Grantee && rule.allowed.contains(role))
                {
                    let theirs = with(other);
                    let status = call(app, &world, method, &theirs, template, Some(token));
                    assert_eq!(
                        status, 404,
                        "{method} {theirs}: another organisation's record must be hidden"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 4 * 20, "only {checked} checks ran");
}

api_tests!(every_route_answers_every_role_as_the_policy_says);
