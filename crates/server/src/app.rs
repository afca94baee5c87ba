//! The actix-web application: shared state, the route table, the OpenAPI
//! document and the interactive docs.

use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use grantledger_store::Database;
use secrecy::SecretString;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Info, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::auth::limiter::LoginLimiter;
use crate::auth::password::HashingPool;
use crate::limits::{ClientLimits, ConnectionCounts, InFlight, LimitsState};
pub use crate::state::AppState;

/// Everything a server needs to start.
#[derive(Debug)]
pub struct ServerConfig {
    /// Signing keys.
    pub keys: JwtKeys,
    /// HTTP worker threads; one per core when absent.
    pub workers: Option<usize>,
    /// Per-client limits, who may read `/metrics`, and shutdown.
    pub operations: Operations,
    /// Who publishes the 360Giving export ([`crate::opendata::publisher_from_env`]);
    /// `None` refuses exports until a prefix is configured.
    pub publisher: Option<grantledger_domain::opendata::Publisher>,
    /// The keys sealing grantees' bank details.
    pub bank_keys: grantledger_store::bank_details::Keyring,
    /// The fund's Bacs originator; `None` refuses Standard 18 files.
    pub originator: Option<grantledger_domain::bank::Originator>,
    /// Pay.UK's modulus checking tables.
    pub modulus: grantledger_domain::bank::ModulusTable,
    /// What notices by email link to.
    pub notices: crate::operations::notices::Notices,
    /// How the outbox is sent; `None` runs no dispatcher (messages wait
    /// in the outbox for a process that does).
    pub mail: Option<crate::mail::MailConfig>,
}

/// How a server protects itself and stops.
#[derive(Debug)]
pub struct Operations {
    /// Connections per client address and the body-read deadline.
    pub limits: ClientLimits,
    /// A listener of its own for `/metrics` (nothing else is served there).
    pub metrics_listener: Option<std::net::TcpListener>,
    /// A bearer token that opens `/metrics` on the main address too.
    pub metrics_token: Option<SecretString>,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// The requests running now (shared with whoever reports on shutdown).
    pub in_flight: InFlight,
}

/// The default grace period for requests in flight at shutdown.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

impl Default for Operations {
    /// Default limits; `/metrics` served nowhere; 30 s of grace.
    fn default() -> Self {
        Operations {
            limits: ClientLimits::default(),
            metrics_listener: None,
            metrics_token: None,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            in_flight: InFlight::default(),
        }
    }
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
    crate::api_document::document_errors(api);
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
        .configure(crate::portal::configure)
        .default_service(crate::extract::default_service())
        .wrap(crate::auth::principal::current_user())
}

/// The OpenAPI document, without starting a server (for tests and export).
pub fn openapi() -> OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .service(crate::health::healthz)
        .service(crate::health::readyz)
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
        hashing: Arc::new(HashingPool::default()),
        publisher: config.publisher,
        bank_keys: Arc::new(config.bank_keys),
        originator: config.originator,
        modulus: Arc::new(config.modulus),
        notices: Arc::new(config.notices),
    });
    if let Some(mail) = config.mail {
        crate::mail::spawn(sealer_db.clone(), mail, state.notices.as_ref().clone());
    }
    let keys = web::Data::new(config.keys);
    let metrics = crate::middleware::metrics()?;
    let operations = config.operations;
    let metrics_addr = match &operations.metrics_listener {
        Some(listener) => Some(listener.local_addr().context("the metrics listener")?),
        None => None,
    };
    let gate = web::Data::new(crate::middleware::MetricsGate {
        listener: metrics_addr,
        token: operations.metrics_token,
    });
    let limits = web::Data::new(LimitsState {
        limits: operations.limits,
        in_flight: operations.in_flight,
    });
    let counts = ConnectionCounts::default();
    let mut server = HttpServer::new(move || {
        build(state.clone(), keys.clone())
            .app_data(gate.clone())
            .app_data(limits.clone())
            .wrap(from_fn(crate::middleware::problem_errors))
            .wrap(from_fn(crate::middleware::security_headers))
            .wrap(from_fn(crate::limits::client_limits))
            .wrap(metrics.clone())
            .wrap(from_fn(crate::middleware::metrics_gate))
            .wrap(from_fn(crate::middleware::request_context))
    })
    .on_connect(move |connection, data| crate::limits::on_connect(&counts, connection, data))
    // Signals are handled by `serve`, which logs what the shutdown does.
    .disable_signals()
    // `serve` drains requests in flight itself (see there); by the time it
    // asks actix to stop, what is left are idle keep-alive connections.
    .shutdown_timeout(ACTIX_SHUTDOWN_SECS);
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let mut server = server.listen(listener).context("listening")?;
    if let Some(listener) = operations.metrics_listener {
        server = server.listen(listener).context("listening for /metrics")?;
    }
    for addr in server.addrs() {
        if Some(addr) == metrics_addr {
            tracing::info!(%addr, "metrics are served at /metrics on this address");
        } else {
            tracing::info!(%addr, "grantledger is listening");
        }
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
    let sealer = std::sync::Arc::new(grantledger_store::audit::Sealer::new(sealer_db.clone()));
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(SEAL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let sealer = sealer.clone();
            let sealed = web::block(move || sealer.tick()).await;
            match sealed {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "sealing audit events failed; will retry"),
                Err(error) => tracing::warn!(%error, "the audit sealer could not run; will retry"),
            }
        }
    });
    Ok(server.run())
}

