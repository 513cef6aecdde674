//! Geographic positions: establishments' coordinates as SIRENE gives them (Lambert-93) turned
//! into the latitude and longitude that web maps use (WGS 84).
//!
//! The projection itself is `proj4rs`'s, a pure-Rust port of PROJ's; nothing here computes a
//! projection by hand.

use std::sync::LazyLock;

use proj4rs::proj::Proj;
use serde::Serialize;

/// A position in WGS 84, in decimal degrees (GeoJSON writes it `[lon, lat]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// EPSG:2154, RGF93 v1 / Lambert-93, as PROJ defines it. RGF93 and WGS 84 coincide to a few
/// centimetres, below the six decimals kept (about 0.1 m), hence the null datum shift, which is
/// also what PROJ applies ("RGF93 v1 to WGS 84 (1)").
const LAMBERT_93: &str = "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 \
    +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs";

/// EPSG:4326, WGS 84 longitude and latitude.
const WGS_84: &str = "+proj=longlat +datum=WGS84 +no_defs +type=crs";

static PROJECTIONS: LazyLock<(Proj, Proj)> = LazyLock::new(|| {
    (
        Proj::from_proj_string(LAMBERT_93).expect("the Lambert-93 definition is valid"),
        Proj::from_proj_string(WGS_84).expect("the WGS 84 definition is valid"),
    )
});

/// The extent of metropolitan France (Corsica included) in Lambert-93, with a margin.
const X_RANGE: std::ops::RangeInclusive<f64> = 0.0..=1_300_000.0;
const Y_RANGE: std::ops::RangeInclusive<f64> = 6_000_000.0..=7_200_000.0;

/// The WGS 84 position of a point given in Lambert-93 metres (SIRENE's
/// `coordonneeLambertAbscisseEtablissement` and `coordonneeLambertOrdonneeEtablissement`),
/// rounded to six decimals (about 0.1 m).
///
/// `None` for a non-finite value or a point outside metropolitan France. SIRENE gives the
/// establishments of the overseas departments in their local projections (UTM zones), under
/// the same column names; their ordinates all fall outside the metropolitan range (Guyane,
/// Antilles below 2 000 000 m, Réunion and Mayotte above 7 600 000 m), so they get `None` too
/// rather than a position in the wrong ocean.
#[must_use]
pub fn lambert93_to_wgs84(x: f64, y: f64) -> Option<LatLon> {
    if !X_RANGE.contains(&x) || !Y_RANGE.contains(&y) {
        // NaN and the infinities are never contained in a range.
        return None;
    }
    let (from, to) = &*PROJECTIONS;
    let mut point = (x, y, 0.0);
    proj4rs::transform::transform(from, to, &mut point).ok()?;
    let (lon, lat) = (point.0.to_degrees(), point.1.to_degrees());
    if !lon.is_finite() || !lat.is_finite() {
        return None;
    }
    Some(LatLon {
        lat: round6(lat),
        lon: round6(lon),
    })
}

fn round6(degrees: f64) -> f64 {
    (degrees * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values computed with PROJ 9.5.1 (pyproj 3.7.2):
    /// `Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(x, y)`,
    /// i.e. "Inverse of Lambert-93 + RGF93 v1 to WGS 84 (1)".
    const REFERENCES: [(f64, f64, f64, f64); 8] = [
        // The projection's origin: 3° E, 46.5° N (IGN's definition of Lambert-93).
        (700_000.0, 6_600_000.0, 46.5, 3.0),
        // Grenoble, near the city hall.
        (913_600.0, 6_458_000.0, 45.188_194_226, 5.720_355_766),
        // Paris, Île de la Cité.
        (652_000.0, 6_862_000.0, 48.856_248_141, 2.345_811_959),
        // Brest.
        (145_000.0, 6_837_000.0, 48.395_613_840, -4.509_004_792),
        // Strasbourg.
        (1_050_000.0, 6_840_000.0, 48.565_518_045, 7.746_459_879),
        // Nice.
        (1_044_000.0, 6_299_000.0, 43.706_318_974, 7.269_037_994),
        // Southern Corsica.
        (1_220_000.0, 6_120_000.0, 41.994_676_497, 9.269_369_521),
        // Near a corner of the accepted range, far from the origin.
        (1_250_000.0, 7_100_000.0, 50.752_195_743, 10.791_815_628),
    ];

    #[test]
    fn lambert_93_points_land_where_proj_puts_them() {
        for (x, y, lat, lon) in REFERENCES {
            let got = lambert93_to_wgs84(x, y).unwrap();
            assert!(
                (got.lat - lat).abs() < 1e-5 && (got.lon - lon).abs() < 1e-5,
                "({x}, {y}) gave {got:?}, PROJ says ({lat}, {lon})"
            );
        }
    }

    #[test]
    fn positions_are_rounded_to_six_decimals() {
        let got = lambert93_to_wgs84(913_600.0, 6_458_000.0).unwrap();
        assert_eq!(
            got,
            LatLon {
                lat: 45.188_194,
                lon: 5.720_356
            }
        );
    }

    #[test]
    fn overseas_and_absurd_coordinates_give_no_position() {
        for (x, y) in [
            // Réunion (UTM 40S), Guadeloupe (UTM 20N), Guyane (UTM 22N), Mayotte (UTM 38S).
            (340_000.0, 7_665_000.0),
            (650_000.0, 1_780_000.0),
            (350_000.0, 540_000.0),
            (520_000.0, 8_587_000.0),
            (0.0, 0.0),
            (-1.0, 6_600_000.0),
            (f64::NAN, 6_600_000.0),
            (700_000.0, f64::INFINITY),
        ] {
            assert_eq!(lambert93_to_wgs84(x, y), None, "({x}, {y})");
        }
    }

    #[test]
    fn a_position_serialises_with_named_fields() {
        let json = serde_json::to_string(&LatLon {
            lat: 45.5,
            lon: 5.25,
        })
        .unwrap();
        assert_eq!(json, r#"{"lat":45.5,"lon":5.25}"#);
    }
}
