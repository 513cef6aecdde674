//! essor's ESS perimeter, version 1 (`DATA.md` §2): which establishment belongs to the social
//! and solidarity economy, in which family, with which estimated jobs, NAF section and themes.
//!
//! Every rule is a pure function of the values as INSEE writes them in the SIRENE stock files,
//! so that the importer, the tests and any cross-check apply exactly the same definitions.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::NafSection;

/// The families of the ESS, from the legal category of the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Association,
    Fondation,
    Mutuelle,
    Cooperative,
    /// A unit flagged ESS (`economieSocialeSolidaireUniteLegale = O`) whose category has no
    /// family: commercial companies of the ESS (law 2014-856, art. 1 II).
    SocieteCommercialeEss,
}

impl Family {
    /// In the order the panorama lists them.
    pub const ALL: [Self; 5] = [
        Self::Association,
        Self::Fondation,
        Self::Mutuelle,
        Self::Cooperative,
        Self::SocieteCommercialeEss,
    ];

    /// The key of the panorama: `association`, …, `societe_commerciale_ess`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Association => "association",
            Self::Fondation => "fondation",
            Self::Mutuelle => "mutuelle",
            Self::Cooperative => "cooperative",
            Self::SocieteCommercialeEss => "societe_commerciale_ess",
        }
    }

    /// The French label, plural, as a heading: `Associations`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Association => "Associations",
            Self::Fondation => "Fondations",
            Self::Mutuelle => "Mutuelles",
            Self::Cooperative => "Coopératives",
            Self::SocieteCommercialeEss => "Sociétés commerciales de l’ESS",
        }
    }

    /// The family of a key written by [`Family::key`].
    #[must_use]
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|family| family.key() == key)
    }

    /// The position in [`Family::ALL`], for tables indexed by family.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The family of a legal category (`categorieJuridiqueUniteLegale`, 4 digits); `None` for any
/// category outside the lists of `DATA.md` §2, and for anything that is not 4 digits.
#[must_use]
pub fn family_of_category(category: &str) -> Option<Family> {
    family_of_category_bytes(category.as_bytes())
}

/// [`family_of_category`] on the bytes of the field.
#[must_use]
pub fn family_of_category_bytes(bytes: &[u8]) -> Option<Family> {
    if bytes.len() != 4 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = bytes
        .iter()
        .fold(0u16, |code, digit| code * 10 + u16::from(digit - b'0'));
    family_of_category_code(code)
}

/// [`family_of_category`] on the category read as a number (`9220`).
#[must_use]
pub fn family_of_category_code(code: u16) -> Option<Family> {
    match code {
        9210 | 9220 | 9221 | 9222 | 9223 | 9230 | 9240 | 9260 => Some(Family::Association),
        9300 => Some(Family::Fondation),
        8210 | 8250 | 8290 | 6411 => Some(Family::Mutuelle),
        5191..=5196
        | 6100
        | 6595
        | 6596
        | 5203
        | 5307
        | 5309
        | 5432
        | 5443
        | 5451
        | 5453
        | 5454
        | 5455
        | 5458
        | 5459
        | 5460
        | 5532
        | 5543
        | 5547
        | 5551
        | 5552
        | 5553
        | 5554
        | 5555
        | 5558
        | 5559
        | 5560
        | 5632
        | 5643
        | 5647
        | 5651
        | 5652
        | 5653
        | 5654
        | 5655
        | 5658
        | 5659
        | 5660
        | 6316
        | 6317
        | 6318
        | 6532
        | 6543
        | 6551
        | 6554
        | 6558
        | 6560 => Some(Family::Cooperative),
        _ => None,
    }
}

/// Whether an activity (`activitePrincipaleEtablissement`, compared as written whatever its
/// nomenclature) keeps a unit without the ESS flag out of the perimeter: public administration
/// (`84.`…), employers' and professional bodies, unions, religious and political organisations.
#[must_use]
pub fn is_excluded_activity(naf: &str) -> bool {
    naf.starts_with("84.") || matches!(naf, "94.11Z" | "94.12Z" | "94.20Z" | "94.91Z" | "94.92Z")
}

/// Whether an establishment belongs to the ESS: its unit exists and is flagged `O`, or its
/// unit's category has a family and its activity is not excluded.
///
/// `ess_flag` is `economieSocialeSolidaireUniteLegale` (`None` or `Some("")` when not filled);
/// `category` is the unit's legal category, `activity` the establishment's.
#[must_use]
pub fn is_ess(unit_exists: bool, ess_flag: Option<&str>, category: &str, activity: &str) -> bool {
    unit_exists
        && (ess_flag == Some("O")
            || (family_of_category(category).is_some() && !is_excluded_activity(activity)))
}

