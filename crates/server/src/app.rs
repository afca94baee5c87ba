//! The actix-web application: shared state and route table.

use std::net::SocketAddr;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use grantledger_store::Database;

/// What every request handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
}

/// Registers every route on an actix service config.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::health::healthz)
        .service(crate::health::readyz);
}

/// Runs the HTTP service until interrupted.
pub async fn serve(db: Database, bind: SocketAddr, workers: Option<usize>) -> anyhow::Result<()> {
    let state = web::Data::new(AppState { db });
    let mut server =
        HttpServer::new(move || App::new().app_data(state.clone()).configure(configure));
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    let server = server
        .bind(bind)
        .with_context(|| format!("binding {bind}"))?;
    for addr in server.addrs() {
        tracing::info!(%addr, "grantledger is listening");
    }
    server.run().await.context("running the HTTP server")
}
