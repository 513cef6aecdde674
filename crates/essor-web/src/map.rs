//! Choropleth maps of communes, drawn as SVG from the commune contours shipped in `data/geo`
//! (no tile server). Contours exist for the communes of Isère only, for now; elsewhere the page
//! says the map is not available and the table remains.
//!
//! The same contours feed the interactive map of the directory of actors: as GeoJSON for its
//! background ([`contours_geojson`]), and as the place of an actor whose address has no
//! position ([`commune_centre`]).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use essor_domain::geo::LatLon;
use serde::{Deserialize, Serialize};
use svg::Document;
use svg::node::element::path::Data;
use svg::node::element::{Group, Path, Rectangle, Text, Title};

const CONTOURS: &str = include_str!("../../../data/geo/communes-38.geojson");

/// A closed ring of (longitude, latitude) points.
type Ring = Vec<(f64, f64)>;

/// A commune's contour: its polygons, each an outer ring followed by its holes.
struct Shape {
    name: String,
    polygons: Vec<Vec<Ring>>,
}

impl Shape {
    fn rings(&self) -> impl Iterator<Item = &Ring> {
        self.polygons.iter().flatten()
    }
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Geometry,
}

#[derive(Deserialize)]
struct Properties {
    code: String,
    #[serde(default)]
    nom: String,
}

#[derive(Deserialize, Serialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

static SHAPES: LazyLock<HashMap<String, Shape>> = LazyLock::new(|| {
    let Ok(collection) = serde_json::from_str::<Collection>(CONTOURS) else {
        tracing::error!("contours des communes illisibles");
        return HashMap::new();
    };
    let polygon = |rings: Vec<Vec<[f64; 2]>>| -> Vec<Ring> {
        rings
            .into_iter()
            .map(|r| r.into_iter().map(|[x, y]| (x, y)).collect())
            .collect()
    };
    collection
        .features
        .into_iter()
        .map(|f| {
            let polygons = match f.geometry {
                Geometry::Polygon(rings) => vec![polygon(rings)],
                Geometry::MultiPolygon(polygons) => polygons.into_iter().map(polygon).collect(),
            };
            let shape = Shape {
                name: f.properties.nom,
                polygons,
            };
            (f.properties.code, shape)
        })
        .collect()
});

/// One commune on the map.
pub struct Area {
    pub code: String,
    pub name: String,
    pub value: u64,
    pub shown: String,
}

/// Light to dark; the darkest reads white text, none is needed on the map itself.
const CLASSES: [&str; 5] = ["#e3f0f1", "#a9d3d6", "#5fa8ae", "#22767f", "#00404b"];

/// The map of `areas`, or `None` when a commune has no shipped contour.
#[must_use]
pub fn choropleth(areas: &[Area], labelled_by: &str, what: &str) -> Option<String> {
    if areas.is_empty() || areas.iter().any(|a| !SHAPES.contains_key(&a.code)) {
        return None;
    }
    let points = areas
        .iter()
        .flat_map(|a| SHAPES[&a.code].rings().flatten().copied());
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in points {
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    // Equirectangular projection, corrected for the latitude: fine at a territory's scale.
    let aspect = f64::midpoint(min_y, max_y).to_radians().cos();
    let width = 600.0;
    let scale = width / ((max_x - min_x) * aspect).max(f64::EPSILON);
    let height = (max_y - min_y) * scale;
    let project = |(x, y): (f64, f64)| ((x - min_x) * aspect * scale, (max_y - y) * scale);

    let max_value = areas.iter().map(|a| a.value).max().unwrap_or(0);
    let class_of = |value: u64| -> usize {
        (value * 4)
            .checked_div(max_value)
            .map_or(0, |class| usize::try_from(class).unwrap_or(4).min(4))
    };
    let legend_height = 30.0;
    let mut doc = Document::new()
        .set("viewBox", (0.0, 0.0, width, height + legend_height + 10.0))
        .set("width", "100%")
        .set("role", "img")
        .set("aria-labelledby", labelled_by)
        .set("class", "carte");
    for area in areas {
        let mut data = Data::new();
        for ring in SHAPES[&area.code].rings() {
            let mut points = ring.iter().map(|p| project(*p));
            if let Some(first) = points.next() {
                data = data.move_to(first);
                for p in points {
                    data = data.line_to(p);
                }
                data = data.close();
            }
        }
        doc = doc.add(
            Group::new()
                .add(Title::new(format!("{} : {} {what}", area.name, area.shown)))
                .add(
                    Path::new()
                        .set("d", data)
                        .set("fill", CLASSES[class_of(area.value)])
                        .set("stroke", "#ffffff")
                        .set("stroke-width", 0.8),
                ),
        );
    }
    let mut legend = Group::new();
    for (i, colour) in CLASSES.iter().enumerate() {
        let x = 10.0 + 110.0 * i as f64;
        let low = max_value * i as u64 / 5;
        let high = max_value * (i as u64 + 1) / 5;
        let mut label = String::new();
        let _ = write!(label, "{low} à {high}");
        legend = legend
            .add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", height + 12.0)
                    .set("width", 18)
                    .set("height", 14)
                    .set("fill", *colour)
                    .set("stroke", "#4f4f4f"),
            )
            .add(
                Text::new(label)
                    .set("x", x + 24.0)
                    .set("y", height + 24.0)
                    .set("font-size", 12)
                    .set("fill", "#1e1e1e"),
            );
    }
    Some(doc.add(legend).to_string())
}

