//! essor on the benchmark's folder, wired as `essor serve` wires it: the SQLite store, the
//! search index in `index/`, the catalogue built from the store at start.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use essor_domain::referential::Referential;
use essor_store::{SqliteStore, Store};
use essor_web::AppState;

/// essor's database file in the folder (the name `essor serve` gives it in its data folder).
pub const DATABASE: &str = "essor.sqlite3";
/// The public address the API's links start with (the same in the FTS5 baseline's hits).
pub const PUBLIC_URL: &str = "http://127.0.0.1:8099";

/// Opens essor's store in `dir`, migrated.
pub async fn open_store(dir: &Path) -> Result<SqliteStore> {
    let path = dir.join(DATABASE);
    let store = SqliteStore::open(&path)
        .await
        .with_context(|| format!("base essor « {} »", path.display()))?;
    store.migrate().await?;
    Ok(store)
}

/// The application's state over the folder's data, with its directory built; returns the time
/// the build took (what a server start costs at this scale).
pub async fn state(dir: &Path) -> Result<(AppState, Duration)> {
    let store: Arc<dyn Store> = Arc::new(open_store(dir).await?);
    let index_dir = dir.join("index");
    let index = essor_search::ActorIndex::open_or_create(&index_dir)
        .with_context(|| format!("index de recherche « {} »", index_dir.display()))?;
    let state = AppState::new(store, Referential::embedded(), account_config(dir)?)
        .with_catalogue(essor_web::directory::Catalogue::new(index));
    let started = Instant::now();
    state
        .refresh_directory()
        .await
        .map_err(|e| anyhow::anyhow!("construction de l’annuaire : {e}"))?;
    Ok((state, started.elapsed()))
}

/// Accounts as a fresh installation has them: mails to the outbox folder, default hashing.
fn account_config(dir: &Path) -> Result<essor_web::AccountConfig> {
    let url = essor_mail::PublicUrl::parse(PUBLIC_URL)
        .map_err(|e| anyhow::anyhow!("adresse publique : {e}"))?;
    let site = essor_mail::Site::new(url, "essor");
    let from = "essor <essor@localhost>"
        .parse()
        .map_err(|e| anyhow::anyhow!("expéditeur : {e}"))?;
    let mailer = essor_mail::Mailer::outbox(dir.join("outbox"), from);
    let passwords = essor_auth::Passwords::new(essor_auth::password::PasswordParams::default())
        .map_err(|e| anyhow::anyhow!("hachage des mots de passe : {e}"))?;
    Ok(essor_web::AccountConfig::new(site, mailer, passwords))
}
