//! The document a running server serves at `/openapi.json` is the one
//! `grantledger_server::app::openapi()` builds, which
//! crates/server/tests/api_document.rs keeps as a reviewed snapshot.

use grantledger_tests::{TestApp, api_tests, expect};

fn the_served_document_is_the_snapshotted_one(app: &TestApp) {
    let served = expect(app.get("/openapi.json", None), 200);
    let built = serde_json::to_value(grantledger_server::app::openapi()).unwrap();
    assert_eq!(served, built);
}

api_tests!(the_served_document_is_the_snapshotted_one);
