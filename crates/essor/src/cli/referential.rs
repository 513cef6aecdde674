//! `essor referential build`: derives `data/referential/` and `data/geo/` from the published
//! sources (see `data/SOURCES.md`). The derivation itself is pure and lives in
//! `essor_domain::referential::build`; this module reads the sources and writes the files.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use essor_domain::money::group_thousands;
use essor_domain::referential::build::{self, DerivedFile, Sources};

#[derive(Debug, clap::Subcommand)]
pub enum ReferentialCommand {
    /// Régénère data/referential et data/geo depuis les sources publiées (même résultat à
    /// chaque fois : les fichiers sont triés par code).
    Build {
        /// Dossier des sources publiées (decoupage-administratif-6.0.0/, codes-naf-rev2.json…).
        #[arg(long, default_value = "../shared/data", value_name = "DOSSIER")]
        from: PathBuf,
        /// Dossier data/ du dépôt, où écrire les fichiers dérivés.
        #[arg(long, default_value = "data", value_name = "DOSSIER")]
        out: PathBuf,
    },
}

pub fn run(cmd: ReferentialCommand) -> Result<()> {
    match cmd {
        ReferentialCommand::Build { from, out } => {
            let written = build_into(&from, &out)?;
            print!("{}", report(&out, &written));
            Ok(())
        }
    }
}

/// Derives every file from the sources in `from` and writes it under `out`; returns what was
/// written (the licence copy included, with no record count).
pub fn build_into(from: &Path, out: &Path) -> Result<Vec<DerivedFile>> {
    if !from.is_dir() {
        bail!(
            "le dossier des sources « {} » est introuvable : indiquez-le avec --from",
            from.display()
        );
    }
    let communes = read_source(from, build::SOURCE_COMMUNES)?;
    let epci = read_source(from, build::SOURCE_EPCI)?;
    let departements = read_source(from, build::SOURCE_DEPARTEMENTS)?;
    let regions = read_source(from, build::SOURCE_REGIONS)?;
    let naf = read_source(from, build::SOURCE_NAF)?;
    let isere_geojson = read_source(from, build::SOURCE_ISERE_GEOJSON)?;
    let mut files = build::derive(&Sources {
        communes: &communes,
        epci: &epci,
        departements: &departements,
        regions: &regions,
        naf: &naf,
        isere_geojson: &isere_geojson,
    })?;
    files.push(DerivedFile {
        path: build::LICENSE_PATH,
        contents: read_source(from, build::SOURCE_LICENSE)?,
        records: 0,
    });
    for file in &files {
        write_atomically(&out.join(file.path), &file.contents)?;
    }
    Ok(files)
}

fn read_source(from: &Path, name: &str) -> Result<String> {
    let path = from.join(name);
    fs::read_to_string(&path)
        .with_context(|| format!("impossible de lire la source « {} »", path.display()))
}

/// Writes through a temporary file renamed into place, so that an interrupted build leaves the
/// previous file whole.
fn write_atomically(path: &Path, contents: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("impossible de créer le dossier « {} »", parent.display()))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    fs::write(&temporary, contents)
        .with_context(|| format!("impossible d’écrire « {} »", temporary.display()))?;
    fs::rename(&temporary, path)
        .with_context(|| format!("impossible d’écrire « {} »", path.display()))
}

/// One French line per file written.
fn report(out: &Path, files: &[DerivedFile]) -> String {
    let mut text = String::new();
    for file in files {
        let records = group_thousands(file.records as u64);
        let what = match Path::new(file.path).extension().and_then(|e| e.to_str()) {
            Some("csv") => format!("{records} lignes"),
            Some("geojson") => format!("{records} contours"),
            _ => "copié".to_owned(),
        };
        let _ = writeln!(text, "{} : {what}", out.join(file.path).display());
    }
    let _ = writeln!(text, "{} fichiers écrits.", files.len());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_dir() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn rebuilding_from_the_sources_gives_the_committed_files_byte_for_byte() {
        let sources = manifest_dir().join("../../../shared/data");
        if !sources.is_dir() {
            eprintln!(
                "note: {} is absent; the committed referential files were not re-derived",
                sources.display()
            );
            return;
        }
        let out = tempfile::tempdir().unwrap();
        let files = build_into(&sources, out.path()).unwrap();
        assert_eq!(files.len(), 8);
        let committed = manifest_dir().join("../../data");
        for file in &files {
            let rebuilt = fs::read(out.path().join(file.path)).unwrap();
            let shipped = fs::read(committed.join(file.path)).unwrap_or_default();
            assert!(
                rebuilt == shipped,
                "data/{} differs from what `essor referential build` derives: run it and commit",
                file.path
            );
        }
    }

    #[test]
    fn a_missing_source_folder_is_named_in_french() {
        let out = tempfile::tempdir().unwrap();
        let error = build_into(Path::new("/nonexistent/sources"), out.path()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "le dossier des sources « /nonexistent/sources » est introuvable : indiquez-le avec \
             --from"
        );
    }

    #[test]
    fn a_missing_source_file_is_named_in_french() {
        let from = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let error = build_into(from.path(), out.path()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("impossible de lire la source"),
            "{error}"
        );
        assert!(error.to_string().contains("communes.json"), "{error}");
    }

    #[test]
    fn the_report_counts_rows_with_french_digit_grouping() {
        let files = [
            DerivedFile {
                path: "referential/communes.csv",
                contents: String::new(),
                records: 35_014,
            },
            DerivedFile {
                path: "geo/communes-38.geojson",
                contents: String::new(),
                records: 521,
            },
        ];
        assert_eq!(
            report(Path::new("data"), &files),
            "data/referential/communes.csv : 35 014 lignes\n\
             data/geo/communes-38.geojson : 521 contours\n\
             2 fichiers écrits.\n"
        );
    }
}
