//! The command line: subcommands resolve their arguments into typed settings before any work.

mod audit;
mod dossiers;
mod export;
mod generate;
mod import;
mod panorama;
mod plan;
mod referential;
mod territory;
mod user;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use essor_domain::referential::Referential;

use crate::settings::{Overrides, Settings};
use crate::{serve, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "essor",
    version,
    about = "essor : la plateforme de la politique d’économie sociale et solidaire d’une intercommunalité",
    long_about = None,
)]
pub struct Cli {
    /// Fichier de configuration TOML.
    #[arg(long, global = true, env = "ESSOR_CONFIG", value_name = "FICHIER")]
    config: Option<PathBuf>,
    /// Dossier des données (base SQLite, index de recherche).
    #[arg(long, global = true, value_name = "DOSSIER")]
    data_dir: Option<PathBuf>,
    /// Adresse d’écoute du serveur web, par exemple 127.0.0.1:8080.
    #[arg(long, global = true, value_name = "ADRESSE")]
    addr: Option<SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sert le site web (commande par défaut).
    Serve,
    /// Met à jour le schéma de la base de données.
    Migrate,
    /// Territoires : afficher les communes d’une intercommunalité, d’un département…
    #[command(subcommand)]
    Territory(territory::TerritoryCommand),
    /// Plan ESS du territoire : afficher, charger un fichier.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Génère des données de démonstration : un stock SIRENE synthétique au format de l’INSEE.
    #[command(subcommand)]
    Generate(generate::GenerateCommand),
    /// Importe des données : le stock SIRENE de l’INSEE.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Panorama de l’ESS d’un territoire, d’après le dernier import SIRENE.
    Panorama(panorama::PanoramaArgs),
    /// Données de référence : régénérer `data/` depuis les sources publiées.
    #[command(subcommand)]
    Referential(referential::ReferentialCommand),
    /// Comptes : créer, lister, donner des rôles.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Reconstruit l’index de recherche de l’annuaire depuis la base.
    Reindex,
    /// Journal d’audit : vérifier son intégrité, afficher ses dernières entrées.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Dossiers de subvention : relancer les avis attendus.
    #[command(subcommand)]
    Dossiers(dossiers::DossiersCommand),
    /// Exporte des données ouvertes : les subventions accordées (SCDL « subventions » 2.1.1).
    #[command(subcommand)]
    Export(export::ExportCommand),
}

pub fn run(cli: Cli) -> Result<()> {
    let overrides = Overrides {
        addr: cli.addr,
        data_dir: cli.data_dir.clone(),
    };
    let settings = || Settings::load(cli.config.as_deref(), &overrides);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(serve::run(settings))
        }
        Command::Migrate => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(async {
                let store = serve::open_store(&settings).await?;
                let applied = store.applied_migrations().await?;
                println!(
                    "Base {} à jour : {} migration(s) appliquée(s).",
                    store.backend().name(),
                    applied.len()
                );
                store.close().await;
                Ok(())
            })
        }
        Command::Import(cmd) => {
            // The referential is read (a few tens of milliseconds) while the database opens.
            // (Without a thread to spare, it is read when first needed.)
            let _ = std::thread::Builder::new().spawn(Referential::embedded);
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(async {
                let store = serve::prepare(&settings).await?;
                let result = import::run(cmd, Arc::clone(&store)).await;
                store.close().await;
                result
            })
        }
        Command::Panorama(args) => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(async {
                let store = serve::open_store(&settings).await?;
                let result = panorama::run(args, store.as_ref()).await;
                store.close().await;
                result
            })
        }
        Command::Reindex => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(reindex(&settings))
        }
        Command::Audit(cmd) => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(audit::run(cmd, &settings))
        }
        Command::User(cmd) => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(async {
                let store = serve::prepare(&settings).await?;
                let result = user::run(cmd, store.as_ref()).await;
                store.close().await;
                result
            })
        }
        Command::Dossiers(cmd) => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(dossiers::run(cmd, &settings))
        }
        Command::Export(cmd) => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(async {
                let store = serve::prepare(&settings).await?;
                let result = export::run(cmd, store.as_ref(), &settings).await;
                store.close().await;
                result
            })
        }
        Command::Generate(cmd) => generate::run(cmd),
        Command::Territory(cmd) => territory::run(cmd),
        Command::Referential(cmd) => referential::run(cmd),
        Command::Plan(cmd) => {
            let settings = settings()?;
            telemetry::init(&settings);
            runtime()?.block_on(run_plan(cmd, &settings))
        }
    }
}

async fn run_plan(cmd: plan::PlanCommand, settings: &Settings) -> Result<()> {
    if let plan::PlanCommand::Show {
        format,
        file: Some(file),
    } = &cmd
    {
        print!("{}", plan::render(&plan::read_file(file)?, *format));
        return Ok(());
    }
    let store = serve::prepare(settings).await?;
    match cmd {
        plan::PlanCommand::Show { format, file: _ } => {
            let territory = store
                .default_territory()
                .await?
                .context("aucun territoire par défaut n’est configuré")?;
            let plan = store
                .current_plan(&territory.reference)
                .await?
                .with_context(|| format!("aucun plan pour le territoire {}", territory.name))?;
            print!("{}", plan::render(&plan, format));
        }
        plan::PlanCommand::Load { file, default } => {
            let plan = plan::read_file(&file)?;
            essor_store::seed::configure_territory_of(
                store.as_ref(),
                Referential::embedded(),
                &plan,
                default,
            )
            .await?;
            store.save_plan(&plan).await?;
            println!(
                "Plan « {} » ({}-{}) enregistré pour le territoire {}.",
                plan.title, plan.period.start, plan.period.end, plan.territory
            );
        }
    }
    store.close().await;
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("démarrage du moteur asynchrone impossible")
}

/// `essor reindex`: rebuilds the directory's search index in the data folder from the store.
async fn reindex(settings: &Settings) -> Result<()> {
    let store = serve::prepare(settings).await?;
    let started = std::time::Instant::now();
    let state = essor_web::AppState::new(
        Arc::clone(&store),
        Referential::embedded(),
        serve::account_config(settings).await?,
    )
    .with_catalogue(serve::open_catalogue(settings)?);
    state
        .refresh_directory()
        .await
        .context("reconstruction de l’index de l’annuaire")?;
    println!(
        "Index de l’annuaire reconstruit : {} acteurs en {:.1} s ({}).",
        state.catalogue.len(),
        started.elapsed().as_secs_f64(),
        settings.data_dir.join("index").display()
    );
    store.close().await;
    Ok(())
}
