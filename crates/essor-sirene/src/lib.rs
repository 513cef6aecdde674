//! essor's importer of INSEE's SIRENE stock files (`DATA.md` §1 and §2).
//!
//! ```no_run
//! use essor_sirene::Importer;
//!
//! let output = Importer::new("StockEtablissement_utf8.zip", "StockUniteLegale_utf8.zip")
//!     .keep_establishments_of(["38185".to_owned(), "38421".to_owned()])
//!     .progress(|p| eprintln!("{} / {}", p.bytes_read, p.bytes_total))
//!     .run()?;
//! println!("{}", output.report);
//! # Ok::<(), essor_sirene::ImportError>(())
//! ```
//!
//! Two passes, each streamed through the same pipeline (see `pipeline.rs`): the legal units
//! first, keeping a bit per existing SIREN and a compact entry for the units that can belong to
//! the ESS; then the establishments, classified by the rules of [`essor_domain::ess`] and added
//! up per commune code of the referential into a [`FactTable`], the ESS establishments of the kept
//! communes becoming [`EstablishmentRecord`]s. Columns are found by their header name; rows that
//! cannot be read are counted and sampled in the [`ImportReport`], never a reason to stop.
//!
//! Speed is a requirement (at least twice as fast as `DuckDB` computing the same panorama), so the
//! hot path does not parse every byte: a line without quotes, which is nearly every line of
//! INSEE's files, is split on its commas eight bytes at a time and only the fields read on
//! every row are located (`records.rs`); a line with a quote is parsed by `csv_core`, the
//! engine of the `csv` crate, with the same dialect; property tests check that both give the
//! `csv` crate's fields. A Parquet file is read column by column, only the needed columns,
//! its row groups shared among the threads (`parquet.rs`); the workers apply the same rules
//! column by column, each value of a dictionary classified once (`coded.rs`).
//! Per-commune counters live in one table shared by the workers, updated in batches under a
//! lock, so that the processor overlaps their cache misses (`aggregate.rs`). Memory stays under
//! 1 GiB whatever the size of the files.

mod aggregate;
mod coded;
mod communes;
mod error;
mod establishments;
mod memory;
mod parquet;
mod pipeline;
mod records;
mod report;
mod source;
mod units;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use essor_domain::ess::ThemeTable;
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::panorama::{FactTable, PERIMETER};
use essor_domain::referential::Referential;

pub use error::ImportError;
pub use report::{FileKind, FileReport, ImportReport, ReasonCount, RejectedRow, RejectedRows};

use aggregate::Aggregates;
use communes::Communes;
use pipeline::{PendingSample, Rejections, Streamed};
use source::SourceInfo;

/// Which pass an import is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Units,
    Establishments,
}

/// How far an import is: bytes of both files on disk read so far, of their total size (zip
/// files count compressed). Reported after each chunk of a few megabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub bytes_read: u64,
    pub bytes_total: u64,
}

type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What an import produces.
#[derive(Debug, Clone)]
pub struct ImportOutput {
    /// Per commune (or arrondissement) code of the referential, dimension and key, communes
    /// in code order; rows whose figures are all zero left out.
    pub facts: FactTable,
    /// ESS establishments (active and closed) of the kept communes, by SIRET.
    pub establishments: Vec<EstablishmentRecord>,
    pub report: ImportReport,
}

/// An import of the two stock files, configured then [`run`](Importer::run).
pub struct Importer {
    establishments: PathBuf,
    units: PathBuf,
    keep: HashSet<String>,
    themes: ThemeTable,
    progress: Option<ProgressFn>,
    threads: usize,
}

