//! The `/v1` routes, registered with their OpenAPI descriptions.

pub mod auth;
pub mod evaluation;
pub mod funds;
pub mod grantees;
pub mod rounds;
pub mod users;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/v1` route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/v1")
            .service(auth::issue_token)
            .service(users::me)
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
            // `overdue` before `{id}`, which would otherwise claim it.
            .service(evaluation::list_overdue)
            .service(evaluation::submit_return)
            .service(evaluation::list_award_returns)
            .service(evaluation::set_return_due_date)
            .service(evaluation::get_return)
            .service(evaluation::review_return)
            .service(evaluation::fund_outcomes),
    );
}