/// The GeoJSON written for the map of actors: only what the script reads.
#[derive(Serialize)]
#[serde(tag = "type", rename = "FeatureCollection")]
struct ContourCollection {
    features: Vec<ContourFeature>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename = "Feature")]
struct ContourFeature {
    properties: ContourProperties,
    geometry: Geometry,
}

#[derive(Serialize)]
struct ContourProperties {
    code: String,
    nom: String,
}

/// Five decimals of a degree: about a metre, as in the shipped file.
fn round5(degrees: f64) -> f64 {
    (degrees * 1e5).round() / 1e5
}

fn round6(degrees: f64) -> f64 {
    (degrees * 1e6).round() / 1e6
}

/// The contours of the communes `codes` as a GeoJSON `FeatureCollection` (properties `code`
/// and `nom`, coordinates in WGS 84 rounded to five decimals), in the order given, each commune
/// once. `names` gives a commune's name (the referential's); when it has none, the name in the
/// shipped contours is used. Communes without a shipped contour are left out.
pub(crate) fn contours_geojson(codes: &[String], names: impl Fn(&str) -> Option<String>) -> String {
    let mut seen = HashSet::new();
    let features = codes
        .iter()
        .filter(|code| seen.insert(code.as_str()))
        .filter_map(|code| {
            let shape = SHAPES.get(code)?;
            let polygons: Vec<Vec<Vec<[f64; 2]>>> = shape
                .polygons
                .iter()
                .map(|polygon| {
                    polygon
                        .iter()
                        .map(|ring| ring.iter().map(|&(x, y)| [round5(x), round5(y)]).collect())
                        .collect()
                })
                .collect();
            let geometry = match <[_; 1]>::try_from(polygons) {
                Ok([polygon]) => Geometry::Polygon(polygon),
                Err(polygons) => Geometry::MultiPolygon(polygons),
            };
            Some(ContourFeature {
                properties: ContourProperties {
                    code: code.clone(),
                    nom: names(code).unwrap_or_else(|| shape.name.clone()),
                },
                geometry,
            })
        })
        .collect();
    serde_json::to_string(&ContourCollection { features }).unwrap_or_else(|error| {
        tracing::error!(%error, "contours non sérialisables");
        r#"{"type":"FeatureCollection","features":[]}"#.to_owned()
    })
}

static CENTRES: LazyLock<HashMap<String, LatLon>> = LazyLock::new(|| {
    SHAPES
        .iter()
        .filter_map(|(code, shape)| Some((code.clone(), centre(shape)?)))
        .collect()
});

/// Where to place an actor of commune `code` whose address has no position: a point inside the
/// commune's largest polygon, its area-weighted centroid when that lies inside (the usual
/// case), else the middle of the widest chord through it. `None` for a commune without a
/// shipped contour. Computed once for every commune.
pub(crate) fn commune_centre(code: &str) -> Option<LatLon> {
    CENTRES.get(code).copied()
}

fn centre(shape: &Shape) -> Option<LatLon> {
    let (polygon, _) = shape
        .polygons
        .iter()
        .map(|polygon| (polygon, area_and_centroid(polygon).0))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let (area, centroid) = area_and_centroid(polygon);
    let (lon, lat) = Some(centroid)
        .filter(|&point| area > 0.0 && contains(polygon, point))
        .or_else(|| widest_chord_middle(polygon, centroid.1))?;
    Some(LatLon {
        lat: round6(lat),
        lon: round6(lon),
    })
}

