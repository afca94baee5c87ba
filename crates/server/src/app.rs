//! The actix-web application: shared state, the route table, the OpenAPI
//! document and the interactive docs.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use grantledger_store::Database;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Info, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::auth::limiter::LoginLimiter;

/// What every request handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// Sign-in attempt limits.
    pub limiter: Arc<LoginLimiter>,
    /// Who publishes the 360Giving export; `None` when no prefix is configured.
    pub publisher: Option<grantledger_domain::opendata::Publisher>,
}

/// Everything a server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Signing keys.
    pub keys: JwtKeys,
    /// HTTP worker threads; one per core when absent.
    pub workers: Option<usize>,
    /// Who publishes the 360Giving export ([`crate::opendata::publisher_from_env`]);
    /// `None` refuses exports until a prefix is configured.
    pub publisher: Option<grantledger_domain::opendata::Publisher>,
}

fn describe(api: &mut OpenApi) {
    let mut info = Info::new("grantledger", env!("CARGO_PKG_VERSION"));
    info.description = Some(
        "Grant fund management: funds, rounds, grantees, applications, awards and payments on an exact \
         double-entry ledger. Money is a string with two decimal places (\"2500.00\"). Errors are \
         application/problem+json (RFC 9457). Send `Authorization: Bearer <token>` from POST /v1/auth/token."
            .to_owned(),
    );
    api.info = info;
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
}

/// The application with every route, and the OpenAPI document describing it.
pub fn build(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut api) = App::new()
        .into_utoipa_app()
        .app_data(state)
        .app_data(keys)
        .app_data(crate::extract::query_config())
        .app_data(crate::extract::path_config())
        .app_data(crate::extract::json_config())
        .service(crate::health::healthz)
        .service(crate::health::readyz)
        .configure(crate::routes::configure)
        .split_for_parts();
    describe(&mut api);
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .service(web::redirect("/docs", "/docs/"))
        .default_service(crate::extract::default_service())
}

/// The OpenAPI document, without starting a server (for tests and export).
pub fn openapi() -> OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .configure(crate::routes::configure)
        .split_for_parts();
    describe(&mut api);
    api
}

/// Builds the HTTP server on an already-bound listener (tests bind port 0).
pub fn server(
    db: Database,
    listener: std::net::TcpListener,
    config: ServerConfig,
) -> anyhow::Result<actix_web::dev::Server> {
    let limiter = Arc::new(LoginLimiter::default());
    let sealer_db = db.clone();
    let state = web::Data::new(AppState {
        db,
        limiter: limiter.clone(),
        publisher: config.publisher,
    });
    let keys = web::Data::new(config.keys);
    let metrics = crate::middleware::metrics()?;
    let mut server = HttpServer::new(move || {
        build(state.clone(), keys.clone())
            .wrap(crate::middleware::problem_errors())
            .wrap(crate::middleware::security_headers())
            .wrap(metrics.clone())
            .wrap(crate::middleware::request_context())
    });
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let server = server.listen(listener).context("listening")?;
    for addr in server.addrs() {
        tracing::info!(%addr, "grantledger is listening");
    }
    // Forget old rate-limit keys now and then so memory stays bounded.
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    // Seal new audit events into the hash chain about once a second, off the
    // request path: writers only append events, so they never wait on the chain.
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(SEAL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let db = sealer_db.clone();
            let sealed = web::block(move || {
                grantledger_store::audit::seal_pending(
                    &db,
                    Some(grantledger_store::audit::SEAL_LOOKBACK),
                )
            })
            .await;
            match sealed {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "sealing audit events failed; will retry"),
                Err(error) => tracing::warn!(%error, "the audit sealer could not run; will retry"),
            }
        }
    });
    Ok(server.run())
}

/// How often the server seals new audit events into the hash chain.
pub const SEAL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs the HTTP service until interrupted.
pub async fn serve(db: Database, bind: SocketAddr, config: ServerConfig) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(bind).with_context(|| format!("binding {bind}"))?;
    server(db, listener, config)?
        .await
        .context("running the HTTP server")
}