/// The ESS family of an ESS establishment: its category's, else commercial company of the ESS.
#[must_use]
pub fn ess_family(category: &str) -> Family {
    family_of_category(category).unwrap_or(Family::SocieteCommercialeEss)
}

/// The key of the empty size band.
pub const BAND_EMPTY_KEY: &str = "vide";

/// The size bands of `trancheEffectifsEtablissement`, in increasing order, with the estimated
/// jobs (the band's midpoint, doubled to stay exact) and the French label. The last one is the
/// empty band, keyed [`BAND_EMPTY_KEY`].
pub const BANDS: [(&str, u32, &str); 17] = [
    ("NN", 0, "Aucun salarié"),
    ("00", 0, "0 salarié en fin d’année"),
    ("01", 3, "1 à 2 salariés"),
    ("02", 8, "3 à 5 salariés"),
    ("03", 15, "6 à 9 salariés"),
    ("11", 29, "10 à 19 salariés"),
    ("12", 69, "20 à 49 salariés"),
    ("21", 149, "50 à 99 salariés"),
    ("22", 299, "100 à 199 salariés"),
    ("31", 449, "200 à 249 salariés"),
    ("32", 749, "250 à 499 salariés"),
    ("41", 1499, "500 à 999 salariés"),
    ("42", 2999, "1 000 à 1 999 salariés"),
    ("51", 6999, "2 000 à 4 999 salariés"),
    ("52", 14999, "5 000 à 9 999 salariés"),
    ("53", 20000, "10 000 salariés et plus"),
    (BAND_EMPTY_KEY, 0, "Effectif inconnu"),
];

/// The position of a band as written in the file (empty included) in [`BANDS`]; `None` for a
/// value INSEE does not use.
#[must_use]
pub fn band_index(band: &str) -> Option<usize> {
    band_index_bytes(band.as_bytes())
}

/// [`band_index`] on the bytes of the field.
#[must_use]
pub fn band_index_bytes(band: &[u8]) -> Option<usize> {
    let key = if band.is_empty() {
        BAND_EMPTY_KEY.as_bytes()
    } else {
        band
    };
    BANDS.iter().position(|(k, _, _)| k.as_bytes() == key)
}

/// The estimated jobs of an active establishment of this band, doubled: the band's midpoint
/// (`01`, 1 to 2 employees: 1.5 jobs, so 3). `NN`, `00`, empty and unknown values: 0.
#[must_use]
pub fn band_jobs_x2(band: &str) -> u32 {
    band_index(band).map_or(0, |index| BANDS[index].1)
}

/// The panorama's key of a band: the band as written, [`BAND_EMPTY_KEY`] for the empty band.
#[must_use]
pub fn band_key(band: &str) -> &str {
    if band.is_empty() {
        BAND_EMPTY_KEY
    } else {
        band
    }
}

/// The French label of a band key (`01`: `1 à 2 salariés`; `vide`: `Effectif inconnu`).
#[must_use]
pub fn band_label(key: &str) -> &'static str {
    BANDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("Tranche d’effectifs non reconnue", |(_, _, label)| label)
}

/// The nomenclature whose codes map to sections and themes.
pub const NAF_REV2: &str = "NAFRev2";

/// The section key of activities that do not map to a section (old nomenclature, empty,
/// `00.00Z`, malformed).
pub const SECTION_NON_CLASSEE: &str = "non_classee";

/// The section keys, in the order of [`section_index`]: `A`…`U`, then `non_classee`.
pub const SECTION_KEYS: [&str; 22] = [
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
    "U",
    SECTION_NON_CLASSEE,
];

/// Whether `naf` has the form of a NAF rév. 2 code as INSEE writes it: `NN.NNL`.
#[must_use]
pub fn has_naf_rev2_form(naf: &str) -> bool {
    let b = naf.as_bytes();
    b.len() == 6
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b[2] == b'.'
        && b[3].is_ascii_digit()
        && b[4].is_ascii_digit()
        && b[5].is_ascii_uppercase()
}

