//! Static assets, embedded in the binary and served with long-lived cache headers.
//!
//! Pages link to `/static/NAME?v=HASH`; the hash changes with the content, so browsers may keep
//! a file for a year without ever seeing a stale one.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "essor.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/essor.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../assets/favicon.svg"),
    },
];

/// FNV-1a: a stable fingerprint of the content, enough to bust caches.
fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

static FINGERPRINTS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|a| fingerprint(a.body)).collect());

/// The URL of an asset, with its fingerprint.
pub(crate) fn url(name: &str) -> String {
    ASSETS.iter().position(|a| a.name == name).map_or_else(
        || format!("/static/{name}"),
        |i| format!("/static/{name}?v={}", FINGERPRINTS[i]),
    )
}

pub(crate) async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return crate::error::error_page(StatusCode::NOT_FOUND);
    };
    let asset = &ASSETS[i];
    let etag = format!("\"{}\"", FINGERPRINTS[i]);
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, cache),
            (header::ETAG, etag_value),
        ],
        asset.body,
    )
        .into_response()
}
