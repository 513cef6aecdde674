//! The reference data of French administrative geography and activity codes.
//!
//! `essor referential build` derives compact CSV files from the published sources (see
//! `data/SOURCES.md`) with [`build::derive`]; the files are committed under
//! `data/referential/` and embedded in the binary, so the product reads no outside file at run
//! time. [`Referential::embedded`] reads them back, once.
//!
//! The CSV formats are defined once, by the row types of this module, which both write and read
//! them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ids::{CodeCommune, Siren};

/// Whether a current commune code names a commune or a municipal arrondissement (Paris, Lyon,
/// Marseille).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommuneKind {
    Commune,
    Arrondissement,
}

impl CommuneKind {
    /// The key written in `communes.csv`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Commune => "commune",
            Self::Arrondissement => "arrondissement",
        }
    }

    fn parse(key: &str) -> Option<Self> {
        match key {
            "commune" => Some(Self::Commune),
            "arrondissement" => Some(Self::Arrondissement),
            _ => None,
        }
    }
}

/// A current commune, or a municipal arrondissement of Paris, Lyon or Marseille (COG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commune {
    pub code: CodeCommune,
    pub name: String,
    pub kind: CommuneKind,
    pub departement: String,
    pub region: String,
    /// For an arrondissement, its commune (75056, 69123 or 13055).
    pub parent: Option<CodeCommune>,
    /// Municipal population (0 where the source has none: uninhabited overseas communes).
    pub population: u64,
}

/// The legal form of an EPCI, as the COG codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EpciKind {
    #[serde(rename = "METRO")]
    Metropole,
    #[serde(rename = "MET69")]
    MetropoleDeLyon,
    #[serde(rename = "CU")]
    CommunauteUrbaine,
    #[serde(rename = "CA")]
    CommunauteAgglomeration,
    #[serde(rename = "CC")]
    CommunauteCommunes,
}

impl EpciKind {
    const ALL: [Self; 5] = [
        Self::Metropole,
        Self::MetropoleDeLyon,
        Self::CommunauteUrbaine,
        Self::CommunauteAgglomeration,
        Self::CommunauteCommunes,
    ];

    /// The code of the source and of `epci.csv`: `METRO`, `MET69`, `CU`, `CA`, `CC`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Metropole => "METRO",
            Self::MetropoleDeLyon => "MET69",
            Self::CommunauteUrbaine => "CU",
            Self::CommunauteAgglomeration => "CA",
            Self::CommunauteCommunes => "CC",
        }
    }

    /// The French name of the form.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Metropole => "Métropole",
            Self::MetropoleDeLyon => "Métropole de Lyon",
            Self::CommunauteUrbaine => "Communauté urbaine",
            Self::CommunauteAgglomeration => "Communauté d’agglomération",
            Self::CommunauteCommunes => "Communauté de communes",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// An EPCI (intercommunalité à fiscalité propre) with its member communes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Epci {
    pub code: Siren,
    pub name: String,
    pub kind: EpciKind,
    /// Total population (`populationTotale` of the source), the figure EPCIs publish.
    pub population: u64,
    /// Member communes, sorted by code. Never arrondissements.
    pub members: Vec<CodeCommune>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Departement {
    pub code: String,
    pub name: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// The level of a NAF rév. 2 code: `Q`, `88`, `88.1`, `88.10`, `88.10A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NafLevel {
    Section,
    Division,
    Groupe,
    Classe,
    SousClasse,
}

impl NafLevel {
    const ALL: [Self; 5] = [
        Self::Section,
        Self::Division,
        Self::Groupe,
        Self::Classe,
        Self::SousClasse,
    ];

    /// The key written in `naf.csv`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Section => "section",
            Self::Division => "division",
            Self::Groupe => "groupe",
            Self::Classe => "classe",
            Self::SousClasse => "sous-classe",
        }
    }

    fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.key() == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NafEntry {
    pub code: String,
    pub level: NafLevel,
    pub label: String,
}

/// Why the referential files could not be read. Only a defect of the shipped data can cause
/// it: the tests read the embedded files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferentialError {
    #[error("données de référence « {file} », ligne {line} : {detail}")]
    Invalid {
        file: &'static str,
        line: u64,
        detail: String,
    },
}

/// The texts of the referential's CSV files.
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    pub communes: &'a str,
    pub epci: &'a str,
    pub epci_membres: &'a str,
    pub departements: &'a str,
    pub regions: &'a str,
    pub naf: &'a str,
}

/// The files shipped in `data/referential/`, part of the binary.
pub const EMBEDDED_FILES: Files<'static> = Files {
    communes: include_str!("../../../data/referential/communes.csv"),
    epci: include_str!("../../../data/referential/epci.csv"),
    epci_membres: include_str!("../../../data/referential/epci_membres.csv"),
    departements: include_str!("../../../data/referential/departements.csv"),
    regions: include_str!("../../../data/referential/regions.csv"),
    naf: include_str!("../../../data/referential/naf.csv"),
};

