//! `essor import sirene`: imports INSEE's SIRENE stock as a new dated snapshot.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use essor_domain::money::group_thousands;
use essor_sirene::{Phase, Progress};
use essor_store::Store;
use indicatif::{ProgressBar, ProgressStyle};

use crate::observatory::{import_files, is_marked_synthetic};

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Importe le stock SIRENE (StockEtablissement et StockUniteLegale, CSV, zip ou Parquet tels
    /// que publiés) : un nouvel instantané, visible une fois complet.
    Sirene {
        /// Fichier StockEtablissement (CSV, zip le contenant, ou Parquet).
        #[arg(long, value_name = "FICHIER")]
        establishments: PathBuf,
        /// Fichier StockUniteLegale (CSV, zip le contenant, ou Parquet).
        #[arg(long, value_name = "FICHIER")]
        units: PathBuf,
        /// Marque l’import comme données synthétiques (automatique pour les fichiers écrits par
        /// « essor generate sirene »).
        #[arg(long)]
        synthetic: bool,
    },
}

pub async fn run(cmd: ImportCommand, store: Arc<dyn Store>) -> Result<()> {
    let ImportCommand::Sirene {
        establishments,
        units,
        synthetic,
    } = cmd;
    let synthetic = synthetic || is_marked_synthetic(&establishments);
    let bar = progress_bar();
    let progress = bar.clone();
    let saved = import_files(
        store.as_ref(),
        &establishments,
        &units,
        synthetic,
        move |p| report_progress(&progress, p),
    )
    .await;
    bar.finish_and_clear();
    let (snapshot, output) = saved?;
    print!("{}", output.report.to_text());
    println!(
        "\nImport n° {} enregistré : {} agrégats communaux, {} établissements de l’ESS conservés pour l’annuaire{}.",
        snapshot.id,
        group_thousands(output.facts.len() as u64),
        group_thousands(output.establishments.len() as u64),
        if synthetic {
            " (données synthétiques)"
        } else {
            ""
        }
    );
    Ok(())
}

/// A bar on a terminal, hidden otherwise (logs then say what happens).
#[must_use]
pub fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

pub fn report_progress(bar: &ProgressBar, p: Progress) {
    bar.set_length(p.bytes_total);
    bar.set_position(p.bytes_read);
    bar.set_message(match p.phase {
        Phase::Units => "Unités légales",
        Phase::Establishments => "Établissements",
    });
}