/// The area (outer ring minus holes) and the area-weighted centroid of a polygon, computed in
/// degrees: the centroid is preserved by the affine map to a local metric plane, and only the
/// comparison of areas within one commune matters.
fn area_and_centroid(polygon: &[Ring]) -> (f64, (f64, f64)) {
    let Some(&(x0, y0)) = polygon.first().and_then(|outer| outer.first()) else {
        return (0.0, (f64::NAN, f64::NAN));
    };
    let (mut area, mut mx, mut my) = (0.0, 0.0, 0.0);
    for (index, ring) in polygon.iter().enumerate() {
        // Shoelace formula, relative to the first point to keep the products small.
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for (i, &(xi, yi)) in ring.iter().enumerate() {
            let (xj, yj) = ring[(i + 1) % ring.len()];
            let (xi, yi, xj, yj) = (xi - x0, yi - y0, xj - x0, yj - y0);
            let cross = xi * yj - xj * yi;
            a += cross;
            cx += (xi + xj) * cross;
            cy += (yi + yj) * cross;
        }
        // Whatever the winding, the outer ring adds and the holes subtract.
        let sign = if (index == 0) == (a >= 0.0) {
            1.0
        } else {
            -1.0
        };
        area += sign * a / 2.0;
        mx += sign * cx / 6.0;
        my += sign * cy / 6.0;
    }
    (area, (x0 + mx / area, y0 + my / area))
}

/// Whether `point` lies inside the polygon (inside the outer ring and in no hole): the even-odd
/// rule, casting a ray towards increasing longitude.
fn contains(polygon: &[Ring], (x, y): (f64, f64)) -> bool {
    let mut inside = false;
    for ring in polygon {
        for (i, &(xi, yi)) in ring.iter().enumerate() {
            let (xj, yj) = ring[(i + 1) % ring.len()];
            if (yi > y) != (yj > y) && x < xi + (y - yi) * (xj - xi) / (yj - yi) {
                inside = !inside;
            }
        }
    }
    inside
}

