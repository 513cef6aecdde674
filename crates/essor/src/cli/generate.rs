//! `essor generate sirene`: writes synthetic SIRENE stock files in INSEE's exact format, for
//! demonstrations and benchmarks (`DATA.md` §3). The generation itself lives in `essor_synth`;
//! this module reads the arguments and reports what was written, in French.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use essor_domain::money::group_thousands;
use essor_domain::referential::Referential;
use essor_synth::{FULL_SCALE_ESTABLISHMENTS, GeneratorConfig, Summary};

#[derive(Debug, clap::Subcommand)]
pub enum GenerateCommand {
    /// Écrit des fichiers SIRENE synthétiques (stocks des établissements et des unités
    /// légales, CSV) au format exact de l’INSEE : données générées, non réelles, réparties sur
    /// les vraies communes. 43 900 000 établissements = la France entière.
    Sirene {
        /// Dossier où écrire les fichiers (créé au besoin).
        #[arg(long, value_name = "DOSSIER")]
        out: PathBuf,
        /// Nombre d’établissements (lignes du fichier des établissements).
        #[arg(long, default_value_t = 200_000, value_name = "NOMBRE")]
        establishments: u64,
        /// Graine du tirage : une même graine donne les mêmes fichiers, octet pour octet.
        #[arg(long, default_value_t = 1, value_name = "GRAINE")]
        seed: u64,
        /// Écrit aussi les archives .zip contenant chaque CSV, comme data.gouv.fr les publie.
        #[arg(long)]
        zip: bool,
    },
}

pub fn run(cmd: GenerateCommand) -> Result<()> {
    let GenerateCommand::Sirene {
        out,
        establishments,
        seed,
        zip,
    } = cmd;
    let config = GeneratorConfig {
        zip,
        ..GeneratorConfig::new(establishments, seed)
    };
    let show_progress = std::io::stderr().is_terminal();
    let mut next = 1_000_000;
    let summary = essor_synth::generate(&config, &out, Referential::embedded(), |written| {
        if show_progress && (written >= next || written == establishments) {
            eprint!(
                "\r{} / {} établissements…",
                group_thousands(written),
                group_thousands(establishments)
            );
            let _ = std::io::stderr().flush();
            next = written + 1_000_000;
        }
    })
    .with_context(|| format!("génération dans {} impossible", out.display()))?;
    if show_progress {
        eprintln!();
    }
    print!("{}", report(&out, &summary));
    Ok(())
}

/// What the command prints: the headline, then each file, then the duration.
fn report(out: &Path, summary: &Summary) -> String {
    let mut text = format!(
        "Fichiers SIRENE synthétiques écrits dans {} : {} établissements, {} unités légales \
         (données générées, non réelles)\n",
        out.display(),
        group_thousands(summary.establishments),
        group_thousands(summary.units),
    );
    let scale = summary.establishments as f64 / FULL_SCALE_ESTABLISHMENTS as f64 * 100.0;
    let _ = writeln!(
        text,
        "  {} % de la taille nationale ; {} établissements actifs dont {} employeurs ; {} unités \
         légales absentes de StockUniteLegale (volontairement)",
        format_decimal(scale, 2),
        group_thousands(summary.active_establishments),
        group_thousands(summary.employer_establishments),
        group_thousands(summary.missing_units),
    );
    for file in &summary.files {
        let name = file.path.file_name().map_or_else(
            || file.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let _ = writeln!(
            text,
            "  {name} : {} lignes, {}",
            group_thousands(file.rows),
            format_size(file.bytes)
        );
    }
    let _ = writeln!(
        text,
        "Durée : {} ({} établissements par seconde)",
        format_duration(summary.elapsed),
        group_thousands(per_second(summary.establishments, summary.elapsed)),
    );
    text
}

/// A size in the units French users read: `845,3 Mo`, `10,2 Go`.
fn format_size(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1e9 {
        format!("{} Go", format_decimal(bytes / 1e9, 1))
    } else if bytes >= 1e6 {
        format!("{} Mo", format_decimal(bytes / 1e6, 1))
    } else {
        format!("{} ko", format_decimal(bytes / 1e3, 1))
    }
}

/// `1,2 s`, or `3 min 05 s` from a minute on.
fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 60.0 {
        format!("{} s", format_decimal(seconds, 1))
    } else {
        let whole = duration.as_secs();
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// A number with a decimal comma.
fn format_decimal(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}").replace('.', ",")
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a positive rate, far below 2^53"
)]
fn per_second(count: u64, elapsed: Duration) -> u64 {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return count;
    }
    (count as f64 / seconds).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_folder_counts_sizes_and_says_the_data_is_synthetic() {
        let dir = tempfile::tempdir().unwrap();
        let config = GeneratorConfig::new(2_000, 1);
        let summary =
            essor_synth::generate(&config, dir.path(), Referential::embedded(), |_| {}).unwrap();
        let text = report(dir.path(), &summary);
        let headline = text.lines().next().unwrap();
        assert!(
            headline.starts_with(&format!(
                "Fichiers SIRENE synthétiques écrits dans {} : 2 000 établissements, ",
                dir.path().display()
            )),
            "{headline}"
        );
        assert!(headline.ends_with("unités légales (données générées, non réelles)"));
        assert!(
            text.contains("  StockEtablissement_utf8.csv : 2 000 lignes, "),
            "{text}"
        );
        assert!(text.contains("  StockUniteLegale_utf8.csv : "), "{text}");
        assert!(text.contains("Durée : "), "{text}");
        assert!(dir.path().join(essor_synth::SYNTHETIC_MARKER).is_file());
    }

    #[test]
    fn sizes_and_durations_are_written_the_french_way() {
        assert_eq!(format_size(845_300_000), "845,3 Mo");
        assert_eq!(format_size(10_230_000_000), "10,2 Go");
        assert_eq!(format_size(2_500), "2,5 ko");
        assert_eq!(format_duration(Duration::from_millis(1_250)), "1,2 s");
        assert_eq!(format_duration(Duration::from_secs(185)), "3 min 05 s");
        assert_eq!(per_second(1_000, Duration::from_millis(500)), 2_000);
    }
}