/// How often a shutdown looks again for requests still in flight.
const DRAIN_POLL: std::time::Duration = std::time::Duration::from_millis(25);

/// How long actix waits at shutdown for connections to close once the
/// grace period is over: idle keep-alive connections, or the requests
/// already logged as dropped.
const ACTIX_SHUTDOWN_SECS: u64 = 1;

/// How often the server seals new audit events into the hash chain.
pub const SEAL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs the HTTP service on a bound listener until SIGTERM or SIGINT (or
/// Ctrl-C), then shuts down gracefully: it stops accepting connections,
/// lets requests in flight finish for up to the grace period, logs each
/// request it had to drop, and logs a last `stopped` line.
pub async fn serve(
    db: Database,
    listener: std::net::TcpListener,
    config: ServerConfig,
) -> anyhow::Result<()> {
    let grace = config.operations.shutdown_grace;
    let in_flight = config.operations.in_flight.clone();
    let server = server(db, listener, config)?;
    let handle = server.handle();
    let watcher = in_flight.clone();
    let reported = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reporter = reported.clone();
    actix_web::rt::spawn(async move {
        let signal = shutdown_signal().await;
        tracing::info!(
            signal,
            in_flight = watcher.snapshot().len(),
            grace_secs = grace.as_secs(),
            "shutting down: no new connections; waiting for requests in flight"
        );
        // Drain by our own count of requests in flight rather than by
        // actix's count of connections: under load actix sometimes ended a
        // graceful stop at once and dropped a request mid-upload.
        handle.pause().await;
        let deadline = std::time::Instant::now() + grace;
        let mut left = watcher.snapshot();
        while !left.is_empty() && std::time::Instant::now() < deadline {
            actix_web::rt::time::sleep(DRAIN_POLL).await;
            left = watcher.snapshot();
        }
        if !left.is_empty() {
            log_dropped(&left);
            reporter.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        // Graceful either way: actix then waits for every worker to answer
        // (each logs as it stops) before `serve` logs its last line; what is
        // still running is closed after ACTIX_SHUTDOWN_SECS.
        handle.stop(true).await;
    });
    let result = server.await.context("running the HTTP server");
    if !reported.load(std::sync::atomic::Ordering::SeqCst) {
        log_dropped(&in_flight.snapshot());
    }
    tracing::info!("stopped");
    result
}

fn log_dropped(requests: &[crate::limits::RunningRequest]) {
    for dropped in requests {
        tracing::warn!(
            method = %dropped.method,
            path = %dropped.path,
            request_id = %dropped.request_id,
            running_secs = %format!("{:.3}", dropped.started.elapsed().as_secs_f64()),
            "request dropped: still running when the shutdown grace period ended"
        );
    }
}

/// Waits for SIGTERM or SIGINT (Ctrl-C elsewhere); returns its name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
