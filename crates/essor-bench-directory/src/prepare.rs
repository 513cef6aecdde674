//! `prepare`: essor's database with the whole country as default territory and one SIRENE
//! snapshot of generated establishments, and the FTS5 database of the same actors.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use essor_domain::plan::{Key, default_plan};
use essor_domain::referential::{CommuneKind, Referential};
use essor_domain::territory::TerritoryRef;
use essor_store::seed::ensure_reference_data;
use essor_store::{EstablishmentRow, NewSnapshot, NewTerritory, Store};
use essor_web::directory::Actor;

use crate::app::{self, PUBLIC_URL};
use crate::fts5;
use crate::generate::Generator;

/// The file whose content says what the folder was prepared with; written last, so that an
/// interrupted preparation is redone.
pub const MARKER: &str = "prepared.txt";

/// What the folder is prepared with, as written in [`MARKER`].
#[must_use]
pub fn marker(actors: usize, seed: u64) -> String {
    format!("actors={actors} seed={seed}\n")
}

pub async fn run(dir: &Path, actors: usize, seed: u64) -> Result<()> {
    let started = Instant::now();
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    clear(dir)?;
    let referential = Referential::embedded();
    let store = app::open_store(dir).await?;
    ensure_reference_data(&store, referential).await?;
    let communes = national_territory(&store, referential).await?;
    eprintln!("territoire par défaut : la France entière ({communes} communes)");

    let mut generator = Generator::new(referential, seed);
    let records: Vec<_> = (0..actors).map(|_| generator.record()).collect();
    let rows = records
        .iter()
        .map(|r| {
            Ok(EstablishmentRow {
                siret: r.siret.clone(),
                siren: r.siren.clone(),
                commune: r.commune.clone(),
                active: r.active,
                record: serde_json::to_string(r)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    eprintln!(
        "{actors} établissements générés dans {} lieux ({:.1} s)",
        generator.places(),
        started.elapsed().as_secs_f64()
    );
    let saving = Instant::now();
    store
        .save_snapshot(&NewSnapshot {
            establishments_file: "essor-bench-directory (établissements générés)",
            units_file: "essor-bench-directory (établissements générés)",
            synthetic: true,
            report: &serde_json::json!({ "generator": "essor-bench-directory", "seed": seed }),
            facts: &essor_domain::panorama::FactTable::default(),
            establishments: &rows,
        })
        .await?;
    store.close().await;
    eprintln!(
        "import enregistré dans {} ({:.1} s)",
        dir.join(app::DATABASE).display(),
        saving.elapsed().as_secs_f64()
    );

    let building = Instant::now();
    let public: Vec<Actor> = records
        .iter()
        .map(|r| Actor::from_record(r, referential))
        .collect();
    fts5::build(&dir.join(fts5::FILE), &public, PUBLIC_URL)?;
    eprintln!(
        "base FTS5 écrite dans {} ({:.1} s)",
        dir.join(fts5::FILE).display(),
        building.elapsed().as_secs_f64()
    );
    std::fs::write(dir.join(MARKER), marker(actors, seed))?;
    println!(
        "dossier prêt : {} ({actors} établissements, graine {seed}, {:.1} s)",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Removes what an earlier preparation left.
fn clear(dir: &Path) -> Result<()> {
    let marker = dir.join(MARKER);
    if marker.exists() {
        std::fs::remove_file(&marker)?;
    }
    for name in [app::DATABASE, fts5::FILE] {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = dir.join(format!("{name}{suffix}"));
            if file.exists() {
                std::fs::remove_file(&file).with_context(|| format!("{}", file.display()))?;
            }
        }
    }
    let index = dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index).with_context(|| format!("{}", index.display()))?;
    }
    Ok(())
}

/// Makes the whole country the default territory: the list of every current commune (no kind
/// of territory is larger), with a copy of the default plan so that the site has one. Returns
/// the number of communes.
async fn national_territory(store: &dyn Store, referential: &Referential) -> Result<usize> {
    let mut codes: Vec<_> = referential
        .communes()
        .filter(|c| c.kind == CommuneKind::Commune)
        .map(|c| c.code.clone())
        .collect();
    codes.sort();
    let count = codes.len();
    let reference = TerritoryRef::Communes(codes);
    let territory = reference
        .resolve(referential)
        .map_err(|e| anyhow::anyhow!("territoire national : {e}"))?;
    store
        .save_territory(&NewTerritory {
            reference: reference.to_string(),
            kind: reference.kind().to_owned(),
            code: territory.code.clone(),
            name: "France entière".to_owned(),
            is_default: true,
        })
        .await?;
    let mut plan = default_plan();
    plan.key = Key::parse("bench-france").map_err(|e| anyhow::anyhow!("clé du plan : {e}"))?;
    plan.territory = reference.to_string();
    store.save_plan(&plan).await?;
    Ok(count)
}
