//! What essor keeps of each ESS establishment of the configured territory, for the directory.
//!
//! The import builds an [`EstablishmentRecord`] from the SIRENE stock files with the functions of
//! this module, which carry the rules of dissemination (`DATA.md` §1): essor never displays nor
//! rebuilds a value INSEE masked as `[ND]`, and never shows the name of an individual
//! entrepreneur (legal category 1000) whose unit is under partial dissemination (`P`).

use serde::{Deserialize, Serialize};

use crate::ess::Family;

/// How INSEE writes a masked value.
pub const MASKED: &str = "[ND]";

/// The legal category of individual entrepreneurs (natural persons).
pub const NATURAL_PERSON_CATEGORY: &str = "1000";

/// One ESS establishment of the territory, with its public fields only.
// The flags are the file's own yes/no columns; an enum would not read better.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstablishmentRecord {
    /// 14 digits, as in the file.
    pub siret: String,
    /// 9 digits, as in the file.
    pub siren: String,
    /// `codeCommuneEtablissement`, as in the file (an arrondissement for Paris, Lyon, Marseille).
    pub commune: String,
    /// `etatAdministratifEtablissement = A`.
    pub active: bool,
    /// Active and `caractereEmployeurEtablissement = O`.
    pub employer: bool,
    /// `etablissementSiege = true`.
    pub head_office: bool,
    /// The unit or the establishment is under partial dissemination (`statutDiffusion = P`).
    pub diffusion_partial: bool,
    /// The unit's name (see [`UnitIdentity::name`]).
    pub name: Option<String>,
    /// The unit's acronym (`sigleUniteLegale`).
    pub acronym: Option<String>,
    /// The establishment's sign or usual name (see [`sign`]).
    pub sign: Option<String>,
    /// Number, repetition, street type and street (see [`address_line`]).
    pub address_line: Option<String>,
    pub postcode: Option<String>,
    /// `activitePrincipaleEtablissement`, as written.
    pub naf: Option<String>,
    /// `nomenclatureActivitePrincipaleEtablissement` (`NAFRev2`, `NAFRev1`, …).
    pub naf_nomenclature: Option<String>,
    /// `trancheEffectifsEtablissement`; `None` when empty.
    pub band: Option<String>,
    pub family: Family,
    /// `categorieJuridiqueUniteLegale`, 4 digits.
    pub legal_category: String,
    /// The unit is flagged ESS (`economieSocialeSolidaireUniteLegale = O`).
    pub ess_flag: bool,
    /// `dateCreationEtablissement`, ISO date; `None` when empty or unknown (`1900-01-01`).
    pub created: Option<String>,
    /// Lambert 93 coordinates, metres; `None` when empty or masked.
    pub lambert_x: Option<f64>,
    pub lambert_y: Option<f64>,
    /// NAF section key (`A`…`U`, `non_classee`).
    pub section: String,
    /// Theme keys, in the order of the theme table.
    pub themes: Vec<String>,
    /// Estimated jobs, doubled (0 when closed).
    pub jobs_x2: u32,
}

/// A value as it may be shown: trimmed, `None` when empty or masked.
#[must_use]
pub fn public(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty() && value != MASKED).then_some(value)
}

/// Whether a value is masked by INSEE.
#[must_use]
pub fn is_masked(value: &str) -> bool {
    value.trim() == MASKED
}

/// The identity fields of a legal unit, as written in `StockUniteLegale` (empty when the column
/// is missing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitIdentity<'a> {
    /// `categorieJuridiqueUniteLegale`.
    pub category: &'a str,
    /// `statutDiffusionUniteLegale = P`.
    pub partial: bool,
    pub denomination: &'a str,
    pub sigle: &'a str,
    pub nom: &'a str,
    pub nom_usage: &'a str,
    pub prenom1: &'a str,
    pub prenom_usuel: &'a str,
}

impl UnitIdentity<'_> {
    /// Whether the unit is an individual entrepreneur under partial dissemination, whose
    /// identity must never be shown.
    #[must_use]
    pub fn is_protected_person(&self) -> bool {
        self.category == NATURAL_PERSON_CATEGORY && self.partial
    }

    /// The name to show: the denomination of a legal person; `prénom nom` of a natural person
    /// (usual first name, else the first one; usage name, else the birth name). `None` when the
    /// value used is masked, when nothing is filled, and always for a natural person whose unit
    /// is under partial dissemination.
    #[must_use]
    pub fn name(&self) -> Option<String> {
        if self.category == NATURAL_PERSON_CATEGORY {
            if self.partial {
                return None;
            }
            let first = choose(self.prenom_usuel, self.prenom1)?;
            let last = choose(self.nom_usage, self.nom)?;
            let name = [first, last]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (!name.is_empty()).then_some(name)
        } else {
            public(self.denomination).map(str::to_owned)
        }
    }

    /// The acronym, unless masked or protected.
    #[must_use]
    pub fn acronym(&self) -> Option<String> {
        if self.is_protected_person() {
            return None;
        }
        public(self.sigle).map(str::to_owned)
    }
}

