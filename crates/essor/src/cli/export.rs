//! `essor export subventions`: the subsidies granted, as open data in the national schema SCDL
//! « subventions » 2.1.1, the same bytes as `/opendata/subventions.csv`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use essor_domain::referential::Referential;
use essor_store::Store;

use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Les subventions accordées, au format SCDL « subventions » 2.1.1 (CSV UTF-8), une ligne
    /// par subvention.
    Subventions {
        /// Année de l’enveloppe des subventions (toutes les années si absente).
        #[arg(long, value_name = "ANNÉE", value_parser = clap::value_parser!(i32).range(2000..=2100))]
        year: Option<i32>,
        /// Fichier écrit (la sortie standard si absent).
        #[arg(long, value_name = "FICHIER")]
        out: Option<PathBuf>,
    },
}

pub async fn run(cmd: ExportCommand, store: &dyn Store, settings: &Settings) -> Result<()> {
    let ExportCommand::Subventions { year, out } = cmd;
    let bytes = essor_web::opendata::subsidies_csv(
        store,
        Referential::embedded(),
        settings.opendata.grantor_siret()?.as_ref(),
        year,
    )
    .await?;
    let rows = String::from_utf8_lossy(&bytes)
        .lines()
        .count()
        .saturating_sub(1);
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
        Some(path) => {
            // Written beside, then renamed: a reader never sees half a file.
            let partial = path.with_extension("csv.partiel");
            std::fs::write(&partial, &bytes)
                .with_context(|| format!("écriture de « {} »", partial.display()))?;
            std::fs::rename(&partial, &path)
                .with_context(|| format!("écriture de « {} »", path.display()))?;
            eprintln!(
                "{rows} subvention(s) écrite(s) dans {} (SCDL « subventions » 2.1.1).",
                path.display()
            );
        }
    }
    Ok(())
}
