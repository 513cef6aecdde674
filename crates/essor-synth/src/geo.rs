//! Where establishments are: the real communes of the referential, drawn in proportion to their
//! population (Paris, Lyon and Marseille through their municipal arrondissements), with their
//! INSEE label, a plausible postal code and a Lambert-93 position.
//!
//! Positions: for Isère, the centre of each commune's real contour (`data/geo`); elsewhere an
//! approximation, a point drawn once per commune around its département's prefecture.

use std::collections::{BTreeMap, BTreeSet};

use essor_domain::referential::{CommuneKind, Referential, fold};

use crate::GenerateError;
use crate::alias::Alias;
use crate::model::REFERENCE_EPCI;
use crate::rng::Rng;

/// Commune contours of Isère (WGS84), one feature a line.
const ISERE_GEOJSON: &str = include_str!("../../../data/geo/communes-38.geojson");

/// Overseas collectivities outside SIRENE's scope (they keep their own business registers).
const OUTSIDE_SIRENE: &[&str] = &["984", "986", "987", "988", "989"];

/// A commune or arrondissement establishments can be drawn in, packed in one cache line with
/// its label (but for the 30 longest): one is read for every row, at random among 35 000.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Place {
    pub code: [u8; 5],
    pub postal: [u8; 5],
    departement: [u8; 3],
    departement_len: u8,
    /// Whether the commune belongs to the reference territory.
    pub reference: bool,
    label_len: u8,
    /// Lambert-93 centre and the half-side (metres) establishments are spread over; none
    /// overseas.
    pub lambert: Option<(f32, f32, f32)>,
    /// The label, or where it is in [`Geography::labels`] when longer.
    label: [u8; INLINE_LABEL],
}

const INLINE_LABEL: usize = 32;

impl Place {
    pub(crate) fn departement(&self) -> &str {
        std::str::from_utf8(&self.departement[..usize::from(self.departement_len)]).unwrap_or("")
    }

    pub(crate) fn code_str(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("")
    }
}

/// The communes of France and the draws over them, with an optional restriction to some of
/// them.
#[derive(Debug)]
pub(crate) struct Geography {
    pub places: Vec<Place>,
    /// Labels of the places, one after the other.
    labels: String,
    /// Over every place, in proportion to population.
    national: Alias,
    /// Over the places of each zone (national, reference territory), with their indices.
    zones: [Option<(Alias, Vec<usize>)>; 2],
    restriction: Option<Restriction>,
    /// Codes that are no current commune (former communes), for a few closed establishments.
    pub former: Vec<[u8; 5]>,
}

/// The communes a generation is restricted to.
#[derive(Debug)]
struct Restriction {
    alias: Alias,
    indices: Vec<usize>,
    member: Vec<bool>,
    /// Their share of the population of the places.
    share: f64,
}

