//! Territories: an EPCI, a département or a list of communes.
//!
//! A [`TerritoryRef`] is what people write (`epci:200040715`, `departement:38`,
//! `communes:38185,38421`); resolving it against the [`Referential`] gives a [`Territory`]:
//! its name, its member communes and its population.
//!
//! Membership follows DATA.md: a territory's communes are an EPCI's members, a département's
//! current communes, or the listed codes; a territory that contains Paris (75056), Lyon (69123)
//! or Marseille (13055) also contains their municipal arrondissements, which are not counted
//! as communes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{CodeCommune, IdError, Siren};
use crate::referential::{Commune, CommuneKind, Referential, fold};

/// Above this many communes, a list of communes is named by its count.
const NAMED_COMMUNES_MAX: usize = 3;

/// Why a territory could not be read or found. Messages are in French: they reach users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerritoryError {
    #[error(
        "« {0} » n’est pas un territoire : écrivez epci:SIREN, departement:CODE ou \
         communes:CODE,CODE (par exemple epci:200040715)"
    )]
    Syntax(String),
    #[error("type de territoire « {0} » inconnu : epci, departement ou communes attendu")]
    UnknownKind(String),
    #[error("code d’EPCI invalide : {reason}")]
    BadEpciCode { reason: IdError },
    #[error(
        "code de département « {0} » invalide : 2 chiffres, 2A ou 2B, ou 3 chiffres outre-mer \
         (par exemple 38)"
    )]
    BadDepartementCode(String),
    #[error("code de commune invalide : {reason}")]
    BadCommuneCode { reason: IdError },
    #[error("la liste de communes est vide : écrivez par exemple communes:38185,38421")]
    NoCommunes,
    #[error("EPCI inconnu : aucun EPCI n’a le SIREN {0}")]
    UnknownEpci(String),
    #[error("département inconnu : {0}")]
    UnknownDepartement(String),
    #[error("commune inconnue : {0} n’est pas le code d’une commune actuelle")]
    UnknownCommune(String),
    #[error(
        "{code} est un arrondissement municipal : indiquez sa commune, {commune}, qui contient \
         tous ses arrondissements"
    )]
    Arrondissement { code: String, commune: String },
}

/// A territory as people write it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TerritoryRef {
    /// An EPCI, by SIREN (9 digits).
    Epci(String),
    /// A département, by code (`38`, `2A`, `974`).
    Departement(String),
    /// Communes, by INSEE code, in the order given.
    Communes(Vec<CodeCommune>),
}

impl TerritoryRef {
    /// The key of the kind: `epci`, `departement` or `communes`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Epci(_) => "epci",
            Self::Departement(_) => "departement",
            Self::Communes(_) => "communes",
        }
    }

    /// The code part: a SIREN, a département code, or commune codes joined by commas.
    #[must_use]
    pub fn code(&self) -> String {
        match self {
            Self::Epci(code) | Self::Departement(code) => code.clone(),
            Self::Communes(codes) => codes
                .iter()
                .map(CodeCommune::as_str)
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// Finds the territory in the referential, with its communes and population.
    pub fn resolve(&self, referential: &Referential) -> Result<Territory, TerritoryError> {
        let resolved = match self {
            Self::Epci(code) => resolve_epci(code, referential)?,
            Self::Departement(code) => resolve_departement(code, referential)?,
            Self::Communes(codes) => resolve_communes(codes, referential)?,
        };
        Ok(resolved.into_territory(self.clone(), referential))
    }
}

impl fmt::Display for TerritoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.code())
    }
}

impl FromStr for TerritoryRef {
    type Err = TerritoryError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (kind, value) = input
            .trim()
            .split_once(':')
            .ok_or_else(|| TerritoryError::Syntax(input.trim().to_owned()))?;
        match kind.trim().to_lowercase().as_str() {
            "epci" => parse_epci(value),
            "departement" | "département" => parse_departement(value),
            "communes" | "commune" => parse_communes(value),
            _ => Err(TerritoryError::UnknownKind(kind.trim().to_owned())),
        }
    }
}

fn parse_epci(value: &str) -> Result<TerritoryRef, TerritoryError> {
    let siren = Siren::parse(value).map_err(|reason| TerritoryError::BadEpciCode { reason })?;
    Ok(TerritoryRef::Epci(siren.as_str().to_owned()))
}

fn parse_departement(value: &str) -> Result<TerritoryRef, TerritoryError> {
    let code = value.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    let all_digits = bytes.iter().all(u8::is_ascii_digit);
    let valid = match bytes.len() {
        2 => all_digits || code == "2A" || code == "2B",
        3 => all_digits && (code.starts_with("97") || code.starts_with("98")),
        _ => false,
    };
    if valid {
        Ok(TerritoryRef::Departement(code))
    } else {
        Err(TerritoryError::BadDepartementCode(value.trim().to_owned()))
    }
}

