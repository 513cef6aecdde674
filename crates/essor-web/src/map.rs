//! Choropleth maps of communes, drawn as SVG from the commune contours shipped in `data/geo`
//! (no tile server). Contours exist for the communes of Isère only, for now; elsewhere the page
//! says the map is not available and the table remains.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde::Deserialize;
use svg::Document;
use svg::node::element::path::Data;
use svg::node::element::{Group, Path, Rectangle, Text, Title};

const CONTOURS: &str = include_str!("../../../data/geo/communes-38.geojson");

/// Outer rings (and holes) of each commune, in (longitude, latitude).
type Rings = Vec<Vec<(f64, f64)>>;

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
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

static SHAPES: LazyLock<HashMap<String, Rings>> = LazyLock::new(|| {
    let Ok(collection) = serde_json::from_str::<Collection>(CONTOURS) else {
        tracing::error!("contours des communes illisibles");
        return HashMap::new();
    };
    collection
        .features
        .into_iter()
        .map(|f| {
            let rings: Rings = match f.geometry {
                Geometry::Polygon(rings) => rings
                    .into_iter()
                    .map(|r| r.into_iter().map(|[x, y]| (x, y)).collect())
                    .collect(),
                Geometry::MultiPolygon(polygons) => polygons
                    .into_iter()
                    .flatten()
                    .map(|r| r.into_iter().map(|[x, y]| (x, y)).collect())
                    .collect(),
            };
            (f.properties.code, rings)
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
        .flat_map(|a| SHAPES[&a.code].iter().flatten().copied());
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
        for ring in &SHAPES[&area.code] {
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
}