impl Geography {
    /// The places of France, restricted or not to the given communes (a commune with
    /// arrondissements stands for them).
    pub(crate) fn new(
        referential: &Referential,
        only: Option<&[String]>,
    ) -> Result<Self, GenerateError> {
        let reference: BTreeSet<String> = referential
            .epci(REFERENCE_EPCI)
            .map(|epci| epci.members.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let wanted = only
            .map(|codes| wanted_codes(referential, codes))
            .transpose()?;
        let isere = isere_positions();
        let mut places = Vec::new();
        let mut labels = String::new();
        let mut weights = Vec::new();
        for commune in referential.communes() {
            let code = commune.code.as_str();
            let has_arrondissements = commune.kind == CommuneKind::Commune
                && !referential.arrondissements_of(code).is_empty();
            if has_arrondissements
                || commune.population == 0
                || OUTSIDE_SIRENE.contains(&commune.departement.as_str())
            {
                continue;
            }
            let parent = commune.parent.as_ref().map(ToString::to_string);
            let member = parent.as_deref().unwrap_or(code);
            let label = label(code, &commune.name, parent.as_deref());
            let mut inline = [0u8; INLINE_LABEL];
            if label.len() <= INLINE_LABEL {
                inline[..label.len()].copy_from_slice(label.as_bytes());
            } else {
                let start = u32::try_from(labels.len()).expect("labels fit in 4 GiB");
                inline[..4].copy_from_slice(&start.to_le_bytes());
                labels.push_str(&label);
            }
            let departement = commune.departement.as_bytes();
            let mut departement_bytes = [0u8; 3];
            departement_bytes[..departement.len()].copy_from_slice(departement);
            #[allow(clippy::cast_possible_truncation, reason = "metres, to half a metre")]
            let lambert = position(code, &commune.departement, parent.as_deref(), &isere)
                .map(|(x, y, spread)| (x as f32, y as f32, spread as f32));
            places.push(Place {
                code: five(code),
                postal: five(&postal_code(code, &commune.departement, parent.as_deref())),
                departement: departement_bytes,
                departement_len: u8::try_from(departement.len()).unwrap_or(3),
                reference: reference.contains(member),
                label_len: u8::try_from(label.len()).expect("commune labels are short"),
                lambert,
                label: inline,
            });
            weights.push(commune.population as f64);
        }
        // Most populated first: the places drawn most often share a few cache lines.
        let mut order: Vec<usize> = (0..places.len()).collect();
        order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
        let places: Vec<Place> = order.iter().map(|&i| places[i]).collect();
        let weights: Vec<f64> = order.iter().map(|&i| weights[i]).collect();
        let subset = |keep: &dyn Fn(usize) -> bool| {
            let indices: Vec<usize> = (0..places.len()).filter(|&i| keep(i)).collect();
            let subset_weights: Vec<f64> = indices.iter().map(|&i| weights[i]).collect();
            if subset_weights.iter().sum::<f64>() <= 0.0 {
                return None;
            }
            Some((Alias::new(&subset_weights), indices))
        };
        let zones = [
            subset(&|i| !places[i].reference),
            subset(&|i| places[i].reference),
        ];
        let restriction = match wanted {
            None => None,
            Some(wanted) => {
                let member: Vec<bool> = places
                    .iter()
                    .map(|p| wanted.contains(p.code_str()))
                    .collect();
                let (alias, indices) = subset(&|i| member[i]).ok_or(GenerateError::NoPopulation)?;
                let total: f64 = weights.iter().sum();
                let share = indices.iter().map(|&i| weights[i]).sum::<f64>() / total;
                Some(Restriction {
                    alias,
                    indices,
                    member,
                    share,
                })
            }
        };
        Ok(Self {
            labels,
            national: Alias::new(&weights),
            zones,
            restriction,
            former: former_codes(referential),
            places,
        })
    }

    /// `libelleCommuneEtablissement` of a place: upper case, no accents.
    #[inline]
    pub(crate) fn label<'a>(&'a self, place: &'a Place) -> &'a [u8] {
        let len = usize::from(place.label_len);
        if len <= INLINE_LABEL {
            &place.label[..len]
        } else {
            let mut start = [0u8; 4];
            start.copy_from_slice(&place.label[..4]);
            let start = u32::from_le_bytes(start) as usize;
            &self.labels.as_bytes()[start..start + len]
        }
    }

    /// A place of France drawn in proportion to population.
    pub(crate) fn draw(&self, rng: &mut Rng) -> usize {
        self.national.sample(rng)
    }

    /// A place of the restriction (of France without one), in proportion to population.
    pub(crate) fn draw_restricted(&self, rng: &mut Rng) -> usize {
        match &self.restriction {
            Some(r) => r.indices[r.alias.sample(rng)],
            None => self.draw(rng),
        }
    }

    /// A place outside the restriction, in proportion to population.
    pub(crate) fn draw_outside(&self, rng: &mut Rng) -> usize {
        loop {
            let place = self.draw(rng);
            if !self.keeps(place) {
                return place;
            }
        }
    }

    /// A place of the same zone as `place` (national or reference territory).
    pub(crate) fn draw_in_zone_of(&self, place: usize, rng: &mut Rng) -> usize {
        let zone = usize::from(self.places[place].reference);
        match &self.zones[zone] {
            Some((alias, indices)) => indices[alias.sample(rng)],
            None => place,
        }
    }

    /// Whether rows in `place` are written (always without a restriction).
    #[inline]
    pub(crate) fn keeps(&self, place: usize) -> bool {
        self.restriction.as_ref().is_none_or(|r| r.member[place])
    }

    /// The restriction's share of the population, if there is one and it is not all France.
    pub(crate) fn restricted_share(&self) -> Option<f64> {
        self.restriction
            .as_ref()
            .map(|r| r.share)
            .filter(|&share| share < 1.0)
    }
}

/// The codes of the communes and arrondissements a restriction names: a commune with
/// arrondissements stands for them.
fn wanted_codes(
    referential: &Referential,
    codes: &[String],
) -> Result<BTreeSet<String>, GenerateError> {
    let mut set = BTreeSet::new();
    for code in codes {
        let code = code.trim();
        if referential.commune(code).is_none() {
            return Err(GenerateError::UnknownCommune(code.to_owned()));
        }
        let arrondissements = referential.arrondissements_of(code);
        if arrondissements.is_empty() {
            set.insert(code.to_owned());
        } else {
            set.extend(arrondissements.iter().map(|c| c.code.to_string()));
        }
    }
    Ok(set)
}

/// A five-character code as bytes.
fn five(code: &str) -> [u8; 5] {
    let mut out = [b'0'; 5];
    for (slot, b) in out.iter_mut().zip(code.bytes()) {
        *slot = b;
    }
    out
}

/// `libelleCommuneEtablissement`: `SAINT-MARTIN-D'HERES`, `PARIS 8`, `MARSEILLE 13`.
fn label(code: &str, name: &str, parent: Option<&str>) -> String {
    if let Some(parent) = parent {
        let city = match parent {
            "75056" => "PARIS",
            "69123" => "LYON",
            _ => "MARSEILLE",
        };
        let number: u32 = code[3..].parse().unwrap_or(0);
        let number = if parent == "69123" {
            number - 80
        } else {
            number
        };
        return format!("{city} {number}");
    }
    fold(name).to_ascii_uppercase()
}

/// A plausible postal code: the real scheme for arrondissements (`75008`, `69003`, `13013`),
/// the département followed by a digit pair and 0 elsewhere.
fn postal_code(code: &str, departement: &str, parent: Option<&str>) -> String {
    if let Some(parent) = parent {
        let number: u32 = code[3..].parse().unwrap_or(0);
        return match parent {
            "75056" => format!("750{number:02}"),
            "69123" => format!("6900{}", number - 80),
            _ => format!("130{number:02}"),
        };
    }
    let h = hash(code);
    match departement.len() {
        3 => format!("{departement}{}0", h % 10),
        _ if departement.starts_with('2') && !departement.as_bytes()[1].is_ascii_digit() => {
            format!("20{:02}0", h % 30)
        }
        _ => format!("{departement}{:02}0", h % 100),
    }
}

/// A deterministic hash of a code (FNV-1a then the `SplitMix64` finaliser).
pub(crate) fn hash(code: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in code.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// Lambert-93 centre and spread of a place.
fn position(
    code: &str,
    departement: &str,
    parent: Option<&str>,
    isere: &BTreeMap<String, (f64, f64, f64)>,
) -> Option<(f64, f64, f64)> {
    if let Some(found) = isere.get(code) {
        return Some(*found);
    }
    let (lat, lon, radius_km) = if let Some(parent) = parent {
        match parent {
            "75056" => (48.8566, 2.3522, 4.0),
            "69123" => (45.7640, 4.8357, 3.0),
            _ => (43.2965, 5.3698, 7.0),
        }
    } else {
        let (_, lat, lon, radius) = DEPARTEMENTS.iter().find(|(d, ..)| *d == departement)?;
        (*lat, *lon, *radius)
    };
    let (x, y) = lambert93(lat, lon);
    let mut rng = Rng::new(hash(code));
    let angle = rng.unit() * std::f64::consts::TAU;
    let r = radius_km * 1000.0 * rng.unit().sqrt();
    let spread = if parent.is_some() { 500.0 } else { 1200.0 };
    // Within INSEE's metropolitan range, spread included.
    let x = (x + r * angle.cos()).clamp(102_000.0, 1_245_000.0);
    let y = (y + r * angle.sin()).clamp(6_030_000.0, 7_120_000.0);
    Some((x, y, spread))
}

/// Centres of Isère's communes from their contours (mean of the outer ring of the largest
/// polygon), with a spread of a third of the smaller side of the bounding box.
fn isere_positions() -> BTreeMap<String, (f64, f64, f64)> {
    let mut out = BTreeMap::new();
    let Ok(collection) = serde_json::from_str::<serde_json::Value>(ISERE_GEOJSON) else {
        return out;
    };
    let Some(features) = collection["features"].as_array() else {
        return out;
    };
    for feature in features {
        let Some(code) = feature["properties"]["code"].as_str() else {
            continue;
        };
        let geometry = &feature["geometry"];
        let rings: Vec<&serde_json::Value> = match geometry["type"].as_str() {
            Some("Polygon") => geometry["coordinates"].get(0).into_iter().collect(),
            Some("MultiPolygon") => geometry["coordinates"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|polygon| polygon.get(0))
                .collect(),
            _ => continue,
        };
        let Some(ring) = rings
            .into_iter()
            .filter_map(serde_json::Value::as_array)
            .max_by_key(|ring| ring.len())
        else {
            continue;
        };
        let points: Vec<(f64, f64)> = ring
            .iter()
            .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
            .collect();
        if points.is_empty() {
            continue;
        }
        let n = points.len() as f64;
        let lon = points.iter().map(|p| p.0).sum::<f64>() / n;
        let lat = points.iter().map(|p| p.1).sum::<f64>() / n;
        let (min_lon, max_lon, min_lat, max_lat) = points.iter().fold(
            (f64::MAX, f64::MIN, f64::MAX, f64::MIN),
            |(a, b, c, d), p| (a.min(p.0), b.max(p.0), c.min(p.1), d.max(p.1)),
        );
        let width = (max_lon - min_lon) * 111_320.0 * lat.to_radians().cos();
        let height = (max_lat - min_lat) * 110_574.0;
        let (x, y) = lambert93(lat, lon);
        out.insert(code.to_owned(), (x, y, width.min(height) / 3.0));
    }
    out
}

/// WGS84 latitude and longitude (degrees) to Lambert-93 (EPSG:2154) metres.
pub(crate) fn lambert93(lat: f64, lon: f64) -> (f64, f64) {
    const N: f64 = 0.725_607_765_0;
    const C: f64 = 11_754_255.426;
    const XS: f64 = 700_000.0;
    const YS: f64 = 12_655_612.050;
    const E: f64 = 0.081_819_191_06;
    const LON0: f64 = 3.0;
    let phi = lat.to_radians();
    let e_sin = E * phi.sin();
    let iso = ((std::f64::consts::FRAC_PI_4 + phi / 2.0).tan()
        * ((1.0 - e_sin) / (1.0 + e_sin)).powf(E / 2.0))
    .ln();
    let r = C * (-N * iso).exp();
    let gamma = N * (lon - LON0).to_radians();
    (XS + r * gamma.sin(), YS - r * gamma.cos())
}

/// Codes that are no current commune: the first free numbers of each metropolitan
/// département, standing for communes merged away.
fn former_codes(referential: &Referential) -> Vec<[u8; 5]> {
    let mut out = Vec::new();
    for departement in referential.departements() {
        if departement.code.len() != 2 {
            continue;
        }
        let free = (1..999u32)
            .map(|n| format!("{}{n:03}", departement.code))
            .filter(|code| referential.commune(code).is_none())
            .take(3)
            .map(|code| five(&code));
        out.extend(free);
    }
    out
}

/// Metropolitan départements: latitude and longitude of the prefecture, radius (km) over which
/// its communes are spread.
const DEPARTEMENTS: &[(&str, f64, f64, f64)] = &[
    ("01", 46.05, 5.35, 40.0),
    ("02", 49.56, 3.62, 45.0),
    ("03", 46.39, 3.19, 45.0),
    ("04", 44.10, 6.24, 40.0),
    ("05", 44.66, 6.26, 35.0),
    ("06", 43.84, 7.14, 30.0),
    ("07", 44.75, 4.42, 35.0),
    ("08", 49.62, 4.64, 35.0),
    ("09", 42.95, 1.50, 35.0),
    ("10", 48.30, 4.16, 40.0),
    ("11", 43.10, 2.41, 45.0),
    ("12", 44.28, 2.68, 50.0),
    ("13", 43.53, 5.09, 35.0),
    ("14", 49.10, -0.36, 40.0),
    ("15", 45.05, 2.67, 40.0),
    ("16", 45.72, 0.20, 40.0),
    ("17", 45.78, -0.67, 50.0),
    ("18", 47.06, 2.49, 50.0),
    ("19", 45.36, 1.88, 40.0),
    ("2A", 41.86, 8.98, 35.0),
    ("2B", 42.39, 9.21, 30.0),
    ("21", 47.42, 4.77, 55.0),
    ("22", 48.44, -2.86, 45.0),
    ("23", 46.09, 2.02, 35.0),
    ("24", 45.10, 0.74, 55.0),
    ("25", 47.17, 6.36, 40.0),
    ("26", 44.68, 5.17, 45.0),
    ("27", 49.11, 1.02, 45.0),
    ("28", 48.39, 1.37, 45.0),
    ("29", 48.25, -4.06, 50.0),
    ("30", 43.99, 4.18, 45.0),
    ("31", 43.36, 1.17, 50.0),
    ("32", 43.69, 0.45, 40.0),
    ("33", 44.83, -0.58, 60.0),
    ("34", 43.58, 3.37, 45.0),
    ("35", 48.15, -1.64, 45.0),
    ("36", 46.78, 1.57, 45.0),
    ("37", 47.26, 0.69, 40.0),
    ("38", 45.26, 5.58, 50.0),
    ("39", 46.73, 5.70, 45.0),
    ("40", 43.97, -0.78, 50.0),
    ("41", 47.62, 1.43, 45.0),
    ("42", 45.73, 4.17, 40.0),
    ("43", 45.13, 3.81, 40.0),
    ("44", 47.36, -1.68, 45.0),
    ("45", 47.91, 2.34, 45.0),
    ("46", 44.62, 1.61, 40.0),
    ("47", 44.37, 0.46, 40.0),
    ("48", 44.52, 3.50, 35.0),
    ("49", 47.39, -0.56, 45.0),
    ("50", 49.08, -1.33, 45.0),
    ("51", 48.95, 4.24, 50.0),
    ("52", 48.11, 5.23, 45.0),
    ("53", 48.15, -0.65, 35.0),
    ("54", 48.79, 6.16, 45.0),
    ("55", 48.99, 5.38, 45.0),
    ("56", 47.85, -2.81, 45.0),
    ("57", 49.04, 6.66, 50.0),
    ("58", 47.12, 3.50, 45.0),
    ("59", 50.45, 3.22, 50.0),
    ("60", 49.41, 2.42, 45.0),
    ("61", 48.62, 0.13, 45.0),
    ("62", 50.49, 2.29, 50.0),
    ("63", 45.72, 3.13, 50.0),
    ("64", 43.26, -0.76, 55.0),
    ("65", 43.05, 0.16, 35.0),
    ("66", 42.60, 2.52, 40.0),
    ("67", 48.67, 7.55, 45.0),
    ("68", 47.86, 7.27, 35.0),
    ("69", 45.87, 4.64, 30.0),
    ("70", 47.64, 6.09, 40.0),
    ("71", 46.64, 4.54, 55.0),
    ("72", 47.99, 0.22, 45.0),
    ("73", 45.48, 6.44, 45.0),
    ("74", 46.03, 6.43, 35.0),
    ("75", 48.86, 2.35, 5.0),
    ("76", 49.66, 1.03, 50.0),
    ("77", 48.63, 2.93, 45.0),
    ("78", 48.81, 1.84, 30.0),
    ("79", 46.56, -0.32, 45.0),
    ("80", 49.96, 2.28, 50.0),
    ("81", 43.79, 2.17, 40.0),
    ("82", 44.08, 1.29, 35.0),
    ("83", 43.46, 6.22, 45.0),
    ("84", 43.99, 5.17, 35.0),
    ("85", 46.67, -1.30, 45.0),
    ("86", 46.56, 0.46, 50.0),
    ("87", 45.89, 1.24, 40.0),
    ("88", 48.20, 6.37, 45.0),
    ("89", 47.84, 3.56, 50.0),
    ("90", 47.63, 6.93, 12.0),
    ("91", 48.52, 2.25, 20.0),
    ("92", 48.85, 2.24, 7.0),
    ("93", 48.91, 2.48, 7.0),
    ("94", 48.78, 2.47, 7.0),
    ("95", 49.08, 2.13, 20.0),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_of_paris_is_where_ign_puts_it() {
        let (x, y) = lambert93(48.8566, 2.3522);
        assert!((x - 652_000.0).abs() < 2_000.0, "{x}");
        assert!((y - 6_862_000.0).abs() < 2_000.0, "{y}");
    }

    fn find<'a>(geo: &'a Geography, code: &str) -> &'a Place {
        geo.places.iter().find(|p| p.code_str() == code).unwrap()
    }

