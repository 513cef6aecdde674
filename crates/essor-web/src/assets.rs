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
    // The directory's live search (the page works without it).
    Asset {
        name: "actors-search.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/actors-search.js"),
    },
    // The map of the directory of actors: Leaflet 1.9.4 (BSD-2-Clause, assets/LICENSE-leaflet),
    // vendored from npm's `leaflet` package with flattened image names, and essor's own script.
    Asset {
        name: "actors-map.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/actors-map.css"),
    },
    Asset {
        name: "actors-map.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/actors-map.js"),
    },
    Asset {
        name: "leaflet.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/leaflet.css"),
    },
    Asset {
        name: "leaflet.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/leaflet.js"),
    },
    Asset {
        name: "leaflet-layers.png",
        content_type: "image/png",
        body: include_bytes!("../assets/leaflet-layers.png"),
    },
    Asset {
        name: "leaflet-layers-2x.png",
        content_type: "image/png",
        body: include_bytes!("../assets/leaflet-layers-2x.png"),
    },
    Asset {
        name: "leaflet-marker-icon.png",
        content_type: "image/png",
        body: include_bytes!("../assets/leaflet-marker-icon.png"),
    },
    Asset {
        name: "leaflet-marker-icon-2x.png",
        content_type: "image/png",
        body: include_bytes!("../assets/leaflet-marker-icon-2x.png"),
    },
    Asset {
        name: "leaflet-marker-shadow.png",
        content_type: "image/png",
        body: include_bytes!("../assets/leaflet-marker-shadow.png"),
    },
    Asset {
        name: "LICENSE-leaflet",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../assets/LICENSE-leaflet"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn served(name: &str) -> bool {
        ASSETS.iter().any(|a| a.name == name)
    }

    #[test]
    fn every_file_a_style_sheet_refers_to_is_served_from_the_same_folder() {
        for sheet in ASSETS
            .iter()
            .filter(|a| a.content_type.starts_with("text/css"))
        {
            let text = std::str::from_utf8(sheet.body).unwrap();
            for reference in text.split("url(").skip(1) {
                let target = reference[..reference.find(')').unwrap()].trim_matches(['"', '\'']);
                if target.starts_with('#') || target.starts_with("data:") {
                    continue;
                }
                assert!(served(target), "{} refers to {target}", sheet.name);
            }
        }
    }

    #[test]
    fn every_asset_has_the_content_type_of_its_extension() {
        for asset in ASSETS {
            let expected = match asset.name.rsplit_once('.').map(|(_, ext)| ext) {
                Some("css") => "text/css; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("png") => "image/png",
                Some("svg") => "image/svg+xml",
                _ => "text/plain; charset=utf-8",
            };
            assert_eq!(asset.content_type, expected, "{}", asset.name);
        }
    }

    #[test]
    fn leaflet_is_served_with_its_licence() {
        let script = ASSETS.iter().find(|a| a.name == "leaflet.js").unwrap();
        assert!(
            std::str::from_utf8(&script.body[..200])
                .unwrap()
                .contains("Leaflet 1.9.4")
        );
        let licence = ASSETS.iter().find(|a| a.name == "LICENSE-leaflet").unwrap();
        assert!(
            std::str::from_utf8(licence.body)
                .unwrap()
                .starts_with("BSD 2-Clause License")
        );
    }
}
