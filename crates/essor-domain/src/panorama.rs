//! The panorama of a territory's ESS (`DATA.md` §2, perimeter `essor-v1`), computed from
//! per-commune aggregates.
//!
//! An import of the SIRENE stock produces [`FactRow`]s: for every commune (or municipal
//! arrondissement) code of France and every group of a dimension, the counts of the
//! establishments of that commune in that group. The panorama of any territory is then the sum of
//! its communes' rows, so it is available for every EPCI, département or list of communes right
//! after one import.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::money::{format_number, format_pct, group_thousands};
use crate::territory::Territory;

mod table;

pub use table::{FactTable, FactTableError, KeyInterner, TableRow};

/// The version of the rules every figure follows. A later version may change a rule; figures
/// keep the version that produced them.
pub const PERIMETER: &str = "essor-v1";

/// The groups a fact row counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Every establishment of the commune; key is empty.
    Total,
    /// Active ESS establishments by family (`association`, …, `societe_commerciale_ess`).
    Family,
    /// Active ESS establishments by NAF section (`A`…`U`, `non_classee`).
    Section,
    /// Active ESS establishments by theme key (an establishment may count in several).
    Theme,
    /// Active ESS establishments by size band (`01`…`53`, `NN`, `00`, `vide`).
    Band,
    /// Establishments created in the year `key` (all: `active`; ESS: `ess_active`).
    Creation,
    /// Establishments closed in the year `key` (all: `active`; ESS: `ess_active`).
    Closure,
}

impl Dimension {
    pub const ALL: [Self; 7] = [
        Self::Total,
        Self::Family,
        Self::Section,
        Self::Theme,
        Self::Band,
        Self::Creation,
        Self::Closure,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::Family => "family",
            Self::Section => "section",
            Self::Theme => "theme",
            Self::Band => "band",
            Self::Creation => "creation",
            Self::Closure => "closure",
        }
    }

    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw)
    }
}

/// Counts of one group. Jobs are held doubled (`jobs_x2`) so that half jobs stay exact.
///
/// For [`Dimension::Total`] every field is meaningful. For the ESS breakdowns (family, section,
/// theme, band) only the `ess_*` fields are. For creations and closures, `active` holds the count
/// of all establishments and `ess_active` the count of ESS ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub active: u64,
    pub employer: u64,
    pub jobs_x2: u64,
    pub ess_active: u64,
    pub ess_employer: u64,
    pub ess_jobs_x2: u64,
}

impl Figures {
    pub fn add(&mut self, other: &Self) {
        self.active += other.active;
        self.employer += other.employer;
        self.jobs_x2 += other.jobs_x2;
        self.ess_active += other.ess_active;
        self.ess_employer += other.ess_employer;
        self.ess_jobs_x2 += other.ess_jobs_x2;
    }

    #[must_use]
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// One aggregate of one import: a commune (or arrondissement) code, a dimension, a group key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactRow {
    pub commune: String,
    pub dimension: Dimension,
    pub key: String,
    pub figures: Figures,
}

/// Where the figures come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub establishments_file: String,
    pub units_file: String,
    /// ISO 8601 date and time of the import.
    pub imported_at: String,
    /// The import read generated (synthetic) files, not INSEE's.
    #[serde(default)]
    pub synthetic: bool,
}

/// `100 × numerator / denominator`, rounded half up to one decimal on the exact ratio; `None`
/// when the denominator is 0.
#[must_use]
pub fn share_pct(numerator: u64, denominator: u64) -> Option<f64> {
    if denominator == 0 {
        return None;
    }
    let num = u128::from(numerator) * 2000;
    let den = u128::from(denominator) * 2;
    // round(1000 × n / d) half up = floor((2000 n + d) / 2d)
    let tenths = (num + u128::from(denominator)) / den;
    Some(tenths as f64 / 10.0)
}