    #[test]
    fn arrondissements_replace_their_commune() {
        let geo = Geography::new(Referential::embedded(), None).unwrap();
        let codes: BTreeSet<&str> = geo.places.iter().map(Place::code_str).collect();
        for code in ["75056", "69123", "13055"] {
            assert!(!codes.contains(code));
        }
        for code in [
            "75101", "75120", "69381", "69389", "13201", "13216", "38185",
        ] {
            assert!(codes.contains(code), "{code}");
        }
        let paris8 = find(&geo, "75108");
        assert_eq!(geo.label(paris8), b"PARIS 8");
        assert_eq!(&paris8.postal, b"75008");
        let lyon3 = find(&geo, "69383");
        assert_eq!(
            (geo.label(lyon3), &lyon3.postal),
            (&b"LYON 3"[..], b"69003")
        );
        let smh = find(&geo, "38421");
        assert_eq!(geo.label(smh), b"SAINT-MARTIN-D'HERES");
        let long = geo
            .places
            .iter()
            .map(|p| geo.label(p))
            .max_by_key(|l| l.len())
            .unwrap();
        assert!(
            long.len() > INLINE_LABEL && long.starts_with(b"SAINT"),
            "{long:?}"
        );
        assert_eq!(smh.departement(), "38");
        assert!(smh.reference);
        assert_eq!(find(&geo, "2A004").departement(), "2A");
    }