/// The NAF section of an activity: from the division of a `NAFRev2` code of the form `NN.NNL`;
/// `None` in any other case.
#[must_use]
pub fn naf_section(naf: &str, nomenclature: &str) -> Option<NafSection> {
    if nomenclature != NAF_REV2 || !has_naf_rev2_form(naf) {
        return None;
    }
    let b = naf.as_bytes();
    NafSection::of_division((b[0] - b'0') * 10 + (b[1] - b'0'))
}

/// The position of the activity's section key in [`SECTION_KEYS`].
#[must_use]
pub fn section_index(naf: &str, nomenclature: &str) -> usize {
    naf_section(naf, nomenclature).map_or(SECTION_KEYS.len() - 1, |section| {
        usize::from(section.letter() as u8 - b'A')
    })
}

/// The panorama's section key of an activity: `A`…`U`, or `non_classee`.
#[must_use]
pub fn naf_section_key(naf: &str, nomenclature: &str) -> &'static str {
    SECTION_KEYS[section_index(naf, nomenclature)]
}

/// The French label of a section key.
#[must_use]
pub fn section_label(key: &str) -> &'static str {
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(letter), None) => crate::ids::NAF_SECTIONS
            .iter()
            .find(|(l, _)| *l == letter)
            .map_or(NON_CLASSEE_LABEL, |(_, label)| label),
        _ => NON_CLASSEE_LABEL,
    }
}

const NON_CLASSEE_LABEL: &str = "Activité non classée (ancienne nomenclature)";

/// The year of a SIRENE date (`AAAA-MM-JJ`); `None` when empty, unknown (`1900-01-01`) or not
/// of that form.
#[must_use]
pub fn year_of(date: &str) -> Option<i32> {
    year_of_bytes(date.as_bytes())
}

/// [`year_of`] on the bytes of the field.
#[must_use]
pub fn year_of_bytes(b: &[u8]) -> Option<i32> {
    let form = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    if !form || b == b"1900-01-01" {
        return None;
    }
    Some(
        b[..4]
            .iter()
            .fold(0i32, |year, digit| year * 10 + i32::from(digit - b'0')),
    )
}

/// Why a theme table could not be read. Messages are in French: they reach users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "motif NAF « {0} » invalide : écrivez un code complet (88.10A) ou un début de code \
         suivi de * (35.*, 47.11*)"
    )]
    Pattern(String),
    #[error(
        "clé de thème « {0} » invalide : lettres minuscules sans accent, chiffres et _ \
         (par exemple circuits_courts)"
    )]
    Key(String),
    #[error("le thème « {0} » est défini deux fois")]
    Duplicate(String),
    #[error("le thème « {0} » n’a aucun motif NAF")]
    NoPattern(String),
    #[error("table des thèmes illisible : {0}")]
    Toml(String),
}

/// A pattern of NAF rév. 2 codes: `35.*` (every code that starts with `35.`), `47.11*` (every
/// code that starts with `47.11`) or a full code (`71.12B`, itself only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NafPattern {
    Prefix(String),
    Exact(String),
}

impl NafPattern {
    pub fn parse(raw: &str) -> Result<Self, ThemeError> {
        let raw = raw.trim();
        let invalid = || ThemeError::Pattern(raw.to_owned());
        let (body, prefix) = match raw.strip_suffix('*') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        let allowed = |c: char| c.is_ascii_digit() || c == '.' || c.is_ascii_uppercase();
        if body.is_empty() || !body.chars().all(allowed) {
            return Err(invalid());
        }
        if prefix {
            // A prefix of `NN.NNL`: digits and the dot at their places.
            let fits = body.len() < 6
                && body.bytes().enumerate().all(|(i, b)| match i {
                    2 => b == b'.',
                    _ => b.is_ascii_digit(),
                });
            if fits {
                Ok(Self::Prefix(body.to_owned()))
            } else {
                Err(invalid())
            }
        } else if has_naf_rev2_form(body) {
            Ok(Self::Exact(body.to_owned()))
        } else {
            Err(invalid())
        }
    }

    /// Whether a `NAFRev2` code as INSEE writes it matches.
    #[must_use]
    pub fn matches(&self, naf: &str) -> bool {
        match self {
            Self::Prefix(prefix) => naf.starts_with(prefix.as_str()),
            Self::Exact(code) => naf == code,
        }
    }
}

impl fmt::Display for NafPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prefix(prefix) => write!(f, "{prefix}*"),
            Self::Exact(code) => f.write_str(code),
        }
    }
}

/// A theme: a key, a French label and the NAF codes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub key: String,
    pub label: String,
    pub patterns: Vec<NafPattern>,
}