fn parse_communes(value: &str) -> Result<TerritoryRef, TerritoryError> {
    let codes = value
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(|code| {
            CodeCommune::parse(code).map_err(|reason| TerritoryError::BadCommuneCode { reason })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if codes.is_empty() {
        return Err(TerritoryError::NoCommunes);
    }
    Ok(TerritoryRef::Communes(codes))
}

impl Serialize for TerritoryRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TerritoryRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// A territory resolved against the referential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Territory {
    pub reference: TerritoryRef,
    /// What it is, in French: the EPCI's legal form (`Métropole`), `Département`, `Communes`.
    pub kind_label: &'static str,
    /// The SIREN of an EPCI, the code of a département, or the commune codes joined by commas
    /// as given.
    pub code: String,
    /// `Grenoble-Alpes-Métropole`, `Isère`, `Grenoble, Échirolles` or
    /// `5 communes`.
    pub name: String,
    /// Member communes (never arrondissements), sorted by name, ignoring case and accents.
    pub communes: Vec<Commune>,
    /// The municipal arrondissements of member communes (Paris, Lyon, Marseille), by code.
    pub arrondissements: Vec<Commune>,
    /// For an EPCI, its total population (`populationTotale`, the figure EPCIs publish: 455 436
    /// for Grenoble-Alpes-Métropole); otherwise the sum of the member communes' municipal
    /// populations. The two are different measures: the total population also counts people
    /// living elsewhere who keep a home in the commune (students, boarders).
    pub population: u64,
}

impl Territory {
    /// The key of the kind: `epci`, `departement` or `communes`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        self.reference.kind()
    }

    /// Whether an INSEE code (of a commune or a municipal arrondissement) lies in the territory.
    #[must_use]
    pub fn contains(&self, code: &str) -> bool {
        self.member_commune(code).is_some()
    }

    /// The member commune that a code counts in: the commune itself, or the commune of a
    /// municipal arrondissement (`75101` counts in Paris).
    #[must_use]
    pub fn member_commune(&self, code: &str) -> Option<&Commune> {
        let code = self
            .arrondissements
            .iter()
            .find(|arrondissement| arrondissement.code.as_str() == code)
            .and_then(|arrondissement| arrondissement.parent.as_ref())
            .map_or(code, CodeCommune::as_str);
        self.communes
            .iter()
            .find(|commune| commune.code.as_str() == code)
    }

    /// Every code that lies in the territory: member communes and their arrondissements, by
    /// code. Build a set from it to test many codes.
    #[must_use]
    pub fn commune_codes_with_arrondissements(&self) -> Vec<String> {
        let mut codes: Vec<String> = self
            .communes
            .iter()
            .chain(&self.arrondissements)
            .map(|commune| commune.code.to_string())
            .collect();
        codes.sort();
        codes
    }
}

/// What each kind of territory contributes before the common part is built.
struct Resolved {
    kind_label: &'static str,
    code: String,
    name: String,
    communes: Vec<Commune>,
    /// `None`: the sum of the communes' populations.
    population: Option<u64>,
}

impl Resolved {
    fn into_territory(self, reference: TerritoryRef, referential: &Referential) -> Territory {
        let mut communes = self.communes;
        communes.sort_by_cached_key(|commune| {
            (
                fold(&commune.name),
                commune.name.clone(),
                commune.code.clone(),
            )
        });
        let mut arrondissements: Vec<Commune> = communes
            .iter()
            .flat_map(|commune| referential.arrondissements_of(commune.code.as_str()))
            .cloned()
            .collect();
        arrondissements.sort_by(|a, b| a.code.cmp(&b.code));
        let population = self
            .population
            .unwrap_or_else(|| communes.iter().map(|commune| commune.population).sum());
        Territory {
            reference,
            kind_label: self.kind_label,
            code: self.code,
            name: self.name,
            communes,
            arrondissements,
            population,
        }
    }
}

