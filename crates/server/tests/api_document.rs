//! The API document as a reviewed snapshot: any change to a route, a
//! parameter, a schema or an error answer shows as a diff of
//! `snapshots/api_document__openapi.snap` in review. After an intended
//! change, run `INSTA_UPDATE=always cargo test --workspace --test
//! api_document` (or `cargo insta review`) and commit the new snapshot.
//! (tests/tests/api_document.rs checks the served document is this one.)

#[test]
fn the_api_document_is_as_reviewed() {
    let document = serde_json::to_value(grantledger_server::app::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", document);
}