static EMBEDDED: LazyLock<Referential> = LazyLock::new(|| {
    Referential::from_files(&EMBEDDED_FILES)
        .expect("the embedded data/referential files must be valid (checked by the tests)")
});

/// Communes, EPCI, départements, régions and NAF codes, indexed by code.
#[derive(Debug, Clone)]
pub struct Referential {
    communes: BTreeMap<String, Commune>,
    /// Commune code → codes of its municipal arrondissements.
    arrondissements: BTreeMap<String, Vec<String>>,
    epcis: BTreeMap<String, Epci>,
    departements: BTreeMap<String, Departement>,
    regions: BTreeMap<String, Region>,
    /// NAF entries in the file's order: each section, then its codes.
    naf: Vec<NafEntry>,
    /// NAF code → position in `naf`.
    naf_index: BTreeMap<String, usize>,
}

impl Referential {
    /// The referential shipped with essor, read on first use.
    ///
    /// # Panics
    /// Never in a released build: the files are part of the binary and the tests read them.
    #[must_use]
    pub fn embedded() -> &'static Self {
        &EMBEDDED
    }

    /// Reads the CSV files written by [`build::derive`], checking every code and link.
    pub fn from_files(files: &Files<'_>) -> Result<Self, ReferentialError> {
        let communes = read_communes(files.communes)?;
        let mut arrondissements: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for commune in communes.values() {
            if let Some(parent) = &commune.parent {
                arrondissements
                    .entry(parent.to_string())
                    .or_default()
                    .push(commune.code.to_string());
            }
        }
        let epcis = read_epcis(files.epci, files.epci_membres, &communes)?;
        let regions = read_rows::<build::RegionRow>("regions.csv", files.regions)?
            .into_iter()
            .map(|(_, row)| {
                let region = Region {
                    code: row.code,
                    name: row.nom,
                };
                (region.code.clone(), region)
            })
            .collect();
        let departements =
            read_rows::<build::DepartementRow>("departements.csv", files.departements)?
                .into_iter()
                .map(|(_, row)| {
                    let departement = Departement {
                        code: row.code,
                        name: row.nom,
                        region: row.region,
                    };
                    (departement.code.clone(), departement)
                })
                .collect();
        let naf = read_naf(files.naf)?;
        let naf_index = naf
            .iter()
            .enumerate()
            .map(|(position, entry)| (entry.code.clone(), position))
            .collect();
        Ok(Self {
            communes,
            arrondissements,
            epcis,
            departements,
            regions,
            naf,
            naf_index,
        })
    }

    /// A current commune or municipal arrondissement, by INSEE code.
    #[must_use]
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.communes.get(code)
    }

    /// Every current commune and arrondissement, by code.
    pub fn communes(&self) -> impl Iterator<Item = &Commune> {
        self.communes.values()
    }

    /// The current communes of a département (arrondissements excluded), by code.
    pub fn communes_of_departement<'a>(
        &'a self,
        departement: &'a str,
    ) -> impl Iterator<Item = &'a Commune> + 'a {
        self.communes.values().filter(move |commune| {
            commune.kind == CommuneKind::Commune && commune.departement == departement
        })
    }

    /// The municipal arrondissements of a commune (Paris, Lyon, Marseille), by code; empty for
    /// any other commune.
    #[must_use]
    pub fn arrondissements_of(&self, code: &str) -> Vec<&Commune> {
        self.arrondissements
            .get(code)
            .into_iter()
            .flatten()
            .filter_map(|arrondissement| self.communes.get(arrondissement))
            .collect()
    }

    /// Communes whose code starts with `query`, or whose name starts with it (ignoring case
    /// and French accents), current communes first, by code.
    #[must_use]
    pub fn search_communes(&self, query: &str) -> Vec<&Commune> {
        let wanted = fold(query.trim());
        if wanted.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<&Commune> = self
            .communes
            .values()
            .filter(|c| {
                c.code.as_str().starts_with(query.trim()) || fold(&c.name).starts_with(&wanted)
            })
            .collect();
        found.sort_by_key(|c| c.kind == CommuneKind::Arrondissement);
        found
    }

    /// An EPCI by SIREN.
    #[must_use]
    pub fn epci(&self, code: &str) -> Option<&Epci> {
        self.epcis.get(code)
    }

    /// Every EPCI, by SIREN.
    pub fn epcis(&self) -> impl Iterator<Item = &Epci> {
        self.epcis.values()
    }

    /// The EPCI a commune belongs to (an arrondissement belongs to its commune's).
    #[must_use]
    pub fn epci_of_commune(&self, code: &str) -> Option<&Epci> {
        let commune = self.communes.get(code)?;
        let member = commune.parent.as_ref().unwrap_or(&commune.code);
        self.epcis
            .values()
            .find(|epci| epci.members.contains(member))
    }

    /// The EPCI with at least one member commune in the département, by SIREN.
    #[must_use]
    pub fn epcis_in_departement(&self, departement: &str) -> Vec<&Epci> {
        self.epcis
            .values()
            .filter(|epci| {
                epci.members.iter().any(|member| {
                    self.communes
                        .get(member.as_str())
                        .is_some_and(|c| c.departement == departement)
                })
            })
            .collect()
    }

    #[must_use]
    pub fn departement(&self, code: &str) -> Option<&Departement> {
        self.departements.get(code)
    }

    /// Every département, by code.
    pub fn departements(&self) -> impl Iterator<Item = &Departement> {
        self.departements.values()
    }

    #[must_use]
    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.get(code)
    }

    /// Every région, by code.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// A NAF rév. 2 entry of any level: `Q`, `88`, `88.1`, `88.10`, `88.10A`.
    #[must_use]
    pub fn naf(&self, code: &str) -> Option<&NafEntry> {
        self.naf_index
            .get(code)
            .and_then(|&position| self.naf.get(position))
    }

    /// The French label of a NAF rév. 2 code of any level.
    #[must_use]
    pub fn naf_label(&self, code: &str) -> Option<&str> {
        self.naf(code).map(|entry| entry.label.as_str())
    }

    /// Every NAF entry, in the nomenclature's order: each section, then its divisions, groups,
    /// classes and sub-classes.
    pub fn naf_entries(&self) -> impl Iterator<Item = &NafEntry> {
        self.naf.iter()
    }
}