/// The middle of the widest inside stretch of the parallel at `y` (or, when that misses the
/// polygon, of the parallel halfway between its extreme latitudes).
fn widest_chord_middle(polygon: &[Ring], y: f64) -> Option<(f64, f64)> {
    let chord = |y: f64| -> Option<(f64, f64)> {
        let mut crossings: Vec<f64> = polygon
            .iter()
            .flat_map(|ring| {
                ring.iter().enumerate().filter_map(move |(i, &(xi, yi))| {
                    let (xj, yj) = ring[(i + 1) % ring.len()];
                    ((yi > y) != (yj > y)).then(|| xi + (y - yi) * (xj - xi) / (yj - yi))
                })
            })
            .collect();
        crossings.sort_by(f64::total_cmp);
        crossings
            .chunks_exact(2)
            .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))
            .map(|pair| (f64::midpoint(pair[0], pair[1]), y))
    };
    let (south, north) = polygon
        .first()?
        .iter()
        .fold((f64::MAX, f64::MIN), |(s, n), &(_, y)| (s.min(y), n.max(y)));
    chord(y)
        .filter(|_| y.is_finite())
        .or_else(|| chord(f64::midpoint(south, north)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_communes_of_isere_are_drawn_one_path_each() {
        let areas: Vec<Area> = ["38185", "38421", "38151"]
            .iter()
            .enumerate()
            .map(|(i, code)| Area {
                code: (*code).to_owned(),
                name: format!("Commune {i}"),
                value: i as u64 * 10,
                shown: (i * 10).to_string(),
            })
            .collect();
        let svg = choropleth(&areas, "legende-carte", "établissements").unwrap();
        assert_eq!(svg.matches("<path").count(), 3);
        assert!(svg.contains("aria-labelledby=\"legende-carte\""));
        assert!(svg.contains("Commune 2 : 20 établissements"));
    }

    #[test]
    fn a_commune_without_contour_gives_no_map() {
        let areas = [Area {
            code: "69123".into(),
            name: "Lyon".into(),
            value: 1,
            shown: "1".into(),
        }];
        assert!(choropleth(&areas, "x", "y").is_none());
    }
    fn codes(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn contours_are_given_for_the_communes_that_have_them_with_the_referential_names() {
        let json = contours_geojson(
            &codes(&["38185", "69123", "38151", "38185", "38300"]),
            |code| (code == "38185").then(|| "Grenoble (référentiel)".to_owned()),
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["type"], "FeatureCollection");
        let features = value["features"].as_array().unwrap();
        let listed: Vec<(&str, &str, &str)> = features
            .iter()
            .map(|f| {
                assert_eq!(f["type"], "Feature");
                (
                    f["properties"]["code"].as_str().unwrap(),
                    f["properties"]["nom"].as_str().unwrap(),
                    f["geometry"]["type"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("38185", "Grenoble (référentiel)", "Polygon"),
                ("38151", "Échirolles", "Polygon"),
                ("38300", "Penol", "MultiPolygon"),
            ]
        );
        let first = &features[0]["geometry"]["coordinates"][0][0];
        let lon = first[0].as_f64().unwrap();
        assert!((5.6..5.8).contains(&lon), "{first}");
        assert!((round5(lon) - lon).abs() < 1e-12, "{lon} is not rounded");
    }

    #[test]
    fn contours_of_no_known_commune_are_an_empty_collection() {
        assert_eq!(
            contours_geojson(&codes(&["69123"]), |_| None),
            r#"{"type":"FeatureCollection","features":[]}"#
        );
    }

    #[test]
    fn the_centre_of_a_commune_lies_inside_it_where_expected() {
        // Expected positions: the communes' town centres, from their contours' extent.
        for (code, lat, lon) in [
            ("38185", 45.18, 5.72),
            ("38151", 45.14, 5.72),
            ("38545", 45.04, 5.66),
        ] {
            let centre = commune_centre(code).unwrap();
            let shape = &SHAPES[code];
            assert!(
                shape
                    .polygons
                    .iter()
                    .any(|p| contains(p, (centre.lon, centre.lat))),
                "{code}: {centre:?} is outside the commune"
            );
            assert!(
                (centre.lat - lat).abs() < 0.04 && (centre.lon - lon).abs() < 0.04,
                "{code}: {centre:?}"
            );
            assert!((round6(centre.lat) - centre.lat).abs() < 1e-12);
        }
        assert_eq!(commune_centre("69123"), None);
    }

    #[test]
    fn the_centre_of_a_commune_in_pieces_is_in_its_largest_piece() {
        let centre = commune_centre("38300").unwrap();
        let shape = &SHAPES["38300"];
        let largest = shape
            .polygons
            .iter()
            .max_by(|a, b| area_and_centroid(a).0.total_cmp(&area_and_centroid(b).0))
            .unwrap();
        assert_eq!(largest[0].len(), 53);
        assert!(contains(largest, (centre.lon, centre.lat)));
    }

    #[test]
    fn point_in_polygon_respects_holes_and_winding() {
        // A 4×4 square turning clockwise, with a 2×2 hole turning the same way.
        let square = vec![
            vec![(0.0, 0.0), (0.0, 4.0), (4.0, 4.0), (4.0, 0.0), (0.0, 0.0)],
            vec![(1.0, 1.0), (1.0, 3.0), (3.0, 3.0), (3.0, 1.0), (1.0, 1.0)],
        ];
        assert!(contains(&square, (0.5, 0.5)));
        assert!(!contains(&square, (2.0, 2.0)));
        assert!(!contains(&square, (5.0, 2.0)));
        let (area, (x, y)) = area_and_centroid(&square);
        assert!((area - 12.0).abs() < 1e-12);
        assert!((x - 2.0).abs() < 1e-12 && (y - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_crescent_gets_a_centre_inside_it_not_its_centroid() {
        // A U: its centroid falls in the gap between the arms.
        let u = vec![vec![
            (0.0, 0.0),
            (3.0, 0.0),
            (3.0, 3.0),
            (2.0, 3.0),
            (2.0, 1.0),
            (1.0, 1.0),
            (1.0, 3.0),
            (0.0, 3.0),
            (0.0, 0.0),
        ]];
        let (_, centroid) = area_and_centroid(&u);
        assert!(!contains(&u, centroid));
        let shape = Shape {
            name: "U".into(),
            polygons: vec![u.clone()],
        };
        let centre = centre(&shape).unwrap();
        assert!(contains(&u, (centre.lon, centre.lat)), "{centre:?}");
    }
}
