//! The portal's design assets, built into the binary (no files to deploy,
//! no Node at run time). They are served under a fingerprint of their
//! contents, `/assets/<fingerprint>/<name>`, so browsers may keep them for
//! a year and a new build is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "portal.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/portal.css"),
    },
    Asset {
        name: "govuk-frontend.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/govuk-frontend.min.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../assets/favicon.svg"),
    },
];

static FINGERPRINT: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = Sha256::new();
    for asset in ASSETS {
        hasher.update(asset.name.as_bytes());
        hasher.update(asset.bytes);
    }
    hex::encode(hasher.finalize()).chars().take(12).collect()
});

/// Where the assets are served now, e.g. `/assets/3f9a0c1b2d4e`.
#[must_use]
pub fn base() -> String {
    format!("/assets/{}", *FINGERPRINT)
}

/// One asset. An old fingerprint still gets today's file (a page cached
/// before a deploy keeps its styles) but is not cached for long.
#[get("/assets/{fingerprint}/{name}")]
pub async fn serve(path: web::Path<(String, String)>) -> HttpResponse {
    let (fingerprint, name) = path.into_inner();
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let cache = if fingerprint == *FINGERPRINT {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.bytes)
}