/// Lower-cases and strips French accents, so that `écu` and `Ecu` compare equal: a sort and
/// search key, not a display form.
#[must_use]
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => out.push('a'),
            'ç' => out.push('c'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ÿ' | 'ý' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' => out.push('\''),
            other => out.push(other),
        }
    }
    out
}

/// Rows of a CSV text with their line numbers (the header is line 1).
fn read_rows<T: DeserializeOwned>(
    file: &'static str,
    text: &str,
) -> Result<Vec<(u64, T)>, ReferentialError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .deserialize()
        .enumerate()
        .map(|(index, row)| {
            let line = index as u64 + 2;
            row.map(|row| (line, row))
                .map_err(|error| ReferentialError::Invalid {
                    file,
                    line,
                    detail: error.to_string(),
                })
        })
        .collect()
}

fn invalid(file: &'static str, line: u64, detail: impl Into<String>) -> ReferentialError {
    ReferentialError::Invalid {
        file,
        line,
        detail: detail.into(),
    }
}

fn parse_code(file: &'static str, line: u64, code: &str) -> Result<CodeCommune, ReferentialError> {
    CodeCommune::parse(code).map_err(|error| invalid(file, line, error.to_string()))
}

fn read_communes(text: &str) -> Result<BTreeMap<String, Commune>, ReferentialError> {
    const FILE: &str = "communes.csv";
    let mut communes = BTreeMap::new();
    for (line, row) in read_rows::<build::CommuneRow>(FILE, text)? {
        let kind = CommuneKind::parse(&row.kind)
            .ok_or_else(|| invalid(FILE, line, format!("type « {} » inconnu", row.kind)))?;
        let parent = match (kind, row.commune.as_str()) {
            (CommuneKind::Commune, "") => None,
            (CommuneKind::Arrondissement, parent) if !parent.is_empty() => {
                Some(parse_code(FILE, line, parent)?)
            }
            _ => {
                return Err(invalid(
                    FILE,
                    line,
                    "seul un arrondissement a une commune de rattachement, et il en a une",
                ));
            }
        };
        let commune = Commune {
            code: parse_code(FILE, line, &row.code)?,
            name: row.nom,
            kind,
            departement: row.departement,
            region: row.region,
            parent,
            population: row.population,
        };
        communes.insert(commune.code.to_string(), commune);
    }
    Ok(communes)
}

fn read_epcis(
    epci_text: &str,
    members_text: &str,
    communes: &BTreeMap<String, Commune>,
) -> Result<BTreeMap<String, Epci>, ReferentialError> {
    const FILE: &str = "epci.csv";
    const MEMBERS: &str = "epci_membres.csv";
    let mut epcis = BTreeMap::new();
    for (line, row) in read_rows::<build::EpciRow>(FILE, epci_text)? {
        let epci = Epci {
            code: Siren::parse(&row.code)
                .map_err(|error| invalid(FILE, line, error.to_string()))?,
            name: row.nom,
            kind: EpciKind::parse(&row.kind)
                .ok_or_else(|| invalid(FILE, line, format!("type « {} » inconnu", row.kind)))?,
            population: row.population,
            members: Vec::new(),
        };
        epcis.insert(epci.code.to_string(), epci);
    }
    for (line, row) in read_rows::<build::EpciMemberRow>(MEMBERS, members_text)? {
        let member = parse_code(MEMBERS, line, &row.commune)?;
        if !communes.contains_key(member.as_str()) {
            return Err(invalid(
                MEMBERS,
                line,
                format!("commune « {member} » inconnue"),
            ));
        }
        epcis
            .get_mut(&row.epci)
            .ok_or_else(|| invalid(MEMBERS, line, format!("EPCI « {} » inconnu", row.epci)))?
            .members
            .push(member);
    }
    for epci in epcis.values_mut() {
        epci.members.sort();
    }
    Ok(epcis)
}