impl Importer {
    /// An import of `StockEtablissement` and `StockUniteLegale`, each a CSV, a zip holding one, or
    /// a Parquet file (recognised by their signatures, whatever their names).
    #[must_use]
    pub fn new(establishments: impl Into<PathBuf>, units: impl Into<PathBuf>) -> Self {
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            establishments: establishments.into(),
            units: units.into(),
            keep: HashSet::new(),
            themes: ThemeTable::default(),
            progress: None,
            threads: threads.clamp(1, 4),
        }
    }

    /// The commune and arrondissement codes whose ESS establishments become directory records
    /// (the configured territory, arrondissements included). None by default.
    #[must_use]
    pub fn keep_establishments_of(mut self, communes: impl IntoIterator<Item = String>) -> Self {
        self.keep = communes.into_iter().collect();
        self
    }

    /// The NAF → theme table; [`ThemeTable::default`] otherwise.
    #[must_use]
    pub fn theme_table(mut self, themes: ThemeTable) -> Self {
        self.themes = themes;
        self
    }

    /// Called from the reading thread after each chunk read.
    #[must_use]
    pub fn progress(mut self, report: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(report));
        self
    }

    /// Parsing threads (the reading thread comes on top); by default the available cores, at
    /// most 4 (they share one table of aggregates; each holds chunks of a few megabytes).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.clamp(1, 4);
        self
    }

    /// Reads both files and computes the facts, records and report.
    pub fn run(self) -> Result<ImportOutput, ImportError> {
        let started = Instant::now();
        let units_bytes = file_size(&self.units)?;
        let total = units_bytes + file_size(&self.establishments)?;
        let progress = self.progress.clone();
        let report_progress = move |phase: Phase, read: u64| {
            if let Some(progress) = &progress {
                progress(Progress {
                    phase,
                    bytes_read: read.min(total),
                    bytes_total: total,
                });
            }
        };

        let referential = Referential::embedded();
        let communes = Communes::new(referential);
        // The tables of the second pass, set up (about 100 MB) while the first one runs.
        let (commune_count, theme_count) = (communes.len(), self.themes.len());
        let tables = std::thread::Builder::new()
            .spawn(move || Aggregates::new(commune_count, theme_count))
            .ok();
        let units = units::read(&self.units, self.threads, &|read, _: &SourceInfo| {
            report_progress(Phase::Units, read);
        })?;
        let aggregates = match tables {
            Some(tables) => tables.join().map_err(|_| {
                ImportError::Internal("la préparation des agrégats a échoué".into())
            })?,
            // No thread to spare: set up here.
            None => Aggregates::new(commune_count, theme_count),
        };

        let keep = kept(&communes, &self.keep);
        let context = establishments::Context {
            units: &units.index,
            communes: &communes,
            keep: &keep,
            themes: &self.themes,
        };
        let establishments = establishments::read(
            &self.establishments,
            self.threads,
            &context,
            aggregates,
            &|read, _| {
                report_progress(Phase::Establishments, units_bytes + read);
            },
        )?;
        let mut units = units;
        let records = directory(&mut units, &establishments, &self.themes, self.threads)?;
        let warnings = warnings(&units, &establishments, &self.keep, &communes);

        let units_ess_candidates = units.index.candidates() as u64;
        let units_count = units.index.count;
        let duplicate_units = units.index.duplicates;
        free_in_background(units.index);
        let facts = establishments
            .aggregates
            .into_facts(&communes, &self.themes, self.threads);

        let mut rejected = RejectedRows::default();
        let files = vec![
            file_report(
                FileKind::Units,
                &units.streamed,
                units.rows,
                units.rejections,
                &mut rejected,
            ),
            file_report(
                FileKind::Establishments,
                &establishments.streamed,
                establishments.counts.rows,
                establishments.rejections,
                &mut rejected,
            ),
        ];
        let counts = establishments.counts;
        let report = ImportReport {
            perimeter: PERIMETER.to_owned(),
            files,
            units: units_count,
            units_ess_candidates,
            duplicate_units,
            establishments: counts.in_referential + counts.outside_referential,
            in_referential: counts.in_referential,
            outside_referential: counts.outside_referential,
            without_commune: counts.without_commune,
            ess: counts.ess,
            ess_active: counts.ess_active,
            missing_unit: counts.missing_unit,
            kept_establishments: records.len() as u64,
            fact_rows: facts.len() as u64,
            rejected,
            warnings,
            duration_seconds: started.elapsed().as_secs_f64(),
        };
        Ok(ImportOutput {
            facts,
            establishments: records,
            report,
        })
    }
}