/// The preferred value if filled, else the fallback; `None` if the value chosen is masked (a
/// masked value is never replaced by another, which could rebuild it). `Some("")` when both are
/// empty.
fn choose<'a>(preferred: &'a str, fallback: &'a str) -> Option<&'a str> {
    let chosen = if preferred.trim().is_empty() {
        fallback.trim()
    } else {
        preferred.trim()
    };
    (chosen != MASKED).then_some(chosen)
}

/// The establishment's sign (`enseigne1Etablissement`), else its usual name
/// (`denominationUsuelleEtablissement`); `None` when masked, and always for an individual
/// entrepreneur under partial dissemination, whose sign is often their name.
#[must_use]
pub fn sign(enseigne: &str, denomination_usuelle: &str, protected_person: bool) -> Option<String> {
    if protected_person {
        return None;
    }
    let chosen = choose(enseigne, denomination_usuelle)?;
    (!chosen.is_empty()).then(|| chosen.to_owned())
}

/// `12 bis AVENUE JEAN JAURES` from the number, repetition index, street type and street name;
/// `None` when the establishment is under partial dissemination, when any part is masked, or
/// when there is no street name.
#[must_use]
pub fn address_line(
    partial: bool,
    numero: &str,
    indice: &str,
    type_voie: &str,
    libelle_voie: &str,
) -> Option<String> {
    let parts = [numero, indice, type_voie, libelle_voie].map(str::trim);
    if partial || parts.contains(&MASKED) || parts[3].is_empty() {
        return None;
    }
    let [numero, indice, type_voie, libelle] = parts;
    let number = match (numero.is_empty(), repetition_label(indice)) {
        (true, _) => String::new(),
        (false, "") => numero.to_owned(),
        (false, repetition) => format!("{numero} {repetition}"),
    };
    let line = [number.as_str(), street_type_label(type_voie), libelle]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(line)
}

/// `B` → `bis`, `T` → `ter`, `Q` → `quater`, `C` → `quinquies`; other values as written.
fn repetition_label(indice: &str) -> &str {
    match indice {
        "B" => "bis",
        "T" => "ter",
        "Q" => "quater",
        "C" => "quinquies",
        other => other,
    }
}

/// The street type spelled out, in capitals like INSEE's street names (`AV` → `AVENUE`); an
/// unknown code as written.
#[must_use]
pub fn street_type_label(code: &str) -> &str {
    match code {
        "ALL" => "ALLÉE",
        "AV" => "AVENUE",
        "BD" => "BOULEVARD",
        "CAR" => "CARREFOUR",
        "CHE" => "CHEMIN",
        "CHS" => "CHAUSSÉE",
        "CITE" => "CITÉ",
        "COR" => "CORNICHE",
        "CRS" => "COURS",
        "DOM" => "DOMAINE",
        "DSC" => "DESCENTE",
        "ECA" => "ÉCART",
        "ESP" => "ESPLANADE",
        "FG" => "FAUBOURG",
        "GR" => "GRANDE RUE",
        "HAM" => "HAMEAU",
        "HLE" => "HALLE",
        "IMP" => "IMPASSE",
        "LD" => "LIEU-DIT",
        "LOT" => "LOTISSEMENT",
        "MAR" => "MARCHÉ",
        "MTE" => "MONTÉE",
        "PAS" => "PASSAGE",
        "PL" => "PLACE",
        "PLN" => "PLAINE",
        "PLT" => "PLATEAU",
        "PRO" => "PROMENADE",
        "PRV" => "PARVIS",
        "QUA" => "QUARTIER",
        "QUAI" => "QUAI",
        "RES" => "RÉSIDENCE",
        "RLE" => "RUELLE",
        "ROC" => "ROCADE",
        "RPT" => "ROND-POINT",
        "RTE" => "ROUTE",
        "RUE" => "RUE",
        "SEN" => "SENTIER",
        "SQ" => "SQUARE",
        "TPL" => "TERRE-PLEIN",
        "TRA" => "TRAVERSE",
        "VLA" => "VILLA",
        "VLGE" => "VILLAGE",
        other => other,
    }
}