impl Theme {
    pub fn new(
        key: &str,
        label: &str,
        patterns: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, ThemeError> {
        let valid_key = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_key {
            return Err(ThemeError::Key(key.to_owned()));
        }
        let patterns = patterns
            .into_iter()
            .map(|p| NafPattern::parse(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if patterns.is_empty() {
            return Err(ThemeError::NoPattern(key.to_owned()));
        }
        Ok(Self {
            key: key.to_owned(),
            label: label.to_owned(),
            patterns,
        })
    }

    /// Whether a `NAFRev2` code belongs to the theme.
    #[must_use]
    pub fn matches(&self, naf: &str) -> bool {
        self.patterns.iter().any(|pattern| pattern.matches(naf))
    }
}

/// The default table of `DATA.md` §2: key, label, patterns.
const DEFAULT_THEMES: [(&str, &str, &[&str]); 5] = [
    (
        "transition_energetique",
        "Transition énergétique / Environnement",
        &[
            "35.*", "39.00Z", "02.*", "71.12B", "74.90B", "43.22B", "43.29A", "81.30Z",
        ],
    ),
    (
        "dechets",
        "Déchets",
        &["38.*", "37.00Z", "47.79Z", "95.*", "33.1*"],
    ),
    (
        "circuits_courts",
        "Circuits courts / Alimentation",
        &[
            "01.*", "03.*", "10.*", "11.*", "46.3*", "47.11*", "47.2*", "56.*", "47.81Z",
        ],
    ),
    (
        "mobilites",
        "Mobilités",
        &[
            "49.*", "77.11A", "77.11B", "77.21Z", "45.20A", "45.20B", "45.40Z", "52.21Z",
        ],
    ),
    (
        "habitat",
        "Habitat",
        &["41.*", "42.*", "43.*", "68.*", "55.90Z", "87.*", "81.10Z"],
    ),
];

/// The NAF → theme table (configurable per territory). [`ThemeTable::default`] is the table of
/// `DATA.md` §2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeTable {
    themes: Vec<Theme>,
}

impl Default for ThemeTable {
    fn default() -> Self {
        let themes = DEFAULT_THEMES
            .iter()
            .map(|(key, label, patterns)| {
                Theme::new(key, label, patterns.iter()).expect("the default themes are valid")
            })
            .collect();
        Self { themes }
    }
}

/// The TOML form: `[themes] dechets = ["38.*", …]`, labels optional in `[labels]`.
#[derive(Deserialize, Serialize)]
struct TomlThemes {
    themes: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
}

impl ThemeTable {
    /// A table of the given themes, each key once.
    pub fn new(themes: Vec<Theme>) -> Result<Self, ThemeError> {
        for (i, theme) in themes.iter().enumerate() {
            if themes[..i].iter().any(|other| other.key == theme.key) {
                return Err(ThemeError::Duplicate(theme.key.clone()));
            }
        }
        Ok(Self { themes })
    }

    /// Reads the TOML form:
    ///
    /// ```toml
    /// [themes]
    /// dechets = ["38.*", "37.00Z"]
    ///
    /// [labels]            # optional; a default theme keeps its label, another its key
    /// dechets = "Déchets"
    /// ```
    ///
    /// Themes are listed by key.
    pub fn from_toml(text: &str) -> Result<Self, ThemeError> {
        let parsed: TomlThemes =
            toml::from_str(text).map_err(|e| ThemeError::Toml(e.message().to_owned()))?;
        let defaults = Self::default();
        let themes = parsed
            .themes
            .iter()
            .map(|(key, patterns)| {
                let label = parsed
                    .labels
                    .get(key)
                    .map(String::as_str)
                    .or_else(|| defaults.label(key))
                    .unwrap_or(key);
                Theme::new(key, label, patterns)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(themes)
    }

    /// The TOML form that [`ThemeTable::from_toml`] reads back.
    #[must_use]
    pub fn to_toml(&self) -> String {
        let form = TomlThemes {
            themes: self
                .themes
                .iter()
                .map(|t| {
                    let patterns = t.patterns.iter().map(ToString::to_string).collect();
                    (t.key.clone(), patterns)
                })
                .collect(),
            labels: self
                .themes
                .iter()
                .map(|t| (t.key.clone(), t.label.clone()))
                .collect(),
        };
        toml::to_string(&form).expect("a map of strings is valid TOML")
    }

    #[must_use]
    pub fn themes(&self) -> &[Theme] {
        &self.themes
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.themes.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.themes.is_empty()
    }

    /// The French label of a theme key.
    #[must_use]
    pub fn label(&self, key: &str) -> Option<&str> {
        self.themes
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.label.as_str())
    }

    /// The positions in [`ThemeTable::themes`] of the themes of an activity: none unless the
    /// nomenclature is `NAFRev2`; several possible. Patterns apply to the code as written,
    /// whatever its form (`35.1`, labelled `NAFRev2`, starts with `35.`), as `DATA.md` says.
    pub fn theme_indices<'a>(
        &'a self,
        naf: &'a str,
        nomenclature: &str,
    ) -> impl Iterator<Item = usize> + 'a {
        let classified = nomenclature == NAF_REV2;
        self.themes
            .iter()
            .enumerate()
            .filter(move |(_, theme)| classified && theme.matches(naf))
            .map(|(index, _)| index)
    }

    /// The keys of the themes of an activity (see [`ThemeTable::theme_indices`]).
    pub fn themes_of<'a>(
        &'a self,
        naf: &'a str,
        nomenclature: &str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.theme_indices(naf, nomenclature)
            .map(|index| self.themes[index].key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASSOCIATION_CODES: [&str; 8] = [
        "9210", "9220", "9221", "9222", "9223", "9230", "9240", "9260",
    ];
    const COOPERATIVE_CODES: [&str; 52] = [
        "5191", "5192", "5193", "5194", "5195", "5196", "6100", "6595", "6596", "5203", "5307",
        "5309", "5432", "5443", "5451", "5453", "5454", "5455", "5458", "5459", "5460", "5532",
        "5543", "5547", "5551", "5552", "5553", "5554", "5555", "5558", "5559", "5560", "5632",
        "5643", "5647", "5651", "5652", "5653", "5654", "5655", "5658", "5659", "5660", "6316",
        "6317", "6318", "6532", "6543", "6551", "6554", "6558", "6560",
    ];

    #[test]
    fn every_listed_category_has_its_family() {
        for code in ASSOCIATION_CODES {
            assert_eq!(
                family_of_category(code),
                Some(Family::Association),
                "{code}"
            );
        }
        assert_eq!(family_of_category("9300"), Some(Family::Fondation));
        for code in ["8210", "8250", "8290", "6411"] {
            assert_eq!(family_of_category(code), Some(Family::Mutuelle), "{code}");
        }
        for code in COOPERATIVE_CODES {
            assert_eq!(
                family_of_category(code),
                Some(Family::Cooperative),
                "{code}"
            );
        }
    }

    #[test]
    fn exactly_the_listed_categories_have_a_family() {
        let with_family = (0..=9999u16)
            .filter(|code| family_of_category(&format!("{code:04}")).is_some())
            .count();
        assert_eq!(with_family, 8 + 1 + 4 + 52);
    }

    #[test]
    fn common_commercial_and_public_categories_have_no_family() {
        for code in [
            "1000", "5499", "5710", "5720", "6540", "7210", "7344", "9150", "9900", "9224", "5190",
            "5197", "8200",
        ] {
            assert_eq!(family_of_category(code), None, "{code}");
        }
    }

    #[test]
    fn a_category_that_is_not_four_digits_has_no_family() {
        for code in ["", "921", "92200", "92 0", "[ND]", "9,22"] {
            assert_eq!(family_of_category(code), None, "{code:?}");
        }
    }

    #[test]
    fn families_have_keys_and_french_labels_and_read_back() {
        assert_eq!(Family::Association.key(), "association");
        assert_eq!(Family::Cooperative.label(), "Coopératives");
        assert_eq!(
            Family::SocieteCommercialeEss.label(),
            "Sociétés commerciales de l’ESS"
        );
        for family in Family::ALL {
            assert_eq!(Family::parse(family.key()), Some(family));
            assert_eq!(Family::ALL[family.index()], family);
            assert_eq!(
                serde_json::to_value(family).unwrap(),
                serde_json::Value::String(family.key().into())
            );
        }
        assert_eq!(Family::parse("Association"), None);
    }

    #[test]
    fn public_administration_and_representative_bodies_are_excluded_activities() {
        for naf in [
            "84.11Z", "84.30C", "84.", "94.11Z", "94.12Z", "94.20Z", "94.91Z", "94.92Z",
        ] {
            assert!(is_excluded_activity(naf), "{naf}");
        }
    }

    #[test]
    fn other_activities_including_other_associations_are_not_excluded() {
        for naf in [
            "94.99Z", "88.10A", "8411Z", "84", "", "94.11", "94.11ZZ", "48.41Z",
        ] {
            assert!(!is_excluded_activity(naf), "{naf:?}");
        }
    }

    #[test]
    fn activities_are_compared_as_written_whatever_the_nomenclature() {
        // A NAFRev1 code that starts with `84.` is excluded just the same.
        assert!(is_excluded_activity("84.1A"));
        assert!(!is_excluded_activity("91.1A"));
    }

    #[test]
    fn the_flag_o_admits_a_unit_whatever_its_category_and_activity() {
        assert!(is_ess(true, Some("O"), "5710", "62.01Z"));
        assert!(is_ess(true, Some("O"), "1000", "84.11Z"));
        assert!(is_ess(true, Some("O"), "9220", "94.20Z"));
        assert!(is_ess(true, Some("O"), "", ""));
    }

    #[test]
    fn the_flag_n_or_empty_changes_nothing_the_category_decides() {
        assert!(is_ess(true, Some("N"), "9220", "88.10A"));
        assert!(is_ess(true, Some(""), "9220", "88.10A"));
        assert!(is_ess(true, None, "5458", "47.11F"));
        assert!(!is_ess(true, Some("N"), "5710", "88.10A"));
        assert!(!is_ess(true, None, "5710", "88.10A"));
    }

    #[test]
    fn a_category_with_a_family_and_an_excluded_activity_is_not_ess() {
        assert!(!is_ess(true, Some("N"), "9220", "94.20Z"));
        assert!(!is_ess(true, None, "9220", "84.11Z"));
        assert!(!is_ess(true, Some(""), "8210", "94.12Z"));
    }

    #[test]
    fn a_missing_unit_is_never_ess() {
        assert!(!is_ess(false, Some("O"), "9220", "88.10A"));
        assert!(!is_ess(false, None, "9220", "88.10A"));
    }

    #[test]
    fn a_lowercase_flag_is_not_the_flag_o() {
        assert!(!is_ess(true, Some("o"), "5710", "62.01Z"));
    }

    #[test]
    fn the_ess_family_is_the_category_s_or_commercial_company_of_the_ess() {
        assert_eq!(ess_family("9220"), Family::Association);
        assert_eq!(ess_family("9300"), Family::Fondation);
        assert_eq!(ess_family("6411"), Family::Mutuelle);
        assert_eq!(ess_family("5458"), Family::Cooperative);
        assert_eq!(ess_family("5710"), Family::SocieteCommercialeEss);
        assert_eq!(ess_family(""), Family::SocieteCommercialeEss);
    }

    #[test]
    fn bands_give_their_midpoint_doubled() {
        let expected = [
            ("01", 3),
            ("02", 8),
            ("03", 15),
            ("11", 29),
            ("12", 69),
            ("21", 149),
            ("22", 299),
            ("31", 449),
            ("32", 749),
            ("41", 1499),
            ("42", 2999),
            ("51", 6999),
            ("52", 14999),
            ("53", 20000),
        ];
        for (band, x2) in expected {
            assert_eq!(band_jobs_x2(band), x2, "{band}");
        }
    }

    #[test]
    fn halves_stay_exact_once_doubled() {
        // 1.5 + 4 + 7.5 + 14.5 = 27.5 jobs, exactly 55 halves.
        let sum: u32 = ["01", "02", "03", "11"]
            .iter()
            .map(|b| band_jobs_x2(b))
            .sum();
        assert_eq!(sum, 55);
    }

    #[test]
    fn no_employee_empty_and_unknown_bands_give_no_jobs() {
        for band in ["NN", "00", "", "99", "1", "nn"] {
            assert_eq!(band_jobs_x2(band), 0, "{band:?}");
        }
    }

    #[test]
    fn the_empty_band_is_keyed_vide_and_labelled_unknown() {
        assert_eq!(band_key(""), "vide");
        assert_eq!(band_key("NN"), "NN");
        assert_eq!(band_label("vide"), "Effectif inconnu");
        assert_eq!(band_label("01"), "1 à 2 salariés");
        assert_eq!(band_label("53"), "10 000 salariés et plus");
        assert_eq!(band_index(""), Some(16));
        assert_eq!(band_index("NN"), Some(0));
        assert_eq!(band_index("99"), None);
        assert_eq!(band_label("99"), "Tranche d’effectifs non reconnue");
    }

    #[test]
    fn a_naf_rev2_code_maps_to_the_section_of_its_division() {
        let cases = [
            ("01.11Z", "A"),
            ("03.22Z", "A"),
            ("05.10Z", "B"),
            ("33.20A", "C"),
            ("35.11Z", "D"),
            ("39.00Z", "E"),
            ("43.99C", "F"),
            ("47.11F", "G"),
            ("53.20Z", "H"),
            ("56.10A", "I"),
            ("63.99Z", "J"),
            ("66.30Z", "K"),
            ("68.20B", "L"),
            ("75.00Z", "M"),
            ("82.99Z", "N"),
            ("84.11Z", "O"),
            ("85.59A", "P"),
            ("88.10A", "Q"),
            ("93.29Z", "R"),
            ("94.99Z", "S"),
            ("98.20Z", "T"),
            ("99.00Z", "U"),
        ];
        for (naf, section) in cases {
            assert_eq!(naf_section_key(naf, "NAFRev2"), section, "{naf}");
            assert_eq!(SECTION_KEYS[section_index(naf, "NAFRev2")], section);
        }
    }

    #[test]
    fn old_nomenclatures_are_not_classified() {
        assert_eq!(naf_section_key("85.3K", "NAFRev1"), "non_classee");
        assert_eq!(naf_section_key("88.10A", "NAFRev1"), "non_classee");
        assert_eq!(naf_section_key("88.10A", "NAF1993"), "non_classee");
        assert_eq!(naf_section_key("88.10A", "NAP"), "non_classee");
        assert_eq!(naf_section_key("88.10A", ""), "non_classee");
    }

    #[test]
    fn empty_placeholder_and_malformed_codes_are_not_classified() {
        for naf in [
            "", "00.00Z", "8810A", "88.10", "88.10a", "88,10A", "04.11Z", "[ND]",
        ] {
            assert_eq!(naf_section_key(naf, "NAFRev2"), "non_classee", "{naf:?}");
        }
    }

    #[test]
    fn sections_have_french_labels() {
        assert_eq!(section_label("Q"), "Santé humaine et action sociale");
        assert_eq!(
            section_label("non_classee"),
            "Activité non classée (ancienne nomenclature)"
        );
    }

    #[test]
    fn years_come_from_iso_dates_and_unknown_dates_have_none() {
        assert_eq!(year_of("2024-03-15"), Some(2024));
        assert_eq!(year_of("1973-01-01"), Some(1973));
        assert_eq!(year_of("1900-05-02"), Some(1900));
        assert_eq!(year_of(""), None);
        assert_eq!(year_of("1900-01-01"), None);
        assert_eq!(year_of("2024"), None);
        assert_eq!(year_of("15/03/2024"), None);
        assert_eq!(year_of("2024-03-15T10:00:00"), None);
        assert_eq!(year_of("[ND]"), None);
    }

    fn themes(naf: &str, nomenclature: &str) -> Vec<String> {
        ThemeTable::default()
            .themes_of(naf, nomenclature)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_default_table_has_the_five_themes_of_data_md_in_order() {
        let table = ThemeTable::default();
        let keys: Vec<&str> = table.themes().iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "transition_energetique",
                "dechets",
                "circuits_courts",
                "mobilites",
                "habitat"
            ]
        );
        assert_eq!(table.label("dechets"), Some("Déchets"));
        assert_eq!(table.len(), 5);
    }

    #[test]
    fn a_division_pattern_matches_every_code_of_the_division() {
        assert_eq!(themes("35.11Z", "NAFRev2"), ["transition_energetique"]);
        assert_eq!(themes("38.32Z", "NAFRev2"), ["dechets"]);
        assert_eq!(themes("56.10A", "NAFRev2"), ["circuits_courts"]);
    }

    #[test]
    fn a_longer_prefix_matches_only_codes_that_start_with_it() {
        assert_eq!(themes("47.11F", "NAFRev2"), ["circuits_courts"]);
        assert_eq!(themes("47.19A", "NAFRev2"), Vec::<String>::new());
        assert_eq!(themes("33.12Z", "NAFRev2"), ["dechets"]);
        assert_eq!(themes("33.20A", "NAFRev2"), Vec::<String>::new());
        assert_eq!(themes("46.31Z", "NAFRev2"), ["circuits_courts"]);
    }

    #[test]
    fn a_full_code_matches_itself_only() {
        assert_eq!(themes("71.12B", "NAFRev2"), ["transition_energetique"]);
        assert_eq!(themes("71.12A", "NAFRev2"), Vec::<String>::new());
        assert_eq!(themes("77.11A", "NAFRev2"), ["mobilites"]);
    }

    #[test]
    fn an_activity_may_have_several_themes_or_none() {
        assert_eq!(
            themes("43.22B", "NAFRev2"),
            ["transition_energetique", "habitat"]
        );
        assert_eq!(
            themes("81.30Z", "NAFRev2"),
            ["transition_energetique"],
            "81.30Z is not 81.10Z"
        );
        assert_eq!(themes("88.10A", "NAFRev2"), Vec::<String>::new());
    }

    #[test]
    fn old_nomenclatures_have_no_theme() {
        assert_eq!(themes("35.11Z", "NAFRev1"), Vec::<String>::new());
        assert_eq!(themes("01.1A", "NAFRev1"), Vec::<String>::new());
        assert_eq!(themes("35.11Z", ""), Vec::<String>::new());
    }

    #[test]
    fn a_naf_rev2_code_of_another_form_matches_the_patterns_it_starts_with() {
        assert_eq!(themes("35.1", "NAFRev2"), ["transition_energetique"]);
        assert_eq!(themes("47.11", "NAFRev2"), ["circuits_courts"]);
        assert_eq!(
            themes("71.12", "NAFRev2"),
            Vec::<String>::new(),
            "full codes match exactly"
        );
        assert_eq!(themes("00.00Z", "NAFRev2"), Vec::<String>::new());
        assert_eq!(themes("", "NAFRev2"), Vec::<String>::new());
    }

    #[test]
    fn theme_indices_follow_the_table_order() {
        let table = ThemeTable::default();
        assert_eq!(
            table.theme_indices("43.22B", "NAFRev2").collect::<Vec<_>>(),
            [0, 4]
        );
    }

    #[test]
    fn a_table_reads_from_toml_with_default_labels_kept() {
        let table = ThemeTable::from_toml(
            r#"
            [themes]
            dechets = ["38.*", "37.00Z"]
            sante = ["86.*", "88.10A"]

            [labels]
            sante = "Santé"
            "#,
        )
        .unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table.label("dechets"), Some("Déchets"));
        assert_eq!(table.label("sante"), Some("Santé"));
        let sante: Vec<&str> = table.themes_of("86.10Z", "NAFRev2").collect();
        assert_eq!(sante, ["sante"]);
        assert_eq!(table.themes_of("88.10B", "NAFRev2").count(), 0);
    }