fn resolve_epci(code: &str, referential: &Referential) -> Result<Resolved, TerritoryError> {
    let epci = referential
        .epci(code)
        .ok_or_else(|| TerritoryError::UnknownEpci(code.to_owned()))?;
    let communes = epci
        .members
        .iter()
        .map(|member| {
            referential
                .commune(member.as_str())
                .cloned()
                .ok_or_else(|| TerritoryError::UnknownCommune(member.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok(Resolved {
        kind_label: epci.kind.label(),
        code: epci.code.to_string(),
        name: epci.name.clone(),
        communes,
        population: Some(epci.population),
    })
}

fn resolve_departement(code: &str, referential: &Referential) -> Result<Resolved, TerritoryError> {
    let departement = referential
        .departement(code)
        .ok_or_else(|| TerritoryError::UnknownDepartement(code.to_owned()))?;
    Ok(Resolved {
        kind_label: "Département",
        code: departement.code.clone(),
        name: departement.name.clone(),
        communes: referential.communes_of_departement(code).cloned().collect(),
        population: None,
    })
}

fn resolve_communes(
    codes: &[CodeCommune],
    referential: &Referential,
) -> Result<Resolved, TerritoryError> {
    let mut communes: Vec<Commune> = Vec::with_capacity(codes.len());
    for code in codes {
        let commune = referential
            .commune(code.as_str())
            .ok_or_else(|| TerritoryError::UnknownCommune(code.to_string()))?;
        if let Some(parent) = &commune.parent {
            return Err(TerritoryError::Arrondissement {
                code: code.to_string(),
                commune: parent.to_string(),
            });
        }
        debug_assert_eq!(commune.kind, CommuneKind::Commune);
        if !communes.iter().any(|known| known.code == commune.code) {
            communes.push(commune.clone());
        }
    }
    let name = if communes.len() > NAMED_COMMUNES_MAX {
        format!("{} communes", communes.len())
    } else {
        communes
            .iter()
            .map(|commune| commune.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(Resolved {
        kind_label: "Communes",
        code: TerritoryRef::Communes(codes.to_vec()).code(),
        name,
        communes,
        population: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn resolve(input: &str) -> Result<Territory, TerritoryError> {
        input
            .parse::<TerritoryRef>()?
            .resolve(Referential::embedded())
    }

    fn codes(territory: &Territory) -> Vec<&str> {
        territory.communes.iter().map(|c| c.code.as_str()).collect()
    }

    #[test]
    fn grenoble_alpes_metropole_has_49_communes_including_grenoble_and_455_436_inhabitants() {
        let metro = resolve("epci:200040715").unwrap();
        assert_eq!(metro.name, "Grenoble-Alpes-Métropole");
        assert_eq!(metro.kind(), "epci");
        assert_eq!(metro.kind_label, "Métropole");
        assert_eq!(metro.code, "200040715");
        assert_eq!(metro.communes.len(), 49);
        assert!(codes(&metro).contains(&"38185"));
        assert!(codes(&metro).contains(&"38421"), "Saint-Martin-d'Hères");
        assert_eq!(metro.population, 455_436);
        assert!(metro.arrondissements.is_empty());
        assert!(metro.contains("38185"));
        assert!(!metro.contains("69123"));
    }

    #[test]
    fn communes_are_sorted_by_name_ignoring_accents() {
        let metro = resolve("epci:200040715").unwrap();
        let names: Vec<&str> = metro.communes.iter().map(|c| c.name.as_str()).collect();
        let echirolles = names.iter().position(|n| *n == "Échirolles").unwrap();
        let eybens = names.iter().position(|n| *n == "Eybens").unwrap();
        let domene = names.iter().position(|n| *n == "Domène").unwrap();
        assert!(domene < echirolles && echirolles < eybens, "{names:?}");
    }

    #[test]
    fn the_metropole_de_lyon_contains_the_arrondissements_of_lyon() {
        let lyon = resolve("epci:200046977").unwrap();
        assert_eq!(lyon.kind_label, "Métropole de Lyon");
        assert!(lyon.contains("69123"));
        for code in 69381..=69389 {
            assert!(lyon.contains(&code.to_string()), "{code}");
            assert_eq!(
                lyon.member_commune(&code.to_string())
                    .map(|c| c.name.as_str()),
                Some("Lyon")
            );
        }
        assert!(
            !codes(&lyon).contains(&"69381"),
            "arrondissements are not communes"
        );
        let all = lyon.commune_codes_with_arrondissements();
        assert_eq!(all.len(), lyon.communes.len() + 9);
    }

    #[test]
    fn paris_contains_its_twenty_arrondissements_but_counts_as_one_commune() {
        let paris = resolve("communes:75056").unwrap();
        assert_eq!(paris.name, "Paris");
        assert_eq!(paris.communes.len(), 1);
        assert_eq!(paris.arrondissements.len(), 20);
        assert!(paris.contains("75101") && paris.contains("75120"));
        assert!(!paris.contains("75121"));
        assert_eq!(paris.population, paris.communes[0].population);
        let marseille = resolve("communes:13055").unwrap();
        assert_eq!(
            marseille.commune_codes_with_arrondissements(),
            std::iter::once("13055".to_owned())
                .chain((13201..=13216).map(|c| c.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn isere_has_its_512_current_communes_and_the_sum_of_their_population() {
        let isere = resolve("departement:38").unwrap();
        assert_eq!(isere.name, "Isère");
        assert_eq!(isere.kind_label, "Département");
        assert_eq!(isere.code, "38");
        assert_eq!(isere.communes.len(), 512);
        let sum: u64 = isere.communes.iter().map(|c| c.population).sum();
        assert_eq!(isere.population, sum);
        assert!(isere.communes.iter().all(|c| c.departement == "38"));
    }

    #[test]
    fn the_rhone_departement_holds_the_arrondissements_of_lyon() {
        let rhone = resolve("departement:69").unwrap();
        assert!(rhone.contains("69385"));
        assert!(
            rhone
                .communes
                .iter()
                .all(|c| c.kind == CommuneKind::Commune)
        );
    }

    #[test]
    fn a_short_list_of_communes_is_named_after_them_and_a_long_one_by_its_count() {
        let two = resolve("communes:38185,38421").unwrap();
        assert_eq!(two.name, "Grenoble, Saint-Martin-d'Hères");
        assert_eq!(two.code, "38185,38421");
        assert_eq!(two.kind_label, "Communes");
        let grenoble = Referential::embedded().commune("38185").unwrap().population;
        let smh = Referential::embedded().commune("38421").unwrap().population;
        assert_eq!(two.population, grenoble + smh);
        let four = resolve("communes:38185,38421,38151,38169").unwrap();
        assert_eq!(four.name, "4 communes");
    }

    #[test]
    fn a_commune_listed_twice_is_counted_once() {
        let twice = resolve("communes:38185, 38185").unwrap();
        assert_eq!(twice.communes.len(), 1);
        assert_eq!(twice.name, "Grenoble");
    }

    #[test]
    fn unknown_codes_give_french_errors_naming_them() {
        assert_eq!(
            resolve("epci:200000016").unwrap_err().to_string(),
            "EPCI inconnu : aucun EPCI n’a le SIREN 200000016"
        );
        assert_eq!(
            resolve("departement:99").unwrap_err().to_string(),
            "département inconnu : 99"
        );
        assert_eq!(
            resolve("communes:38185,38999").unwrap_err().to_string(),
            "commune inconnue : 38999 n’est pas le code d’une commune actuelle"
        );
        assert_eq!(
            resolve("communes:75101").unwrap_err(),
            TerritoryError::Arrondissement {
                code: "75101".into(),
                commune: "75056".into()
            }
        );
    }

    #[test]
    fn malformed_territories_give_french_errors_naming_the_bad_part() {
        let error = |input: &str| input.parse::<TerritoryRef>().unwrap_err().to_string();
        assert!(error("grenoble").starts_with("« grenoble » n’est pas un territoire"));
        assert_eq!(
            error("region:84"),
            "type de territoire « region » inconnu : epci, departement ou communes attendu"
        );
        assert_eq!(
            error("epci:20004071"),
            "code d’EPCI invalide : le SIREN « 20004071 » doit compter 9 chiffres"
        );
        assert!(error("departement:386").starts_with("code de département « 386 » invalide"));
        assert!(error("communes:38185,3818").contains("« 3818 »"));
        assert_eq!(
            error("communes: , "),
            "la liste de communes est vide : écrivez par exemple communes:38185,38421"
        );
    }

    #[test]
    fn parsing_normalises_what_people_type() {
        let parsed: TerritoryRef = " EPCI:200 040 715 ".parse().unwrap();
        assert_eq!(parsed, TerritoryRef::Epci("200040715".into()));
        assert_eq!(
            "département:2a"
                .parse::<TerritoryRef>()
                .unwrap()
                .to_string(),
            "departement:2A"
        );
    }

    #[test]
    fn a_reference_serialises_as_its_text() {
        let reference: TerritoryRef = "communes:38185,38421".parse().unwrap();
        let json = serde_json::to_string(&reference).unwrap();
        assert_eq!(json, "\"communes:38185,38421\"");
        assert_eq!(
            serde_json::from_str::<TerritoryRef>(&json).unwrap(),
            reference
        );
    }

    proptest! {
        #[test]
        fn display_gives_back_what_parse_reads(
            reference in prop_oneof![
                "[0-9]{8}".prop_map(|body| {
                    let siren = (0..10)
                        .map(|d| format!("{body}{d}"))
                        .find(|c| Siren::parse(c).is_ok())
                        .unwrap();
                    TerritoryRef::Epci(siren)
                }),
                "([0-9]{2}|2A|2B|97[0-9])".prop_map(TerritoryRef::Departement),
                proptest::collection::vec("[0-9]{5}", 1..6).prop_map(|codes| {
                    TerritoryRef::Communes(
                        codes.iter().map(|c| CodeCommune::parse(c).unwrap()).collect(),
                    )
                }),
            ]
        ) {
            let text = reference.to_string();
            prop_assert_eq!(text.parse::<TerritoryRef>().unwrap(), reference);
        }

        #[test]
        fn parsing_any_text_never_panics(input in "\\PC{0,30}") {
            let _ = input.parse::<TerritoryRef>();
        }
    }
}