/// A Lambert coordinate; `None` when empty, masked or not a number.
#[must_use]
pub fn lambert(value: &str) -> Option<f64> {
    public(value)?.parse().ok().filter(|v: &f64| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(partial: bool) -> UnitIdentity<'static> {
        UnitIdentity {
            category: "1000",
            partial,
            nom: "MARTIN",
            nom_usage: "",
            prenom1: "CLAIRE",
            prenom_usuel: "CLAIRE",
            ..UnitIdentity::default()
        }
    }

    #[test]
    fn a_legal_person_is_named_by_its_denomination() {
        let unit = UnitIdentity {
            category: "9220",
            denomination: "LES AMIS DU \"VIEUX\" MOULIN, GRENOBLE",
            sigle: "AVM",
            ..UnitIdentity::default()
        };
        assert_eq!(
            unit.name().as_deref(),
            Some("LES AMIS DU \"VIEUX\" MOULIN, GRENOBLE")
        );
        assert_eq!(unit.acronym().as_deref(), Some("AVM"));
    }

    #[test]
    fn a_legal_person_under_partial_dissemination_keeps_its_public_denomination() {
        let unit = UnitIdentity {
            category: "5499",
            partial: true,
            denomination: "SCOP ALPES",
            ..UnitIdentity::default()
        };
        assert_eq!(unit.name().as_deref(), Some("SCOP ALPES"));
    }

    #[test]
    fn a_masked_denomination_is_never_shown() {
        let unit = UnitIdentity {
            category: "9220",
            partial: true,
            denomination: "[ND]",
            sigle: "[ND]",
            ..UnitIdentity::default()
        };
        assert_eq!(unit.name(), None);
        assert_eq!(unit.acronym(), None);
    }

    #[test]
    fn a_natural_person_is_named_first_name_then_usage_name() {
        assert_eq!(person(false).name().as_deref(), Some("CLAIRE MARTIN"));
        let married = UnitIdentity {
            nom_usage: "DURAND",
            prenom_usuel: "",
            ..person(false)
        };
        assert_eq!(married.name().as_deref(), Some("CLAIRE DURAND"));
    }

    #[test]
    fn an_individual_entrepreneur_under_partial_dissemination_has_no_name_nor_sign() {
        let unit = UnitIdentity {
            sigle: "CM",
            ..person(true)
        };
        assert!(unit.is_protected_person());
        assert_eq!(unit.name(), None);
        assert_eq!(unit.acronym(), None);
        assert_eq!(sign("CHEZ CLAIRE MARTIN", "", true), None);
    }

    #[test]
    fn a_masked_part_of_a_person_s_name_is_never_rebuilt_from_another() {
        let masked_usual = UnitIdentity {
            prenom_usuel: "[ND]",
            ..person(false)
        };
        assert_eq!(masked_usual.name(), None);
        let masked_name = UnitIdentity {
            nom: "[ND]",
            ..person(false)
        };
        assert_eq!(masked_name.name(), None);
    }

    #[test]
    fn a_unit_with_nothing_filled_has_no_name() {
        assert_eq!(UnitIdentity::default().name(), None);
        let empty_person = UnitIdentity {
            category: "1000",
            ..UnitIdentity::default()
        };
        assert_eq!(empty_person.name(), None);
    }

    #[test]
    fn the_sign_is_the_first_sign_else_the_usual_name_unless_masked() {
        assert_eq!(
            sign("LA RESSOURCERIE", "RECYC", false).as_deref(),
            Some("LA RESSOURCERIE")
        );
        assert_eq!(sign("", "RECYC", false).as_deref(), Some("RECYC"));
        assert_eq!(sign("[ND]", "RECYC", false), None);
        assert_eq!(sign("", "", false), None);
    }

    #[test]
    fn an_address_line_joins_number_repetition_street_type_and_street() {
        assert_eq!(
            address_line(false, "12", "B", "AV", "JEAN JAURES").as_deref(),
            Some("12 bis AVENUE JEAN JAURES")
        );
        assert_eq!(
            address_line(false, "", "", "", "LES GRANDS CHAMPS").as_deref(),
            Some("LES GRANDS CHAMPS")
        );
        assert_eq!(
            address_line(false, "3", "", "XYZ", "DU PORT").as_deref(),
            Some("3 XYZ DU PORT")
        );
    }

    #[test]
    fn a_partial_or_masked_address_is_not_shown() {
        assert_eq!(address_line(true, "12", "", "RUE", "DE LA PAIX"), None);
        assert_eq!(address_line(false, "[ND]", "", "RUE", "DE LA PAIX"), None);
        assert_eq!(address_line(false, "12", "", "RUE", "[ND]"), None);
        assert_eq!(address_line(false, "12", "", "RUE", ""), None);
    }

    #[test]
    fn lambert_coordinates_are_numbers_or_nothing() {
        assert_eq!(lambert("913254.5"), Some(913_254.5));
        assert_eq!(lambert("6458025"), Some(6_458_025.0));
        assert_eq!(lambert("[ND]"), None);
        assert_eq!(lambert(""), None);
        assert_eq!(lambert("abc"), None);
        assert_eq!(lambert("NaN"), None);
    }

    #[test]
    fn a_record_serialises_its_family_as_the_key() {
        let record = EstablishmentRecord {
            siret: "12345678900011".into(),
            siren: "123456789".into(),
            commune: "38185".into(),
            active: true,
            employer: false,
            head_office: true,
            diffusion_partial: false,
            name: Some("ASSO".into()),
            acronym: None,
            sign: None,
            address_line: None,
            postcode: Some("38000".into()),
            naf: Some("88.10A".into()),
            naf_nomenclature: Some("NAFRev2".into()),
            band: None,
            family: Family::Association,
            legal_category: "9220".into(),
            ess_flag: false,
            created: Some("2020-01-01".into()),
            lambert_x: None,
            lambert_y: None,
            section: "Q".into(),
            themes: vec![],
            jobs_x2: 0,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["family"], "association");
        let back: EstablishmentRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }
}
