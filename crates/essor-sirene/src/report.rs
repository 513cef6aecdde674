//! What an import read, kept, left aside and rejected: for the CLI (in French) and as JSON.

use std::fmt;

use essor_domain::money::group_thousands;
use serde::{Deserialize, Serialize};

/// The report of one import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The perimeter version the figures follow (`essor-v1`).
    pub perimeter: String,
    /// The units file, then the establishments file.
    pub files: Vec<FileReport>,
    /// Distinct legal units read.
    pub units: u64,
    /// Units that can belong to the ESS (flagged `O`, or a category with a family).
    pub units_ess_candidates: u64,
    /// Rows of a SIREN already read (one of them is kept).
    pub duplicate_units: u64,
    /// Establishment rows read and accepted.
    pub establishments: u64,
    /// … whose commune code is a current commune or municipal arrondissement.
    pub in_referential: u64,
    /// … whose code is not (a former commune, an address abroad): in no territory.
    pub outside_referential: u64,
    /// … of which the code is empty (an address abroad).
    pub without_commune: u64,
    /// ESS establishments, active or closed, any commune.
    pub ess: u64,
    /// Active ESS establishments, any commune.
    pub ess_active: u64,
    /// Establishments whose legal unit is missing from the units file (so not ESS).
    pub missing_unit: u64,
    /// ESS establishments of the kept communes, recorded for the directory.
    pub kept_establishments: u64,
    /// Fact rows produced.
    pub fact_rows: u64,
    pub rejected: RejectedRows,
    /// Things to know that did not stop the import (missing directory columns, …), in French.
    pub warnings: Vec<String>,
    pub duration_seconds: f64,
}

/// Which stock file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Units,
    Establishments,
}

impl FileKind {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Units => "Unités légales",
            Self::Establishments => "Établissements",
        }
    }
}

/// One file read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    pub kind: FileKind,
    pub path: String,
    /// Size on disk (compressed for a zip).
    pub bytes: u64,
    pub zipped: bool,
    /// The CSV inside the zip.
    pub entry: Option<String>,
    /// Data rows read, rejected ones included (the header not counted).
    pub rows_read: u64,
    pub rows_rejected: u64,
}

/// Rejected rows: counts by file and reason, and the first samples in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RejectedRows {
    pub total: u64,
    pub by_reason: Vec<ReasonCount>,
    /// The first rejected rows of each file (at most 100 per file).
    pub samples: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub file: String,
    /// In French.
    pub reason: String,
    pub count: u64,
}

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub file: String,
    /// Line of the file, the header being line 1.
    pub line: u64,
    /// The column at fault, when one is.
    pub field: Option<String>,
    /// In French.
    pub reason: String,
}

impl ImportReport {
    /// The report as the CLI prints it, in French.
    #[must_use]
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

fn n(value: u64) -> String {
    group_thousands(value)
}

/// `0 ligne`, `1 ligne`, `2 lignes`: in French, 0 and 1 are singular.
fn count(value: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", n(value), if value > 1 { plural } else { singular })
}

/// `12 ko`, `345,6 Mo`, `1,2 Go`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["octets", "ko", "Mo", "Go"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} octets")
    } else {
        format!("{value:.1} {}", UNITS[unit]).replace('.', ",")
    }
}

impl ImportReport {
    fn fmt_file(&self, f: &mut fmt::Formatter<'_>, file: &FileReport) -> fmt::Result {
        let packing = match (&file.entry, file.zipped) {
            (Some(entry), true) => format!("zip de {entry}, {}", size(file.bytes)),
            _ => size(file.bytes),
        };
        writeln!(f, "{} : {} ({packing})", file.kind.label(), file.path)?;
        writeln!(
            f,
            "  {} lues, {}",
            count(file.rows_read, "ligne", "lignes"),
            count(file.rows_rejected, "rejetée", "rejetées")
        )?;
        match file.kind {
            FileKind::Units => {
                writeln!(
                    f,
                    "  {}, dont {} pouvant relever de l’ESS",
                    count(self.units, "unité légale", "unités légales"),
                    n(self.units_ess_candidates)
                )?;
                if self.duplicate_units > 0 {
                    writeln!(
                        f,
                        "  {} d’un SIREN déjà lu (une seule gardée)",
                        count(self.duplicate_units, "ligne", "lignes")
                    )?;
                }
                Ok(())
            }
            FileKind::Establishments => {
                writeln!(
                    f,
                    "  {} dans une commune ou un arrondissement du référentiel",
                    n(self.in_referential)
                )?;
                writeln!(
                    f,
                    "  {} hors référentiel (ancienne commune ou adresse à l’étranger, \
                     comptés dans aucun territoire), dont {} sans code commune",
                    n(self.outside_referential),
                    n(self.without_commune)
                )?;
                writeln!(
                    f,
                    "  {} de l’ESS, dont {} actifs",
                    n(self.ess),
                    n(self.ess_active)
                )?;
                writeln!(
                    f,
                    "  {} dont l’unité légale manque au fichier des unités légales \
                     (comptés hors ESS)",
                    n(self.missing_unit)
                )?;
                writeln!(
                    f,
                    "  {} de l’ESS retenus pour l’annuaire du territoire",
                    n(self.kept_establishments)
                )
            }
        }
    }

    fn fmt_rejected(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Lignes rejetées : {} (comptées dans aucun chiffre)",
            n(self.rejected.total)
        )?;
        for reason in &self.rejected.by_reason {
            writeln!(
                f,
                "  {} : {} : {}",
                reason.file,
                reason.reason,
                n(reason.count)
            )?;
        }
        writeln!(f, "  Premiers exemples :")?;
        for sample in &self.rejected.samples {
            let field = sample
                .field
                .as_ref()
                .map(|field| format!(", champ {field}"))
                .unwrap_or_default();
            writeln!(
                f,
                "  - {}, ligne {}{field} : {}",
                sample.file,
                n(sample.line),
                sample.reason
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = format!("{:.1}", self.duration_seconds).replace('.', ",");
        writeln!(
            f,
            "Import SIRENE terminé en {seconds} s (périmètre {})",
            self.perimeter
        )?;
        for file in &self.files {
            self.fmt_file(f, file)?;
        }
        writeln!(
            f,
            "Agrégats par commune : {}",
            count(self.fact_rows, "ligne", "lignes")
        )?;
        if self.rejected.total > 0 {
            self.fmt_rejected(f)?;
        }
        if !self.warnings.is_empty() {
            writeln!(f, "Avertissements :")?;
            for warning in &self.warnings {
                writeln!(f, "  - {warning}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_french() {
        assert_eq!(size(512), "512 octets");
        assert_eq!(size(12_300), "12,3 ko");
        assert_eq!(size(1_234_567_890), "1,2 Go");
    }

    #[test]
    fn zero_and_one_are_singular_in_french() {
        assert_eq!(count(0, "ligne", "lignes"), "0 ligne");
        assert_eq!(count(1, "ligne", "lignes"), "1 ligne");
        assert_eq!(count(12_345, "ligne", "lignes"), "12 345 lignes");
    }
}