fn read_naf(text: &str) -> Result<Vec<NafEntry>, ReferentialError> {
    const FILE: &str = "naf.csv";
    read_rows::<build::NafRow>(FILE, text)?
        .into_iter()
        .map(|(line, row)| {
            let level = NafLevel::parse(&row.niveau)
                .ok_or_else(|| invalid(FILE, line, format!("niveau « {} » inconnu", row.niveau)))?;
            Ok(NafEntry {
                code: row.code,
                level,
                label: row.libelle,
            })
        })
        .collect()
}

/// Derivation of the referential files from the published sources: texts in, texts out (the
/// CLI does the reading and writing). Every output is sorted by code, so that deriving twice
/// gives identical bytes.
pub mod build {
    use std::collections::BTreeSet;

    use serde::{Deserialize, Serialize};

    use super::{CommuneKind, EpciKind, NafLevel};
    use crate::ids::{CodeCommune, NAF_SECTIONS, NafSection, Siren};

    /// Source files, relative to the folder of the published data.
    pub const SOURCE_COMMUNES: &str = "decoupage-administratif-6.0.0/communes.json";
    pub const SOURCE_EPCI: &str = "decoupage-administratif-6.0.0/epci.json";
    pub const SOURCE_DEPARTEMENTS: &str = "decoupage-administratif-6.0.0/departements.json";
    pub const SOURCE_REGIONS: &str = "decoupage-administratif-6.0.0/regions.json";
    pub const SOURCE_LICENSE: &str = "decoupage-administratif-6.0.0/LICENSE";
    pub const SOURCE_NAF: &str = "codes-naf-rev2.json";
    pub const SOURCE_ISERE_GEOJSON: &str = "communes-38-isere-2018.geojson";

    /// Where the licence of the COG files is copied, relative to the output folder.
    pub const LICENSE_PATH: &str = "referential/LICENSE-decoupage-administratif";

    /// Decimals kept in contour coordinates: 5 decimals of a degree are about a metre.
    const COORDINATE_DECIMALS: i32 = 5;