fn opt(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn jobs(x2: u64) -> f64 {
    x2 as f64 / 2.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerritorySummary {
    pub kind: String,
    pub code: String,
    pub name: String,
    pub communes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstablishmentFigures {
    pub active: u64,
    pub employer: u64,
    pub ess_active: u64,
    pub ess_employer: u64,
    pub ess_active_share_pct: Option<f64>,
    pub ess_employer_share_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobFigures {
    pub all_estimated: f64,
    pub ess_estimated: f64,
    pub ess_share_pct: Option<f64>,
    pub ess_band_unknown: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommuneFigures {
    pub code: String,
    pub name: String,
    pub active: u64,
    pub employer: u64,
    pub jobs: f64,
    pub ess_active: u64,
    pub ess_employer: u64,
    pub ess_jobs: f64,
}

/// One group of an ESS breakdown. `key` is serialised under the dimension's name
/// (`family`, `section`, `theme`, `band`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub key: String,
    pub ess_active: u64,
    pub ess_employer: u64,
    pub ess_jobs: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearFigures {
    pub year: i32,
    pub ess: u64,
    pub all: u64,
}

/// French label of a group key of an ESS breakdown.
#[must_use]
pub fn group_label(dimension: Dimension, key: &str) -> String {
    let label = match (dimension, key) {
        (Dimension::Family, "association") => "Associations",
        (Dimension::Family, "fondation") => "Fondations",
        (Dimension::Family, "mutuelle") => "Mutuelles",
        (Dimension::Family, "cooperative") => "Coopératives",
        (Dimension::Family, "societe_commerciale_ess") => "Sociétés commerciales de l’ESS",
        (Dimension::Section, "non_classee") => "Activité non classée (ancienne nomenclature)",
        (Dimension::Section, letter) => {
            return letter
                .chars()
                .next()
                .and_then(|c| crate::ids::NAF_SECTIONS.iter().find(|(l, _)| *l == c))
                .map_or_else(|| letter.to_owned(), |(l, label)| format!("{l} – {label}"));
        }
        (Dimension::Theme, "transition_energetique") => "Transition énergétique / Environnement",
        (Dimension::Theme, "dechets") => "Déchets",
        (Dimension::Theme, "circuits_courts") => "Circuits courts / Alimentation",
        (Dimension::Theme, "mobilites") => "Mobilités",
        (Dimension::Theme, "habitat") => "Habitat",
        (Dimension::Band, band) => return band_label(band).to_owned(),
        (_, other) => other,
    };
    label.to_owned()
}

/// French label of a size band code (`DATA.md` §1).
#[must_use]
pub fn band_label(band: &str) -> &str {
    match band {
        "NN" => "Aucun salarié",
        "00" => "0 salarié en fin d’année",
        "01" => "1 ou 2 salariés",
        "02" => "3 à 5 salariés",
        "03" => "6 à 9 salariés",
        "11" => "10 à 19 salariés",
        "12" => "20 à 49 salariés",
        "21" => "50 à 99 salariés",
        "22" => "100 à 199 salariés",
        "31" => "200 à 249 salariés",
        "32" => "250 à 499 salariés",
        "41" => "500 à 999 salariés",
        "42" => "1 000 à 1 999 salariés",
        "51" => "2 000 à 4 999 salariés",
        "52" => "5 000 à 9 999 salariés",
        "53" => "10 000 salariés et plus",
        "vide" => "Effectif inconnu",
        other => other,
    }
}

/// One row per member commune, zeros included, sorted by code.
fn commune_rows(territory: &Territory, figures: BTreeMap<&str, Figures>) -> Vec<CommuneFigures> {
    let names: BTreeMap<&str, &str> = territory
        .communes
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    // A BTreeMap iterates in key order: rows come out sorted by code.
    figures
        .into_iter()
        .map(|(code, f)| CommuneFigures {
            code: code.to_owned(),
            name: names.get(code).copied().unwrap_or_default().to_owned(),
            active: f.active,
            employer: f.employer,
            jobs: jobs(f.jobs_x2),
            ess_active: f.ess_active,
            ess_employer: f.ess_employer,
            ess_jobs: jobs(f.ess_jobs_x2),
        })
        .collect()
}

/// The panorama of a territory, as `DATA.md` §2 defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct Panorama {
    pub territory: TerritorySummary,
    pub source: Source,
    pub establishments: EstablishmentFigures,
    pub jobs: JobFigures,
    pub by_commune: Vec<CommuneFigures>,
    pub by_family: Vec<GroupFigures>,
    pub by_naf_section: Vec<GroupFigures>,
    pub by_theme: Vec<GroupFigures>,
    pub by_band: Vec<GroupFigures>,
    pub creations_by_year: Vec<YearFigures>,
    pub closures_by_year: Vec<YearFigures>,
}

impl Panorama {
    /// Sums the fact rows of the territory's communes (arrondissements counted in their commune).
    /// Rows of communes outside the territory are ignored, so callers may pass more.
    #[must_use]
    pub fn compute<'a>(
        territory: &Territory,
        source: Source,
        facts: impl IntoIterator<Item = &'a FactRow>,
    ) -> Self {
        let mut by_commune: BTreeMap<&str, Figures> = territory
            .communes
            .iter()
            .map(|c| (c.code.as_str(), Figures::default()))
            .collect();
        // Member communes and their arrondissements, by code, to the member's code: a
        // département has hundreds of communes and tens of thousands of facts.
        let members: HashMap<&str, &str> = territory
            .communes
            .iter()
            .map(|c| (c.code.as_str(), c.code.as_str()))
            .chain(territory.arrondissements.iter().filter_map(|a| {
                let member = territory.member_commune(a.code.as_str())?;
                Some((a.code.as_str(), member.code.as_str()))
            }))
            .collect();
        let mut groups: BTreeMap<(Dimension, &str), Figures> = BTreeMap::new();
        let mut total = Figures::default();
        for fact in facts {
            let Some(&commune) = members.get(fact.commune.as_str()) else {
                continue;
            };
            if fact.dimension == Dimension::Total {
                total.add(&fact.figures);
                if let Some(figures) = by_commune.get_mut(commune) {
                    figures.add(&fact.figures);
                }
            } else {
                groups
                    .entry((fact.dimension, fact.key.as_str()))
                    .or_default()
                    .add(&fact.figures);
            }
        }
        let group = |dimension: Dimension| -> Vec<GroupFigures> {
            groups
                .range((dimension, "")..)
                .take_while(|((d, _), _)| *d == dimension)
                .filter(|(_, f)| f.ess_active > 0)
                .map(|((_, key), f)| GroupFigures {
                    key: (*key).to_owned(),
                    ess_active: f.ess_active,
                    ess_employer: f.ess_employer,
                    ess_jobs: jobs(f.ess_jobs_x2),
                })
                .collect()
        };
        let years = |dimension: Dimension| -> Vec<YearFigures> {
            let mut rows: Vec<YearFigures> = groups
                .range((dimension, "")..)
                .take_while(|((d, _), _)| *d == dimension)
                .filter_map(|((_, key), f)| {
                    Some(YearFigures {
                        year: key.parse().ok()?,
                        ess: f.ess_active,
                        all: f.active,
                    })
                })
                .filter(|y| y.all > 0)
                .collect();
            rows.sort_by_key(|y| y.year);
            rows
        };
        let communes = commune_rows(territory, by_commune);
        let by_band = group(Dimension::Band);
        let ess_band_unknown = by_band
            .iter()
            .find(|g| g.key == "vide")
            .map_or(0, |g| g.ess_active);
        Self {
            territory: TerritorySummary {
                kind: territory.reference.kind().to_owned(),
                code: territory.code.clone(),
                name: territory.name.clone(),
                communes: territory.communes.len(),
            },
            source,
            establishments: EstablishmentFigures {
                active: total.active,
                employer: total.employer,
                ess_active: total.ess_active,
                ess_employer: total.ess_employer,
                ess_active_share_pct: share_pct(total.ess_active, total.active),
                ess_employer_share_pct: share_pct(total.ess_employer, total.employer),
            },
            jobs: JobFigures {
                all_estimated: jobs(total.jobs_x2),
                ess_estimated: jobs(total.ess_jobs_x2),
                ess_share_pct: share_pct(total.ess_jobs_x2, total.jobs_x2),
                ess_band_unknown,
            },
            by_commune: communes,
            by_family: group(Dimension::Family),
            by_naf_section: group(Dimension::Section),
            by_theme: group(Dimension::Theme),
            by_band,
            creations_by_year: years(Dimension::Creation),
            closures_by_year: years(Dimension::Closure),
        }
    }

    /// The headline, in the words of the seed's sentence (employer establishments and jobs).
    #[must_use]
    pub fn headline(&self) -> String {
        format!(
            "{} établissements employeurs de l’ESS, soit {} des établissements employeurs du territoire, et {} emplois estimés, soit {} des emplois.",
            group_thousands(self.establishments.ess_employer),
            format_pct(self.establishments.ess_employer_share_pct),
            format_number(self.jobs.ess_estimated, 1),
            format_pct(self.jobs.ess_share_pct),
        )
    }

    /// Every value, one per line: `tableau,cle,libelle,indicateur,valeur`.
    #[must_use]
    pub fn to_csv(&self) -> String {
        let p = self;
        let mut rows: Vec<[String; 5]> = Vec::new();
        let mut push = |table: &str, key: &str, label: &str, indicator: &str, value: String| {
            rows.push([
                table.to_owned(),
                key.to_owned(),
                label.to_owned(),
                indicator.to_owned(),
                value,
            ]);
        };
        let e = &p.establishments;
        for (indicator, value) in [
            ("active", e.active.to_string()),
            ("employer", e.employer.to_string()),
            ("ess_active", e.ess_active.to_string()),
            ("ess_employer", e.ess_employer.to_string()),
            ("ess_active_share_pct", opt(e.ess_active_share_pct)),
            ("ess_employer_share_pct", opt(e.ess_employer_share_pct)),
            ("all_estimated_jobs", p.jobs.all_estimated.to_string()),
            ("ess_estimated_jobs", p.jobs.ess_estimated.to_string()),
            ("ess_jobs_share_pct", opt(p.jobs.ess_share_pct)),
            ("ess_band_unknown", p.jobs.ess_band_unknown.to_string()),
        ] {
            push(
                "territoire",
                &p.territory.code,
                &p.territory.name,
                indicator,
                value,
            );
        }
        for c in &p.by_commune {
            for (indicator, value) in [
                ("active", c.active.to_string()),
                ("employer", c.employer.to_string()),
                ("jobs", c.jobs.to_string()),
                ("ess_active", c.ess_active.to_string()),
                ("ess_employer", c.ess_employer.to_string()),
                ("ess_jobs", c.ess_jobs.to_string()),
            ] {
                push("commune", &c.code, &c.name, indicator, value);
            }
        }
        for (table, dimension, groups) in [
            ("famille", Dimension::Family, &p.by_family),
            ("section_naf", Dimension::Section, &p.by_naf_section),
            ("thematique", Dimension::Theme, &p.by_theme),
            ("tranche_effectif", Dimension::Band, &p.by_band),
        ] {
            for g in groups {
                let label = group_label(dimension, &g.key);
                push(
                    table,
                    &g.key,
                    &label,
                    "ess_active",
                    g.ess_active.to_string(),
                );
                push(
                    table,
                    &g.key,
                    &label,
                    "ess_employer",
                    g.ess_employer.to_string(),
                );
                push(table, &g.key, &label, "ess_jobs", g.ess_jobs.to_string());
            }
        }
        for (table, years) in [
            ("creations", &p.creations_by_year),
            ("fermetures", &p.closures_by_year),
        ] {
            for y in years {
                let year = y.year.to_string();
                push(table, &year, &year, "ess", y.ess.to_string());
                push(table, &year, &year, "all", y.all.to_string());
            }
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(["tableau", "cle", "libelle", "indicateur", "valeur"]);
        for row in &rows {
            let _ = writer.write_record(row);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The JSON of `DATA.md` §2.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let group = |name: &str, rows: &[GroupFigures]| -> serde_json::Value {
            rows.iter()
                .map(|g| {
                    serde_json::json!({
                        name: g.key,
                        "ess_active": g.ess_active,
                        "ess_employer": g.ess_employer,
                        "ess_jobs": g.ess_jobs,
                    })
                })
                .collect()
        };
        serde_json::json!({
            "territory": self.territory,
            "source": {
                "establishments_file": self.source.establishments_file,
                "units_file": self.source.units_file,
                "imported_at": self.source.imported_at,
                "synthetic": self.source.synthetic,
            },
            "perimeter": PERIMETER,
            "establishments": self.establishments,
            "jobs": self.jobs,
            "by_commune": self.by_commune,
            "by_family": group("family", &self.by_family),
            "by_naf_section": group("section", &self.by_naf_section),
            "by_theme": group("theme", &self.by_theme),
            "by_band": group("band", &self.by_band),
            "creations_by_year": self.creations_by_year,
            "closures_by_year": self.closures_by_year,
        })
    }
}

#[cfg(test)]
// Jobs are multiples of 0.5 and shares are built from integers: exact comparisons are meant.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::referential::Referential;
    use crate::territory::TerritoryRef;

    #[test]
    fn shares_round_half_up_on_the_exact_ratio() {
        assert_eq!(share_pct(1, 3), Some(33.3));
        assert_eq!(share_pct(2, 3), Some(66.7));
        assert_eq!(share_pct(1, 8), Some(12.5));
        // 0.05 % exactly: rounds up to 0.1.
        assert_eq!(share_pct(1, 2000), Some(0.1));
        assert_eq!(share_pct(1, 2001), Some(0.0));
        assert_eq!(share_pct(5, 0), None);
        assert_eq!(share_pct(10, 10), Some(100.0));
    }

    fn fact(commune: &str, dimension: Dimension, key: &str, figures: Figures) -> FactRow {
        FactRow {
            commune: commune.to_owned(),
            dimension,
            key: key.to_owned(),
            figures,
        }
    }

    fn source() -> Source {
        Source {
            establishments_file: "StockEtablissement_utf8.csv".into(),
            units_file: "StockUniteLegale_utf8.csv".into(),
            imported_at: "2026-11-28T09:00:00Z".into(),
            synthetic: true,
        }
    }

    #[test]
    fn a_territory_sums_its_communes_and_counts_arrondissements_in_their_commune() {
        let referential = Referential::embedded();
        let lyon: TerritoryRef = "communes:69123,69259".parse().unwrap();
        let territory = lyon.resolve(referential).unwrap();
        let f = |active, employer, jobs_x2, ess_active, ess_employer, ess_jobs_x2| Figures {
            active,
            employer,
            jobs_x2,
            ess_active,
            ess_employer,
            ess_jobs_x2,
        };
        let facts = [
            fact("69381", Dimension::Total, "", f(10, 4, 30, 2, 1, 3)),
            fact("69389", Dimension::Total, "", f(5, 1, 3, 1, 1, 3)),
            fact("69259", Dimension::Total, "", f(20, 10, 100, 0, 0, 0)),
            // Outside the territory: ignored.
            fact(
                "38185",
                Dimension::Total,
                "",
                f(1000, 1000, 1000, 1000, 1000, 1000),
            ),
            fact(
                "69381",
                Dimension::Family,
                "association",
                f(0, 0, 0, 2, 1, 3),
            ),
            fact(
                "69389",
                Dimension::Family,
                "association",
                f(0, 0, 0, 1, 1, 3),
            ),
            fact("69381", Dimension::Band, "vide", f(0, 0, 0, 1, 0, 0)),
            fact("69381", Dimension::Creation, "2024", f(3, 0, 0, 1, 0, 0)),
            fact("69259", Dimension::Creation, "2023", f(2, 0, 0, 0, 0, 0)),
        ];
        let panorama = Panorama::compute(&territory, source(), &facts);
        assert_eq!(panorama.territory.communes, 2);
        assert_eq!(panorama.establishments.active, 35);
        assert_eq!(panorama.establishments.ess_employer, 2);
        assert_eq!(panorama.establishments.ess_employer_share_pct, Some(13.3));
        assert_eq!(panorama.jobs.all_estimated, 66.5);
        assert_eq!(panorama.jobs.ess_estimated, 3.0);
        assert_eq!(panorama.jobs.ess_band_unknown, 1);
        let lyon_row = panorama
            .by_commune
            .iter()
            .find(|c| c.code == "69123")
            .unwrap();
        assert_eq!(lyon_row.active, 15);
        assert_eq!(lyon_row.jobs, 16.5);
        assert_eq!(panorama.by_family[0].ess_active, 3);
        assert_eq!(
            panorama
                .creations_by_year
                .iter()
                .map(|y| (y.year, y.ess, y.all))
                .collect::<Vec<_>>(),
            [(2023, 0, 2), (2024, 1, 3)]
        );
        let json = panorama.to_json();
        assert_eq!(json["perimeter"], "essor-v1");
        assert_eq!(json["by_family"][0]["family"], "association");
        assert_eq!(json["territory"]["kind"], "communes");
        assert_eq!(json["territory"]["code"], "69123,69259");
    }

    #[test]
    fn communes_without_establishments_are_listed_with_zeros() {
        let territory = "epci:200040715"
            .parse::<TerritoryRef>()
            .unwrap()
            .resolve(Referential::embedded())
            .unwrap();
        let panorama = Panorama::compute(&territory, source(), &[]);
        assert_eq!(panorama.by_commune.len(), 49);
        assert!(panorama.by_commune.iter().all(|c| c.active == 0));
        assert_eq!(panorama.establishments.ess_active_share_pct, None);
        assert!(panorama.by_family.is_empty());
    }
}