/// The directory records of the establishments pass, the identities of their units read
/// first when still to be read.
fn directory(
    units: &mut units::UnitsPass,
    establishments: &establishments::EstablishmentsPass,
    themes: &ThemeTable,
    threads: usize,
) -> Result<Vec<EstablishmentRecord>, ImportError> {
    let rows = &establishments.directory;
    units.texts_dropped += units
        .index
        .read_identities(rows.iter().map(|row| row.siren), threads)?;
    Ok(establishments::records(rows, &units.index, themes))
}

/// By commune index: whether it is one of `codes`.
fn kept(communes: &Communes, codes: &HashSet<String>) -> Vec<bool> {
    let mut keep = vec![false; communes.len()];
    for code in codes {
        if let Some(index) = communes.index(code.trim().as_bytes()) {
            keep[index] = true;
        }
    }
    keep
}

/// The size of a file on disk.
fn file_size(path: &Path) -> Result<u64, ImportError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| ImportError::Open {
            file: path.display().to_string(),
            source,
        })
}

/// Drops `value` in a thread of its own: giving hundreds of megabytes back to the system takes
/// a few tens of milliseconds the import need not wait for.
pub(crate) fn free_in_background<T: Send + 'static>(value: T) {
    // Should no thread start, the closure, and `value` with it, is dropped here.
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// The report of one file; its rejections added to `rejected`.
fn file_report(
    kind: FileKind,
    streamed: &Streamed<()>,
    rows: u64,
    rejections: Rejections,
    rejected: &mut RejectedRows,
) -> FileReport {
    let file = streamed.info.file.clone();
    let rows_rejected = rejections.total();
    rejected.total += rows_rejected;
    rejected
        .by_reason
        .extend(rejections.counts().map(|(reason, count)| ReasonCount {
            file: file.clone(),
            reason: reason.label().to_owned(),
            count,
        }));
    rejected.samples.extend(
        rejections
            .into_samples()
            .into_iter()
            .map(|sample: PendingSample| RejectedRow {
                file: file.clone(),
                line: streamed.absolute_line(sample.seq, sample.line),
                field: sample
                    .field
                    .and_then(|column| streamed.header.get(column).cloned()),
                reason: sample.reason,
            }),
    );
    FileReport {
        kind,
        path: file,
        bytes: streamed.info.bytes,
        zipped: streamed.info.zipped,
        entry: streamed.info.entry.clone(),
        rows_read: rows,
        rows_rejected,
    }
}

/// What did not stop the import but should be known, in French.
fn warnings(
    units: &units::UnitsPass,
    establishments: &establishments::EstablishmentsPass,
    keep: &HashSet<String>,
    communes: &Communes,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for (kind, columns) in [
        (FileKind::Units, &units.missing_columns),
        (FileKind::Establishments, &establishments.missing_columns),
    ] {
        if !columns.is_empty() {
            warnings.push(format!(
                "{} : colonnes de l’annuaire absentes ({}) ; le panorama est complet, \
                 l’annuaire n’aura pas ces informations",
                kind.label(),
                columns.join(", ")
            ));
        }
    }
    if establishments.unidentified && !keep.is_empty() {
        warnings.push(
            "Établissements : ni colonne siret ni colonne nic ; aucun établissement n’a pu \
             être retenu pour l’annuaire"
                .to_owned(),
        );
    }
    if units.texts_dropped > 0 {
        warnings.push(format!(
            "Unités légales : {} noms non gardés faute de place",
            units.texts_dropped
        ));
    }
    let mut unknown: Vec<&str> = keep
        .iter()
        .map(String::as_str)
        .filter(|code| communes.index(code.trim().as_bytes()).is_none())
        .collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        warnings.push(format!(
            "codes de communes à retenir inconnus du référentiel, ignorés : {}",
            unknown.join(", ")
        ));
    }
    warnings
}