    /// The texts of the source files.
    #[derive(Debug, Clone, Copy)]
    pub struct Sources<'a> {
        pub communes: &'a str,
        pub epci: &'a str,
        pub departements: &'a str,
        pub regions: &'a str,
        pub naf: &'a str,
        pub isere_geojson: &'a str,
    }

    /// A derived file: its path relative to the output folder (`data/`), its text, and how
    /// many records (rows or features) it holds.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct DerivedFile {
        pub path: &'static str,
        pub contents: String,
        pub records: usize,
    }

    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    pub enum BuildError {
        #[error("la source « {source_name} » est illisible : {detail}")]
        Unreadable {
            source_name: &'static str,
            detail: String,
        },
        #[error("la source « {source_name} » est incohérente : {detail}")]
        Invalid {
            source_name: &'static str,
            detail: String,
        },
    }

    fn invalid(source_name: &'static str, detail: impl Into<String>) -> BuildError {
        BuildError::Invalid {
            source_name,
            detail: detail.into(),
        }
    }

    // Rows of the derived CSV files; the referential reads them back with the same types.

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct CommuneRow {
        pub code: String,
        pub nom: String,
        #[serde(rename = "type")]
        pub kind: String,
        pub departement: String,
        pub region: String,
        pub commune: String,
        pub population: u64,
    }

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct EpciRow {
        pub code: String,
        pub nom: String,
        #[serde(rename = "type")]
        pub kind: String,
        pub population: u64,
    }

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct EpciMemberRow {
        pub epci: String,
        pub commune: String,
    }

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct DepartementRow {
        pub code: String,
        pub nom: String,
        pub region: String,
    }

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct RegionRow {
        pub code: String,
        pub nom: String,
    }

    #[derive(Debug, Serialize, Deserialize)]
    pub(super) struct NafRow {
        pub code: String,
        pub niveau: String,
        pub libelle: String,
    }

    // Records of the sources (only the fields used; the others are ignored).

    #[derive(Deserialize)]
    struct SourceCommune {
        code: String,
        nom: String,
        #[serde(rename = "type")]
        kind: String,
        departement: Option<String>,
        region: Option<String>,
        commune: Option<String>,
        population: Option<u64>,
    }

    #[derive(Deserialize)]
    struct SourceEpci {
        code: String,
        nom: String,
        #[serde(rename = "type")]
        kind: String,
        #[serde(rename = "populationTotale")]
        population_totale: u64,
        membres: Vec<SourceMember>,
    }

    #[derive(Deserialize)]
    struct SourceMember {
        code: String,
    }

    #[derive(Deserialize)]
    struct SourceDepartement {
        code: String,
        nom: String,
        region: String,
    }

    #[derive(Deserialize)]
    struct SourceRegion {
        code: String,
        nom: String,
    }

    #[derive(Deserialize)]
    struct SourceNaf {
        id: String,
        label: String,
    }

    #[derive(Deserialize)]
    struct SourceCollection {
        features: Vec<Feature>,
    }

    /// A contour, as read and as written (extra properties are dropped on reading).
    #[derive(Serialize, Deserialize)]
    struct Feature {
        #[serde(rename = "type")]
        kind: String,
        properties: FeatureProperties,
        geometry: Geometry,
    }

    #[derive(Serialize, Deserialize)]
    struct FeatureProperties {
        code: String,
        nom: String,
    }

    #[derive(Serialize, Deserialize)]
    struct Geometry {
        #[serde(rename = "type")]
        kind: String,
        coordinates: serde_json::Value,
    }

    fn parse_json<T: serde::de::DeserializeOwned>(
        source_name: &'static str,
        text: &str,
    ) -> Result<T, BuildError> {
        serde_json::from_str(text).map_err(|error| BuildError::Unreadable {
            source_name,
            detail: error.to_string(),
        })
    }

    /// Derives every file of `data/referential/` (but the licence, copied as is) and
    /// `data/geo/communes-38.geojson`.
    pub fn derive(sources: &Sources<'_>) -> Result<Vec<DerivedFile>, BuildError> {
        let communes: Vec<SourceCommune> = parse_json(SOURCE_COMMUNES, sources.communes)?;
        let communes = commune_rows(&communes)?;
        let current: BTreeSet<&str> = communes
            .iter()
            .filter(|row| row.kind == CommuneKind::Commune.key())
            .map(|row| row.code.as_str())
            .collect();
        let epcis: Vec<SourceEpci> = parse_json(SOURCE_EPCI, sources.epci)?;
        let (epcis, members) = epci_rows(&epcis, &current)?;
        let departements = departement_rows(parse_json(SOURCE_DEPARTEMENTS, sources.departements)?);
        let regions = region_rows(parse_json(SOURCE_REGIONS, sources.regions)?);
        let naf = naf_rows(parse_json(SOURCE_NAF, sources.naf)?)?;
        Ok(vec![
            csv_file("referential/communes.csv", &communes)?,
            csv_file("referential/epci.csv", &epcis)?,
            csv_file("referential/epci_membres.csv", &members)?,
            csv_file("referential/departements.csv", &departements)?,
            csv_file("referential/regions.csv", &regions)?,
            csv_file("referential/naf.csv", &naf)?,
            geojson_file(
                "geo/communes-38.geojson",
                parse_json(SOURCE_ISERE_GEOJSON, sources.isere_geojson)?,
            )?,
        ])
    }

    fn csv_file<T: Serialize>(path: &'static str, rows: &[T]) -> Result<DerivedFile, BuildError> {
        let failed = |detail: String| invalid(SOURCE_COMMUNES, format!("{path} : {detail}"));
        let mut writer = csv::Writer::from_writer(Vec::new());
        for row in rows {
            writer
                .serialize(row)
                .map_err(|error| failed(error.to_string()))?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|error| failed(error.to_string()))?;
        let contents = String::from_utf8(bytes).map_err(|error| failed(error.to_string()))?;
        Ok(DerivedFile {
            path,
            contents,
            records: rows.len(),
        })
    }

    /// Current communes and municipal arrondissements; former, delegated and associated
    /// communes are not current communes and are left out.
    fn commune_rows(sources: &[SourceCommune]) -> Result<Vec<CommuneRow>, BuildError> {
        let mut rows = Vec::new();
        for source in sources {
            let (kind, parent) = match (source.kind.as_str(), &source.commune) {
                ("commune-actuelle", _) => (CommuneKind::Commune, String::new()),
                ("arrondissement-municipal", Some(parent)) => {
                    (CommuneKind::Arrondissement, parent.clone())
                }
                _ => continue,
            };
            let missing = |field: &str| {
                invalid(
                    SOURCE_COMMUNES,
                    format!("la commune {} n’a pas de {field}", source.code),
                )
            };
            CodeCommune::parse(&source.code)
                .map_err(|error| invalid(SOURCE_COMMUNES, error.to_string()))?;
            rows.push(CommuneRow {
                code: source.code.clone(),
                nom: source.nom.clone(),
                kind: kind.key().to_owned(),
                departement: source
                    .departement
                    .clone()
                    .ok_or_else(|| missing("département"))?,
                region: source.region.clone().ok_or_else(|| missing("région"))?,
                commune: parent,
                population: source.population.unwrap_or(0),
            });
        }
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(pair) = rows.windows(2).find(|pair| pair[0].code == pair[1].code) {
            return Err(invalid(
                SOURCE_COMMUNES,
                format!("le code {} est en double", pair[0].code),
            ));
        }
        Ok(rows)
    }

    fn epci_rows(
        sources: &[SourceEpci],
        current: &BTreeSet<&str>,
    ) -> Result<(Vec<EpciRow>, Vec<EpciMemberRow>), BuildError> {
        let mut epcis = Vec::new();
        let mut members = Vec::new();
        for source in sources {
            Siren::parse(&source.code).map_err(|error| invalid(SOURCE_EPCI, error.to_string()))?;
            let kind = EpciKind::parse(&source.kind).ok_or_else(|| {
                invalid(
                    SOURCE_EPCI,
                    format!("type « {} » inconnu (EPCI {})", source.kind, source.code),
                )
            })?;
            for member in &source.membres {
                if !current.contains(member.code.as_str()) {
                    return Err(invalid(
                        SOURCE_EPCI,
                        format!(
                            "l’EPCI {} compte la commune {}, qui n’est pas une commune actuelle",
                            source.code, member.code
                        ),
                    ));
                }
                members.push(EpciMemberRow {
                    epci: source.code.clone(),
                    commune: member.code.clone(),
                });
            }
            epcis.push(EpciRow {
                code: source.code.clone(),
                nom: source.nom.clone(),
                kind: kind.code().to_owned(),
                population: source.population_totale,
            });
        }
        epcis.sort_by(|a, b| a.code.cmp(&b.code));
        members.sort_by(|a, b| (&a.epci, &a.commune).cmp(&(&b.epci, &b.commune)));
        Ok((epcis, members))
    }

    fn departement_rows(sources: Vec<SourceDepartement>) -> Vec<DepartementRow> {
        let mut rows: Vec<DepartementRow> = sources
            .into_iter()
            .map(|source| DepartementRow {
                code: source.code,
                nom: source.nom,
                region: source.region,
            })
            .collect();
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        rows
    }

    fn region_rows(sources: Vec<SourceRegion>) -> Vec<RegionRow> {
        let mut rows: Vec<RegionRow> = sources
            .into_iter()
            .map(|source| RegionRow {
                code: source.code,
                nom: source.nom,
            })
            .collect();
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        rows
    }

    /// The codes of the source in code order, each section inserted before its first
    /// division: `A`, `01`, `01.1`, `01.11`, `01.11Z`, …
    fn naf_rows(mut sources: Vec<SourceNaf>) -> Result<Vec<NafRow>, BuildError> {
        sources.sort_by(|a, b| a.id.cmp(&b.id));
        let mut rows = Vec::new();
        let mut last_section = None;
        for source in sources {
            let level = naf_level(&source.id)?;
            if level == NafLevel::Division {
                let section = naf_section(&source.id)?;
                if last_section != Some(section) {
                    rows.push(NafRow {
                        code: section.letter().to_string(),
                        niveau: NafLevel::Section.key().to_owned(),
                        libelle: section.label().to_owned(),
                    });
                    last_section = Some(section);
                }
            }
            rows.push(NafRow {
                code: source.id,
                niveau: level.key().to_owned(),
                libelle: source.label,
            });
        }
        let sections = rows
            .iter()
            .filter(|row| row.niveau == NafLevel::Section.key())
            .count();
        if sections != NAF_SECTIONS.len() {
            return Err(invalid(
                SOURCE_NAF,
                format!("{sections} sections trouvées au lieu de 21"),
            ));
        }
        Ok(rows)
    }

    fn naf_level(code: &str) -> Result<NafLevel, BuildError> {
        let bytes = code.as_bytes();
        let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
        let shape_ok = digit(0) && digit(1) && (bytes.len() == 2 || bytes.get(2) == Some(&b'.'));
        let level = match bytes.len() {
            2 => Some(NafLevel::Division),
            4 if digit(3) => Some(NafLevel::Groupe),
            5 if digit(3) && digit(4) => Some(NafLevel::Classe),
            6 if digit(3) && digit(4) && bytes[5].is_ascii_uppercase() => {
                Some(NafLevel::SousClasse)
            }
            _ => None,
        };
        level
            .filter(|_| shape_ok)
            .ok_or_else(|| invalid(SOURCE_NAF, format!("code « {code} » inattendu")))
    }

    fn naf_section(division: &str) -> Result<NafSection, BuildError> {
        division
            .parse::<u8>()
            .ok()
            .and_then(NafSection::of_division)
            .ok_or_else(|| invalid(SOURCE_NAF, format!("division « {division} » sans section")))
    }

    /// The contours with only `code` and `nom`, coordinates rounded, one feature a line.
    fn geojson_file(
        path: &'static str,
        source: SourceCollection,
    ) -> Result<DerivedFile, BuildError> {
        let mut features = source.features;
        features.sort_by(|a, b| a.properties.code.cmp(&b.properties.code));
        let mut lines = Vec::with_capacity(features.len());
        for mut feature in features {
            "Feature".clone_into(&mut feature.kind);
            round_coordinates(&mut feature.geometry.coordinates);
            let line = serde_json::to_string(&feature)
                .map_err(|error| invalid(SOURCE_ISERE_GEOJSON, error.to_string()))?;
            lines.push(line);
        }
        let contents = format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
            lines.join(",\n")
        );
        Ok(DerivedFile {
            path,
            contents,
            records: lines.len(),
        })
    }

    fn round_coordinates(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Array(items) => items.iter_mut().for_each(round_coordinates),
            serde_json::Value::Number(number) => {
                let scale = 10f64.powi(COORDINATE_DECIMALS);
                if let Some(rounded) = number
                    .as_f64()
                    .and_then(|x| serde_json::Number::from_f64((x * scale).round() / scale))
                {
                    *number = rounded;
                }
            }
            _ => {}
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn coordinates_are_rounded_to_five_decimals() {
            let mut value = serde_json::json!([[5.123_456_78, 45.000_004_9], [1, -2.999_999_9]]);
            round_coordinates(&mut value);
            assert_eq!(value.to_string(), "[[5.12346,45.0],[1.0,-3.0]]");
        }

        #[test]
        fn naf_levels_follow_the_shape_of_the_code() {
            assert_eq!(naf_level("01").unwrap(), NafLevel::Division);
            assert_eq!(naf_level("01.1").unwrap(), NafLevel::Groupe);
            assert_eq!(naf_level("01.11").unwrap(), NafLevel::Classe);
            assert_eq!(naf_level("01.11Z").unwrap(), NafLevel::SousClasse);
            assert!(naf_level("0111Z").is_err());
            assert!(naf_level("A").is_err());
        }

        #[test]
        fn sections_are_inserted_before_their_first_division() {
            let sources = (1..=99u8)
                .filter(|d| NafSection::of_division(*d).is_some())
                .map(|d| SourceNaf {
                    id: format!("{d:02}"),
                    label: format!("division {d}"),
                })
                .rev()
                .collect();
            let rows = naf_rows(sources).unwrap();
            let codes: Vec<&str> = rows.iter().take(5).map(|r| r.code.as_str()).collect();
            assert_eq!(codes, ["A", "01", "02", "03", "B"]);
        }

        #[test]
        fn former_and_delegated_communes_are_left_out() {
            let sources: Vec<SourceCommune> = serde_json::from_str(
                r#"[
                {"code":"75101","nom":"Paris 1er Arrondissement","type":"arrondissement-municipal","commune":"75056","departement":"75","region":"11","population":15114},
                {"code":"01015","nom":"Arbignieu","type":"commune-deleguee","departement":"01","region":"84"},
                {"code":"01015","nom":"Arboys en Bugey","type":"commune-actuelle","departement":"01","region":"84","population":700}
            ]"#,
            )
            .unwrap();
            let rows = commune_rows(&sources).unwrap();
            let kept: Vec<(&str, &str, &str)> = rows
                .iter()
                .map(|r| (r.code.as_str(), r.kind.as_str(), r.commune.as_str()))
                .collect();
            assert_eq!(
                kept,
                [
                    ("01015", "commune", ""),
                    ("75101", "arrondissement", "75056")
                ]
            );
        }

        #[test]
        fn an_epci_member_that_is_not_a_current_commune_is_refused() {
            let sources: Vec<SourceEpci> = serde_json::from_str(
                r#"[{"code":"200040715","nom":"M","type":"METRO","populationTotale":1,"membres":[{"code":"38999"}]}]"#,
            )
            .unwrap();
            let error = epci_rows(&sources, &BTreeSet::from(["38185"])).unwrap_err();
            assert!(error.to_string().contains("38999"), "{error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referential() -> &'static Referential {
        Referential::embedded()
    }

    #[test]
    fn the_embedded_files_are_read_without_error() {
        Referential::from_files(&EMBEDDED_FILES).unwrap();
    }

    #[test]
    fn grenoble_is_a_current_commune_of_isere() {
        let grenoble = referential().commune("38185").unwrap();
        assert_eq!(grenoble.name, "Grenoble");
        assert_eq!(grenoble.kind, CommuneKind::Commune);
        assert_eq!(grenoble.departement, "38");
        assert_eq!(grenoble.region, "84");
        assert_eq!(grenoble.parent, None);
        assert!(grenoble.population > 150_000);
    }

    #[test]
    fn only_current_communes_and_arrondissements_are_kept() {
        let current = referential()
            .communes()
            .filter(|c| c.kind == CommuneKind::Commune)
            .count();
        let arrondissements = referential()
            .communes()
            .filter(|c| c.kind == CommuneKind::Arrondissement)
            .count();
        assert_eq!(current, 34_969);
        assert_eq!(arrondissements, 45);
    }

    #[test]
    fn paris_lyon_and_marseille_have_their_municipal_arrondissements() {
        let codes = |code| -> Vec<String> {
            referential()
                .arrondissements_of(code)
                .iter()
                .map(|c| c.code.to_string())
                .collect()
        };
        let paris = codes("75056");
        assert_eq!(paris.len(), 20);
        assert_eq!(paris.first().map(String::as_str), Some("75101"));
        assert_eq!(paris.last().map(String::as_str), Some("75120"));
        assert_eq!(codes("69123").len(), 9);
        assert_eq!(codes("13055").len(), 16);
        assert!(codes("38185").is_empty());
        let first = referential().commune("75101").unwrap();
        assert_eq!(
            first.parent.as_ref().map(CodeCommune::as_str),
            Some("75056")
        );
    }

    #[test]
    fn grenoble_alpes_metropole_has_49_members_and_its_total_population() {
        let metro = referential().epci("200040715").unwrap();
        assert_eq!(metro.name, "Grenoble-Alpes-Métropole");
        assert_eq!(metro.kind, EpciKind::Metropole);
        assert_eq!(metro.members.len(), 49);
        assert_eq!(metro.population, 455_436);
        assert_eq!(
            referential()
                .epci_of_commune("38185")
                .map(|e| e.code.as_str()),
            Some("200040715")
        );
        assert_eq!(referential().epcis().count(), 1255);
    }

    #[test]
    fn an_arrondissement_belongs_to_the_epci_of_its_commune() {
        let lyon = referential().epci_of_commune("69383").unwrap();
        assert_eq!(lyon.kind, EpciKind::MetropoleDeLyon);
    }

    #[test]
    fn departements_and_regions_are_named() {
        let isere = referential().departement("38").unwrap();
        assert_eq!(isere.name, "Isère");
        assert_eq!(
            referential().region(&isere.region).unwrap().name,
            "Auvergne-Rhône-Alpes"
        );
        assert!(referential().departement("2A").is_some());
        assert!(referential().departement("20").is_none());
        assert_eq!(referential().communes_of_departement("38").count(), 512);
    }

    #[test]
    fn naf_labels_exist_at_every_level() {
        let r = referential();
        assert_eq!(r.naf_label("Q"), Some("Santé humaine et action sociale"));
        assert_eq!(r.naf("88").map(|e| e.level), Some(NafLevel::Division));
        assert_eq!(r.naf("88.1").map(|e| e.level), Some(NafLevel::Groupe));
        assert_eq!(r.naf("88.10").map(|e| e.level), Some(NafLevel::Classe));
        assert_eq!(r.naf("88.10A").map(|e| e.level), Some(NafLevel::SousClasse));
        assert!(r.naf_label("38.11Z").unwrap().contains("déchets"));
        assert_eq!(r.naf_label("00.00Z"), None);
        assert_eq!(
            r.naf_entries()
                .filter(|e| e.level == NafLevel::Section)
                .count(),
            21
        );
        assert_eq!(r.naf_entries().count(), 1707 + 21);
    }

    #[test]
    fn communes_are_found_by_name_prefix_without_accents_or_by_code() {
        let found = referential().search_communes("saint-martin-d'he");
        assert!(found.iter().any(|c| c.code.as_str() == "38421"));
        let echirolles = referential().search_communes("echirolles");
        assert_eq!(echirolles.first().map(|c| c.code.as_str()), Some("38151"));
        assert!(
            referential()
                .search_communes("3818")
                .iter()
                .any(|c| c.name == "Grenoble")
        );
        assert!(referential().search_communes("  ").is_empty());
    }

    #[test]
    fn a_row_with_an_unknown_type_is_refused_with_its_line() {
        let files = Files {
            communes: "code,nom,type,departement,region,commune,population\n38185,Grenoble,ville,38,84,,1\n",
            ..EMBEDDED_FILES
        };
        let error = Referential::from_files(&files).unwrap_err();
        assert_eq!(
            error.to_string(),
            "données de référence « communes.csv », ligne 2 : type « ville » inconnu"
        );
    }

    #[test]
    fn folding_removes_case_and_french_accents() {
        assert_eq!(fold("Échirolles"), "echirolles");
        assert_eq!(fold("Saint-Martin-d’Hères"), "saint-martin-d'heres");
        assert_eq!(fold("Œuvre"), "oeuvre");
    }
}