    #[test]
    fn labels_need_no_quoting_and_codes_are_five_characters() {
        let geo = Geography::new(Referential::embedded(), None).unwrap();
        for place in &geo.places {
            let label = std::str::from_utf8(geo.label(place)).unwrap();
            assert!(label.is_ascii() && !label.is_empty(), "{label}");
            assert!(!label.contains([',', '"', '\n', '\r']), "{label}");
            assert!(place.postal.iter().all(u8::is_ascii_digit), "{label}");
        }
        assert!(!geo.former.is_empty());
    }

    #[test]
    fn every_metropolitan_place_has_a_position_in_france() {
        let geo = Geography::new(Referential::embedded(), None).unwrap();
        for place in &geo.places {
            match place.lambert {
                Some((x, y, spread)) => {
                    let code = place.code_str();
                    for x in [x - spread, x + spread] {
                        assert!((100_000.0..1_250_000.0).contains(&x), "{code} {x}");
                    }
                    for y in [y - spread, y + spread] {
                        assert!((6_000_000.0..7_150_000.0).contains(&y), "{code} {y}");
                    }
                }
                None => assert_eq!(place.departement().len(), 3, "{}", place.code_str()),
            }
        }
    }

    #[test]
    fn a_restriction_keeps_only_its_communes() {
        let only = vec!["38185".to_owned(), "75056".to_owned()];
        let geo = Geography::new(Referential::embedded(), Some(&only)).unwrap();
        let kept = (0..geo.places.len()).filter(|&i| geo.keeps(i)).count();
        assert_eq!(kept, 21);
        let share = geo.restricted_share().unwrap();
        assert!((0.03..0.04).contains(&share), "{share}");
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            assert!(geo.keeps(geo.draw_restricted(&mut rng)));
            assert!(!geo.keeps(geo.draw_outside(&mut rng)));
        }
        let error = Geography::new(Referential::embedded(), Some(&["99999".to_owned()]));
        assert!(error.is_err());
    }
}
