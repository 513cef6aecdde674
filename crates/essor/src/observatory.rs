//! The observatory's side of the binary: importing SIRENE stock files into the store, and the
//! demonstration stock a new deployment starts with.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use essor_domain::referential::Referential;
use essor_domain::territory::TerritoryRef;
use essor_sirene::{ImportOutput, Importer, Progress};
use essor_store::{EstablishmentRow, NewSnapshot, SnapshotSummary, Store};

/// The file the generator writes beside synthetic stock files.
pub use essor_synth::SYNTHETIC_MARKER;

/// Meta key recording that the demonstration stock was loaded (once per database).
const DEMO_KEY: &str = "demo.sirene";

/// Whether the folder of `file` holds the marker the generator writes.
#[must_use]
pub fn is_marked_synthetic(file: &Path) -> bool {
    file.parent()
        .map_or_else(
            || PathBuf::from(SYNTHETIC_MARKER),
            |d| d.join(SYNTHETIC_MARKER),
        )
        .is_file()
}

/// The commune codes (arrondissements included) of every configured territory: their ESS
/// establishments are kept for the directory.
async fn kept_communes(store: &dyn Store) -> Result<BTreeSet<String>> {
    let referential = Referential::embedded();
    let mut codes = BTreeSet::new();
    for configured in store.territories().await? {
        let reference: TerritoryRef = configured.reference.parse()?;
        let territory = reference.resolve(referential)?;
        codes.extend(territory.commune_codes_with_arrondissements());
    }
    Ok(codes)
}

/// Reads both files, then stores the snapshot in one transaction.
pub async fn import_files(
    store: &dyn Store,
    establishments: &Path,
    units: &Path,
    synthetic: bool,
    progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<(SnapshotSummary, ImportOutput)> {
    let keep = kept_communes(store).await?;
    let importer = Importer::new(establishments, units)
        .keep_establishments_of(keep)
        .progress(progress);
    let output = tokio::task::spawn_blocking(move || importer.run())
        .await
        .context("l’import s’est interrompu")??;
    let rows = output
        .establishments
        .iter()
        .map(|e| {
            Ok(EstablishmentRow {
                siret: e.siret.clone(),
                siren: e.siren.clone(),
                commune: e.commune.clone(),
                active: e.active,
                record: serde_json::to_string(e)?,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    let report = serde_json::to_value(&output.report)?;
    tracing::info!(
        facts = output.facts.len(),
        establishments = rows.len(),
        "enregistrement de l’import"
    );
    let snapshot = store
        .save_snapshot(&NewSnapshot {
            establishments_file: &file_name(establishments),
            units_file: &file_name(units),
            synthetic,
            report: &report,
            facts: &output.facts,
            establishments: &rows,
        })
        .await
        .context("enregistrement de l’import (le précédent reste en place)")?;
    Ok((snapshot, output))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// On a database that has no SIRENE import yet, generates a synthetic stock for the default
/// territory (at whole-country density, so its figures look like the real ones) in
/// `data_dir/demo-sirene` and imports it, marked as synthetic. Does nothing once done.
pub async fn ensure_demo(store: &dyn Store, data_dir: &Path) -> Result<()> {
    if store.meta(DEMO_KEY).await?.is_some() || store.latest_snapshot().await?.is_some() {
        return Ok(());
    }
    let Some(configured) = store.default_territory().await? else {
        return Ok(());
    };
    let referential = Referential::embedded();
    let territory = configured
        .reference
        .parse::<TerritoryRef>()?
        .resolve(referential)?;
    let communes: Vec<String> = territory
        .communes
        .iter()
        .map(|c| c.code.to_string())
        .collect();
    let establishments = essor_synth::full_scale_establishments(referential, &communes)?;
    let dir = data_dir.join("demo-sirene");
    tracing::info!(
        territory = %configured.reference,
        establishments,
        "premier démarrage : génération et import d’un stock SIRENE de démonstration (synthétique)"
    );
    let config = essor_synth::GeneratorConfig {
        communes: Some(communes),
        ..essor_synth::GeneratorConfig::new(establishments, 1)
    };
    let out = dir.clone();
    tokio::task::spawn_blocking(move || {
        essor_synth::generate(&config, &out, Referential::embedded(), |_| {})
    })
    .await
    .context("la génération du stock de démonstration s’est interrompue")??;
    let (snapshot, _) = import_files(
        store,
        &dir.join("StockEtablissement_utf8.csv"),
        &dir.join("StockUniteLegale_utf8.csv"),
        true,
        |_| {},
    )
    .await?;
    store.set_meta(DEMO_KEY, &snapshot.id.to_string()).await?;
    Ok(())
}