    #[test]
    fn the_toml_form_reads_back_the_same_table() {
        let table = ThemeTable::default();
        let again = ThemeTable::from_toml(&table.to_toml()).unwrap();
        assert_eq!(again.len(), table.len());
        for theme in table.themes() {
            let other = again.themes().iter().find(|t| t.key == theme.key).unwrap();
            assert_eq!(other, theme);
        }
    }

    #[test]
    fn bad_theme_tables_give_french_errors_naming_the_fault() {
        let err = |text: &str| ThemeTable::from_toml(text).unwrap_err().to_string();
        assert!(err("[themes]\nx = [\"3*5\"]").starts_with("motif NAF « 3*5 » invalide"));
        assert!(err("[themes]\nx = [\"88.10\"]").starts_with("motif NAF « 88.10 » invalide"));
        assert!(err("[themes]\nx = [\"8810A\"]").contains("« 8810A »"));
        assert!(err("[themes]\nx = [\"881.*\"]").contains("« 881.* »"));
        assert!(err("[themes]\n\"Déchets\" = [\"38.*\"]").starts_with("clé de thème « Déchets »"));
        assert_eq!(
            err("[themes]\nx = []"),
            "le thème « x » n’a aucun motif NAF"
        );
        assert!(err("themes = 3").starts_with("table des thèmes illisible"));
        let twice = ThemeTable::new(vec![
            Theme::new("a", "A", ["38.*"]).unwrap(),
            Theme::new("a", "A", ["39.*"]).unwrap(),
        ]);
        assert_eq!(twice, Err(ThemeError::Duplicate("a".into())));
    }

    #[test]
    fn patterns_display_as_written() {
        for raw in ["35.*", "47.11*", "71.12B", "3*"] {
            assert_eq!(NafPattern::parse(raw).unwrap().to_string(), raw);
        }
    }
}
