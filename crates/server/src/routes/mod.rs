//! The `/v1` routes, registered with their OpenAPI descriptions.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod awards;
pub mod bank_details;
pub mod checks;
pub mod commitments;
pub mod documents;
pub mod evaluation;
pub mod exports;
pub mod forms;
pub mod funds;
pub mod grantees;
pub mod imports;
pub mod mail;
pub mod panels;
pub mod payment_runs;
pub mod payments;
pub mod rounds;
pub mod two_factor;
pub mod users;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/v1` route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/v1")
            .service(auth::issue_token)
            .service(users::me)
            .service(accounts::password_reset)
            .service(accounts::put_password)
            .service(accounts::sign_out_everywhere)
            .service(two_factor::status)
            .service(two_factor::begin)
            .service(two_factor::confirm)
            .service(two_factor::renew_recovery_codes)
            .service(two_factor::turn_off)
            .service(two_factor::reset)
            .service(mail::failed)
            .service(mail::retry)
            .service(accounts::invite)
            .service(users::create)
            .service(users::list)
            .service(users::get_one)
            .service(users::update)
            .service(funds::create_fund)
            .service(funds::list_funds)
            .service(funds::get_fund)
            .service(funds::update_fund)
            .service(funds::open_fund)
            .service(funds::close_fund)
            .service(rounds::create_round)
            .service(rounds::list_rounds)
            .service(rounds::get_round)
            .service(rounds::update_round)
            .service(grantees::create_grantee)
            .service(grantees::list_grantees)
            .service(grantees::get_grantee)
            .service(grantees::update_grantee)
            .service(grantees::record_due_diligence)
            .service(checks::record_check)
            .service(checks::list_checks)
            .service(documents::upload_application_file)
            .service(documents::list_application_files)
            .service(documents::upload_return_evidence)
            .service(documents::list_return_evidence)
            .service(documents::upload_organisation_document)
            .service(documents::list_organisation_documents)
            .service(documents::get_attachment)
            .service(documents::download_attachment)
            .service(bank_details::get_bank_details)
            .service(bank_details::enter_bank_details)
            .service(bank_details::verify_bank_details)
            .service(bank_details::reject_bank_details)
            .service(bank_details::waiting_bank_details)
            .service(applications::create_application)
            .service(applications::list_applications)
            .service(applications::get_one)
            .service(applications::update)
            .service(applications::submit)
            .service(applications::withdraw)
            .service(applications::extend_deadline)
            .service(applications::start_review)
            .service(applications::list_assessments)
            .service(applications::assess)
            .service(applications::decide_one)
            .service(applications::bulk_decision)
            .service(forms::get_form)
            .service(forms::form_versions)
            .service(forms::put_form)
            .service(forms::get_answers)
            .service(forms::put_answers)
            .service(panels::get_criteria)
            .service(panels::put_criteria)
            .service(panels::assign_round)
            .service(panels::list_assignments)
            .service(panels::my_assignments)
            .service(panels::assign_one)
            .service(panels::score)
            .service(panels::panel)
            .service(panels::recommend)
            .service(awards::list_awards)
            .service(awards::get_one)
            .service(awards::accept)
            .service(awards::decline)
            .service(awards::cancel)
            .service(awards::complete)
            .service(awards::list_variations)
            .service(awards::vary)
            .service(awards::list_disbursements)
            .service(awards::schedule)
            .service(payments::paid)
            .service(payments::failed)
            .service(payments::reverse)
            .service(payments::returned)
            .service(payment_runs::approve_run)
            .service(payment_runs::run_lines)
            .service(payment_runs::line_paid)
            .service(payment_runs::line_failed)
            .service(payment_runs::create_run)
            .service(payment_runs::list_runs)
            .service(payment_runs::get_run)
            .service(payment_runs::export_run)
            .service(payment_runs::audit_copy)
            .service(payment_runs::confirm_run)
            .service(payment_runs::cancel_run)
            .service(commitments::import_commitments)
            .service(commitments::list_commitments)
            // Before `/commitments/{id}`, which would otherwise take "report" for an id.
            .service(commitments::commitments_report)
            .service(commitments::get_commitment)
            .service(commitments::set_commitment_status)
            // `overdue` before `{id}`, which would otherwise claim it.
            .service(evaluation::list_overdue)
            .service(evaluation::submit_return)
            .service(evaluation::list_award_returns)
            .service(evaluation::set_return_due_date)
            .service(evaluation::get_return)
            .service(evaluation::review_return)
            .service(evaluation::fund_outcomes)
            .service(audit::reconcile)
            .service(audit::list_events)
            .service(audit::verify)
            .service(exports::export_360giving)
            // After /exports/360giving, which the pattern would also match.
            .service(exports::export_spreadsheet)
            .service(imports::import_grantees_route)
            .service(imports::import_awards_route),
    );
}
