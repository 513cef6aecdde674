//! Synthetic SIRENE stock files in INSEE's exact format (`DATA.md` §1 and §3).
//!
//! Real SIRENE files cannot be downloaded where essor is built and benchmarked, so essor
//! generates `StockEtablissement_utf8.csv` and `StockUniteLegale_utf8.csv` with the current
//! headers, codes, quoting, `[ND]` masks, partially public units, closed units, former
//! nomenclatures, missing legal units and names with commas, quotes and backslashes.
//! Establishments are spread over the real communes in proportion to their population, and
//! the shares of legal categories, states, size bands and activities are plausible; the
//! reference territory (Grenoble-Alpes-Métropole) is calibrated to the seed's figures (see
//! [`model`]). Everything generated is fictitious: names, addresses and numbers are drawn at
//! random.
//!
//! A generation is deterministic (a seed gives the same bytes), streams its rows (memory does
//! not grow with the size) and writes more than a million establishment rows a second on one
//! core in release builds.

mod alias;
mod csvbuf;
mod dates;
mod generator;
mod geo;
mod model;
/// Words that names and addresses are made of, as INSEE writes them (upper case).
pub mod names;
mod rng;
mod sink;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use essor_domain::referential::Referential;

/// Name of the establishments file, as data.gouv.fr publishes it.
pub const ESTABLISHMENTS_FILE: &str = "StockEtablissement_utf8.csv";
/// Name of the legal units file.
pub const UNITS_FILE: &str = "StockUniteLegale_utf8.csv";
/// Names of the archives holding them.
pub const ESTABLISHMENTS_ZIP: &str = "StockEtablissement_utf8.zip";
pub const UNITS_ZIP: &str = "StockUniteLegale_utf8.zip";

/// A file written beside the stock files, marking them as generated: `essor import sirene`
/// then labels their figures as synthetic.
pub const SYNTHETIC_MARKER: &str = "DONNEES-SYNTHETIQUES.txt";
const SYNTHETIC_NOTICE: &str = "Ces fichiers SIRENE sont synthétiques : générés par essor \
     (essor generate sirene) pour la démonstration et les mesures de performance, ils ne \
     décrivent aucune entreprise réelle.\n";

/// Whole-country size of the stock (`DATA.md` §1): establishments and legal units.
pub const FULL_SCALE_ESTABLISHMENTS: u64 = 43_900_000;
pub const FULL_SCALE_UNITS: u64 = 29_900_000;
/// Most establishments one generation can number (about twice the whole country).
pub const MAX_ESTABLISHMENTS: u64 = 89_000_000;

/// Current header of `StockEtablissement_utf8.csv` (54 columns).
pub const ESTABLISHMENT_HEADER: [&str; 54] = [
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "complementAdresse2Etablissement",
    "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement",
    "typeVoie2Etablissement",
    "libelleVoie2Etablissement",
    "codePostal2Etablissement",
    "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement",
    "codeCedex2Etablissement",
    "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement",
    "libellePaysEtranger2Etablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "activitePrincipaleNAF25Etablissement",
];

/// Current header of `StockUniteLegale_utf8.csv` (35 columns).
pub const UNIT_HEADER: [&str; 35] = [
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
];

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Number of establishment rows (43 900 000 is the whole country).
    pub establishments: u64,
    /// Seed of the draws: a seed gives the same bytes.
    pub seed: u64,
    /// Also write the `.zip` archives holding each CSV, as data.gouv.fr publishes them.
    pub zip: bool,
    /// Spread the establishments over these communes only (INSEE codes; Paris, Lyon and
    /// Marseille stand for their arrondissements), rather than over France. With
    /// [`full_scale_establishments`] establishments, a territory gets in expectation the rows
    /// a whole-country generation would give it, in a fraction of the time.
    pub communes: Option<Vec<String>>,
}

impl GeneratorConfig {
    #[must_use]
    pub fn new(establishments: u64, seed: u64) -> Self {
        Self {
            establishments,
            seed,
            zip: false,
            communes: None,
        }
    }
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self::new(200_000, 1)
    }
}

/// A file written by a generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub path: PathBuf,
    /// Data rows (header excluded); for an archive, the rows of the CSV it holds.
    pub rows: u64,
    pub bytes: u64,
}

/// What a generation wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Rows of `StockEtablissement`.
    pub establishments: u64,
    /// Rows of `StockUniteLegale`.
    pub units: u64,
    /// Legal units left out of `StockUniteLegale` on purpose (their establishments remain).
    pub missing_units: u64,
    /// Active establishments, and active employer ones.
    pub active_establishments: u64,
    pub employer_establishments: u64,
    /// CSV files, then archives.
    pub files: Vec<WrittenFile>,
    pub elapsed: Duration,
}

