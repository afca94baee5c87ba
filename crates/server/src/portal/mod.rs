//! The web portal: server-rendered pages at `/` for the people the fund
//! serves, on the same operations as the JSON API at `/v1`.
//!
//! Pages are askama templates (`templates/`, escaped by default) in the
//! GOV.UK Frontend design under our own name; every word comes from the
//! message catalogue (`locales/`). Every journey is a plain form post, so
//! the portal works with JavaScript off; `assets/app.js` only enhances.
//! Sessions, CSRF and the security headers are in [`session`] and [`page`];
//! docs/PORTAL.md describes the journeys.

pub mod account;
pub mod accounts;
pub mod answers;
pub mod application_staff;
pub mod applications;
pub mod assets;
pub mod audit_trail;
pub mod award_admin;
pub mod awards;
pub mod bank_details;
pub mod chart;
pub mod commitments;
pub mod criteria;
pub mod dashboard;
pub mod decisions;
pub mod documents;
pub mod format;
pub mod forms;
pub mod fund_admin;
pub mod funds;
pub mod grantee_admin;
pub mod grantees;
pub mod imports;
pub mod mail;
pub mod messages;
pub mod organisation;
pub mod page;
pub mod panels;
pub mod payment_run;
pub mod payment_runs;
pub mod people;
pub mod queue;
pub mod reminders;
pub mod returns;
pub mod round_admin;
pub mod round_form;
pub mod rounds;
pub mod session;
pub mod sign_in;
pub mod table;
pub mod two_factor;
pub mod verify_bank_details;

use actix_web::middleware::{Compress, from_fn};
use actix_web::web;

/// Sources whose message keys the catalogue test checks.
#[cfg(test)]
pub(crate) const SOURCES_USING_MESSAGES: &[&str] = &[
    include_str!("../../templates/base.html"),
    include_str!("../../templates/macros.html"),
    include_str!("../../templates/error.html"),
    include_str!("../../templates/sign_in.html"),
    include_str!("../../templates/dashboard.html"),
    include_str!("../../templates/staff_home.html"),
    include_str!("page.rs"),
    include_str!("sign_in.rs"),
    include_str!("dashboard.rs"),
    include_str!("rounds.rs"),
    include_str!("applications.rs"),
    include_str!("awards.rs"),
    include_str!("organisation.rs"),
    include_str!("documents.rs"),
    include_str!("../../templates/round.html"),
    include_str!("../../templates/eligibility.html"),
    include_str!("../../templates/eligibility_result.html"),
    include_str!("../../templates/application_form.html"),
    include_str!("../../templates/application_summary.html"),
    include_str!("../../templates/application.html"),
    include_str!("../../templates/check_answers.html"),
    include_str!("../../templates/submitted.html"),
    include_str!("../../templates/withdraw.html"),
    include_str!("../../templates/award.html"),
    include_str!("../../templates/decline.html"),
    include_str!("../../templates/organisation.html"),
    include_str!("../../templates/return.html"),
    include_str!("returns/mod.rs"),
    include_str!("returns/form.rs"),
    include_str!("returns/upload.rs"),
    include_str!("bank_details.rs"),
    include_str!("verify_bank_details.rs"),
    include_str!("../../templates/bank_details.html"),
    include_str!("../../templates/bank_details_waiting.html"),
    include_str!("../../templates/grantee_bank_details.html"),
    include_str!("payment_runs.rs"),
    include_str!("payment_run.rs"),
    include_str!("../../templates/payment_runs.html"),
    include_str!("../../templates/payment_run_new.html"),
    include_str!("../../templates/payment_run.html"),
    include_str!("../../templates/payment_run_cancel.html"),
    include_str!("funds/mod.rs"),
    include_str!("funds/figures.rs"),
    include_str!("../../templates/fund.html"),
    include_str!("audit_trail.rs"),
    include_str!("../../templates/audit_trail.html"),
    include_str!("../../templates/audit_event.html"),
    include_str!("../../templates/audit_verify.html"),
    include_str!("accounts.rs"),
    include_str!("account.rs"),
    include_str!("people.rs"),
    include_str!("../../templates/set_password.html"),
    include_str!("../../templates/link_refused.html"),
    include_str!("../../templates/forgot_password.html"),
    include_str!("../../templates/account_password.html"),
    include_str!("../../templates/people.html"),
    include_str!("two_factor.rs"),
    include_str!("returns/overdue.rs"),
    include_str!("grantee_admin.rs"),
    include_str!("funds/outcomes.rs"),
    include_str!("imports.rs"),
    include_str!("commitments.rs"),
    include_str!("../../templates/commitments.html"),
    include_str!("../../templates/commitment.html"),
    include_str!("../../templates/commitments_report.html"),
    include_str!("../../templates/imports.html"),
    include_str!("../../templates/outcomes.html"),
    include_str!("../../templates/grantee_edit.html"),
    include_str!("../../templates/overdue_returns.html"),
    include_str!("../../templates/sign_in_code.html"),
    include_str!("../../templates/account_two_factor.html"),
];

