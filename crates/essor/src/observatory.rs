//! The observatory's side of the binary: importing SIRENE stock files into the store, and the
//! demonstration stock a new deployment starts with.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use essor_domain::actor::{Label, Offer, OfferKind, Profile};
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::referential::Referential;
use essor_domain::territory::TerritoryRef;
use essor_sirene::{ImportOutput, Importer, Progress};
use essor_store::directory::Author;
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
        .map(EstablishmentRow::of)
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
    demo_profiles(
        store,
        snapshot.id,
        &territory.commune_codes_with_arrondissements(),
    )
    .await?;
    store.set_meta(DEMO_KEY, &snapshot.id.to_string()).await?;
    Ok(())
}

/// A word of the name, the presentation, offers (title, kind, theme) and labels.
type DemoProfile = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str)],
    &'static [Label],
);

/// What a few demonstration actors say of themselves, so that the directory shows complete
/// pages: the first active establishment whose name holds the word, and its profile.
const DEMO_PROFILES: &[DemoProfile] = &[
    (
        "RESSOURCERIE",
        "Fiche de démonstration. La ressourcerie collecte les objets dont vous ne voulez plus, \
         les répare et les revend à petits prix ; elle emploie des personnes en parcours \
         d’insertion.",
        &[
            ("Collecte d’objets et de meubles", "reparation", "dechets"),
            ("Boutique solidaire de réemploi", "produit", "dechets"),
            ("Atelier de réparation de vélos", "reparation", "mobilites"),
        ],
        &[Label::Ressourcerie, Label::SiaeAci],
    ),
    (
        "JARDINS",
        "Fiche de démonstration. Des jardins partagés ouverts aux habitants du quartier, des \
         ateliers de jardinage et une vente de légumes de saison.",
        &[
            ("Parcelles de jardin partagé", "location", "circuits_courts"),
            ("Panier de légumes de saison", "produit", "circuits_courts"),
        ],
        &[Label::Organic],
    ),
    (
        "INSERTION",
        "Fiche de démonstration. L’association accompagne vers l’emploi des personnes qui en \
         sont éloignées, par des chantiers d’entretien d’espaces verts et de rénovation.",
        &[
            (
                "Chantiers d’insertion en espaces verts",
                "emploi",
                "transition_energetique",
            ),
            (
                "Petits travaux de rénovation énergétique",
                "service",
                "habitat",
            ),
        ],
        &[Label::SiaeAci, Label::Esus],
    ),
];

async fn demo_profiles(store: &dyn Store, snapshot: i64, communes: &[String]) -> Result<()> {
    let rows = store.snapshot_establishments(snapshot, communes).await?;
    for (word, description, offers, labels) in DEMO_PROFILES {
        let found = rows.iter().find_map(|row| {
            let record: EstablishmentRecord = serde_json::from_str(&row.record).ok()?;
            (record.active
                && !record.diffusion_partial
                && record.name.as_deref().is_some_and(|n| n.contains(word)))
            .then_some(record)
        });
        let Some(record) = found else { continue };
        let profile = Profile {
            description: (*description).to_owned(),
            offers: offers
                .iter()
                .map(|(title, kind, theme)| Offer {
                    title: (*title).to_owned(),
                    description: String::new(),
                    kind: OfferKind::parse(kind),
                    themes: vec![(*theme).to_owned()],
                    communes: Vec::new(),
                })
                .collect(),
            hours: "Du mardi au samedi, de 10 h à 18 h (démonstration)".to_owned(),
            labels: labels.to_vec(),
            ..Profile::default()
        };
        store
            .save_profile(
                &record.siret,
                &record.siren,
                &profile,
                Author {
                    account: None,
                    staff: true,
                },
                None,
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use essor_domain::ess::Family;
    use essor_store::SqliteStore;
    use essor_store::directory::Directory as _;

    use super::*;

    fn row(siret: &str, name: &str, partial: bool) -> EstablishmentRow {
        let record = EstablishmentRecord {
            siret: siret.to_owned(),
            siren: siret[..9].to_owned(),
            commune: "38185".to_owned(),
            active: true,
            employer: false,
            head_office: true,
            diffusion_partial: partial,
            name: Some(name.to_owned()),
            acronym: None,
            sign: None,
            address_line: None,
            postcode: None,
            naf: None,
            naf_nomenclature: None,
            band: None,
            family: Family::Association,
            legal_category: "9220".to_owned(),
            ess_flag: false,
            created: None,
            lambert_x: None,
            lambert_y: None,
            section: "S".to_owned(),
            themes: Vec::new(),
            jobs_x2: 0,
        };
        EstablishmentRow::of(&record).unwrap()
    }

    #[tokio::test]
    async fn demonstration_actors_get_labelled_pages() {
        let store = SqliteStore::in_memory().await.unwrap();
        store.migrate().await.unwrap();
        let rows = [
            row("10000000100011", "ASSOCIATION DE LA RESSOURCERIE", true),
            row("10000000200011", "ASSOCIATION DE LA RESSOURCERIE", false),
            row("10000000300011", "CLUB DE TENNIS", false),
        ];
        let snapshot = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "e.csv",
                units_file: "u.csv",
                synthetic: true,
                report: &serde_json::json!({}),
                facts: &essor_domain::panorama::FactTable::default(),
                establishments: &rows,
            })
            .await
            .unwrap();
        demo_profiles(&store, snapshot.id, &["38185".to_owned()])
            .await
            .unwrap();
        let profiles = store.profiles().await.unwrap();
        assert_eq!(profiles.len(), 1, "only the public ressourcerie matches");
        assert_eq!(profiles[0].siret, "10000000200011");
        assert!(
            profiles[0]
                .profile
                .description
                .starts_with("Fiche de démonstration.")
        );
        assert!(store.unreviewed_revisions().await.unwrap().is_empty());
    }
}