/// Why a generation failed. Messages are in French: they reach users.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("écriture de « {path} » impossible : {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("archive « {path} » : {detail}")]
    Zip { path: PathBuf, detail: String },
    #[error("commune inconnue : {0} n’est pas le code d’une commune actuelle")]
    UnknownCommune(String),
    #[error("les communes demandées n’ont pas d’habitants : aucun établissement à y placer")]
    NoPopulation,
    #[error(
        "{requested} établissements demandés : au plus {max} (au-delà, les numéros SIREN \
         manquent)"
    )]
    TooMany { requested: u64, max: u64 },
}

/// Generates the two stock files (and their archives with `config.zip`) into `out_dir`,
/// created if needed, with the [`SYNTHETIC_MARKER`] file beside them. `progress` receives the number of establishment rows written so far,
/// about every 100 000 rows and at the end.
pub fn generate(
    config: &GeneratorConfig,
    out_dir: &Path,
    referential: &Referential,
    mut progress: impl FnMut(u64),
) -> Result<Summary, GenerateError> {
    let started = Instant::now();
    if config.establishments > MAX_ESTABLISHMENTS {
        return Err(GenerateError::TooMany {
            requested: config.establishments,
            max: MAX_ESTABLISHMENTS,
        });
    }
    let tables = generator::Tables::new(referential, config)?;
    std::fs::create_dir_all(out_dir).map_err(|source| GenerateError::Io {
        path: out_dir.to_owned(),
        source,
    })?;
    let marker = out_dir.join(SYNTHETIC_MARKER);
    std::fs::write(&marker, SYNTHETIC_NOTICE).map_err(|source| GenerateError::Io {
        path: marker,
        source,
    })?;
    let mut est = sink::Output::create(out_dir.join(ESTABLISHMENTS_FILE))?;
    let mut units = sink::Output::create(out_dir.join(UNITS_FILE))?;
    let zipper = if config.zip {
        // Zip64 records only when an entry may pass 4 GiB (about 15 M establishment rows).
        let large = config.establishments > 12_000_000;
        Some(sink::Zipper::start(
            &[
                (out_dir.join(ESTABLISHMENTS_ZIP), ESTABLISHMENTS_FILE),
                (out_dir.join(UNITS_ZIP), UNITS_FILE),
            ],
            &mut [&mut est, &mut units],
            large,
        )?)
    } else {
        None
    };
    write_header(&mut est.buf, &ESTABLISHMENT_HEADER);
    write_header(&mut units.buf, &UNIT_HEADER);
    let mut state = generator::State::new(config.seed, config.establishments, est, units);
    let mut written = 0u64;
    let mut next_report = PROGRESS_STEP;
    while written < config.establishments {
        written += generator::unit(&tables, &mut state, config.establishments - written).map_err(
            |error| match error {
                GenerateError::TooMany { .. } => GenerateError::TooMany {
                    requested: config.establishments,
                    max: MAX_ESTABLISHMENTS,
                },
                other => other,
            },
        )?;
        if written >= next_report {
            progress(written);
            next_report = written + PROGRESS_STEP;
        }
    }
    let est_rows = state.est.rows;
    let unit_rows = state.units.rows;
    let (est_path, est_bytes) = state.est.finish()?;
    let (units_path, units_bytes) = state.units.finish()?;
    let mut files = vec![
        WrittenFile {
            path: est_path,
            rows: est_rows,
            bytes: est_bytes,
        },
        WrittenFile {
            path: units_path,
            rows: unit_rows,
            bytes: units_bytes,
        },
    ];
    if let Some(zipper) = zipper {
        for ((path, bytes), rows) in zipper.finish()?.into_iter().zip([est_rows, unit_rows]) {
            files.push(WrittenFile { path, rows, bytes });
        }
    }
    progress(written);
    Ok(Summary {
        establishments: est_rows,
        units: unit_rows,
        missing_units: state.missing_units,
        active_establishments: state.active,
        employer_establishments: state.employer,
        files,
        elapsed: started.elapsed(),
    })
}

const PROGRESS_STEP: u64 = 100_000;

fn write_header(buf: &mut Vec<u8>, header: &[&str]) {
    buf.extend_from_slice(header.join(",").as_bytes());
    buf.push(b'\n');
}

/// The number of establishments a whole-country generation places, in expectation, in these
/// communes (in proportion to their population): the size of a generation restricted to them
/// ([`GeneratorConfig::communes`]) that reproduces their whole-country figures.
pub fn full_scale_establishments(
    referential: &Referential,
    communes: &[String],
) -> Result<u64, GenerateError> {
    let share = geo::Geography::new(referential, Some(communes))?
        .restricted_share()
        .unwrap_or(1.0);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a positive count below the whole country's"
    )]
    let count = (FULL_SCALE_ESTABLISHMENTS as f64 * share).round() as u64;
    Ok(count)
}