/// Adds the portal's pages. Registered after the API, so `/v1`, `/docs`
/// and the health routes keep their own answers; any other path is the
/// portal's, and an unknown one gets its 404 page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .app_data(web::PayloadConfig::new(session::FORM_LIMIT))
            .wrap(from_fn(page::protect))
            .wrap(Compress::default())
            .service(assets::serve)
            .service(sign_in::home)
            .service(sign_in::show)
            .service(sign_in::submit)
            .service(sign_in::sign_out)
            .service(two_factor::ask)
            .service(two_factor::check)
            .service(two_factor::show)
            .service(two_factor::start)
            .service(two_factor::confirm)
            .service(two_factor::renew)
            .service(two_factor::turn_off)
            .service(accounts::show)
            .service(accounts::submit)
            .service(accounts::forgot)
            .service(accounts::request)
            .service(account::show)
            .service(account::change)
            .service(account::sign_out_everywhere)
            .service(mail::show)
            .service(mail::retry)
            .service(reminders::ask)
            .service(reminders::stop)
            .service(reminders::show)
            .service(reminders::set)
            .service(reminders::resume)
            .service(people::admin_list)
            .service(people::admin_invite)
            .service(people::owner_list)
            .service(people::owner_invite)
            .service(people::owner_remove)
            .service(organisation::show)
            .service(documents::upload)
            .service(documents::download_page)
            .service(bank_details::show)
            .service(bank_details::enter)
            .service(verify_bank_details::waiting)
            .service(verify_bank_details::show)
            .service(verify_bank_details::verify_change)
            .service(verify_bank_details::reject_change)
            .service(payment_runs::list)
            .service(payment_runs::new_form)
            .service(payment_runs::create)
            .service(payment_runs::cancel_form)
            .service(payment_run::show)
            .service(payment_run::approve)
            .service(payment_run::cancel)
            .service(payment_run::settle)
            .service(payment_run::file)
            .service(audit_trail::list)
            .service(audit_trail::verify)
            .service(audit_trail::show)
            // Before `/grantees/{id}`, which would take "new".
            .service(grantee_admin::new_form)
            .service(grantee_admin::register)
            .service(grantee_admin::edit_form)
            .service(grantee_admin::edit)
            .service(grantees::list)
            .service(grantees::show)
            .service(grantees::record_check)
            .service(grantees::record_due_diligence)
            // Before `/funds/{id}`, which would take "new" for a fund.
            .service(fund_admin::new_fund)
            .service(funds::show)
            .service(funds::reconciliation_csv)
            .service(funds::spreadsheet)
            .service(funds::outcomes::show)
            .service(commitments::list)
            .service(commitments::import)
            // Before `/commitments/{id}`, which would take "report".
            .service(commitments::report)
            .service(commitments::show)
            .service(commitments::set_status)
            .service(imports::show)
            .service(imports::grantees)
            .service(imports::awards)
            .service(funds::outcomes::csv)
            .service(returns::overdue::list)
            .service(funds::open_data)
            .service(rounds::show)
            .service(rounds::questions)
            .service(rounds::check)
            .service(applications::new_form)
            .service(applications::start)
            .service(applications::show)
            .service(applications::edit_form)
            .service(applications::edit)
            .service(applications::check)
            .service(applications::submit)
            .service(applications::confirmation)
            .service(applications::withdraw_form)
            .service(applications::withdraw)
            .service(answers::section_form)
            .service(answers::save_section)
            .service(application_staff::start_review)
            .service(application_staff::extend_form)
            .service(application_staff::extend)
            .service(answers::file_form)
            .service(answers::upload_file)
            .service(round_form::show_form)
            .service(round_form::save_form)
            .service(fund_admin::create_fund)
            .service(fund_admin::edit_fund_form)
            .service(fund_admin::edit_fund)
            .service(fund_admin::open_fund)
            .service(fund_admin::close_fund)
            .service(round_admin::new_round)
            .service(round_admin::create_round)
            .service(round_admin::edit_round_form)
            .service(round_admin::edit_round)
            .service(round_admin::open_or_close_now)
            .service(people::admin_disable)
            .service(award_admin::manage)
            .service(award_admin::schedule_tranche)
            .service(award_admin::vary_award)
            .service(award_admin::set_return_due)
            .service(award_admin::complete_award)
            .service(award_admin::cancel_award)
            .service(decisions::decide_form)
            .service(decisions::decide)
            .service(panels::assignments)
            .service(panels::score_form)
            .service(panels::score)
            .service(panels::panel)
            .service(panels::assign)
            .service(panels::recommend)
            .service(panels::assign_one)
            .service(criteria::criteria_form)
            .service(criteria::save_criteria)
            .service(queue::list)
            .service(queue::decide)
            .service(awards::show)
            .service(awards::accept)
            .service(awards::decline_form)
            .service(awards::decline)
            .service(returns::show)
            .service(returns::save)
            .service(returns::template)
            .service(returns::upload_file)
            .service(returns::review::review_return)
            .service(returns::evidence::attach)
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> page::PortalResult {
    Err(page::PortalError::NotFound)
}
