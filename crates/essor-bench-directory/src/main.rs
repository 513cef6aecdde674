//! The directory search benchmark: essor's search of 250 000 generated ESS establishments (the
//! whole country) against SQLite FTS5 on the same data, in process and over HTTP.
//!
//! `prepare` writes the data once, `latency` measures in process, `serve` serves both engines
//! for wrk (`bench/directory.sh` runs everything; figures in `BENCHMARKS.md`).

mod app;
mod fts5;
mod generate;
mod latency;
mod prepare;
mod queries;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "essor-bench-directory",
    about = "Banc d’essai de la recherche de l’annuaire : essor contre SQLite FTS5 sur les mêmes \
             établissements générés, à l’échelle nationale"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(
        about = "Prépare le dossier : base essor (territoire national, un import d’établissements \
                 générés) et base FTS5 des mêmes acteurs"
    )]
    Prepare {
        #[arg(long, help = "Dossier des données du banc d’essai")]
        dir: PathBuf,
        #[arg(
            long,
            default_value_t = 250_000,
            help = "Nombre d’établissements générés"
        )]
        actors: usize,
        #[arg(long, default_value_t = 7, help = "Graine du générateur")]
        seed: u64,
    },
    #[command(
        about = "Mesure en processus la latence des requêtes : API essor, index essor seul, FTS5"
    )]
    Latency {
        #[arg(long, help = "Dossier préparé par « prepare »")]
        dir: PathBuf,
        #[arg(
            long,
            help = "Passages sur l’ensemble des requêtes (par défaut : de quoi faire 2 000 recherches par moteur)"
        )]
        runs: Option<usize>,
        #[arg(
            long,
            default_value_t = 5,
            help = "Passages d’échauffement, non mesurés"
        )]
        warmup: usize,
    },
    #[command(
        about = "Sert le routeur d’essor sur ces données et la référence FTS5 sur /bench/fts5"
    )]
    Serve {
        #[arg(long, help = "Dossier préparé par « prepare »")]
        dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8099", help = "Adresse d’écoute")]
        addr: SocketAddr,
        #[arg(
            long,
            default_value_t = 4,
            help = "Connexions SQLite de la référence FTS5"
        )]
        connections: usize,
    },
    #[command(about = "Affiche les requêtes du banc d’essai, une chaîne de requête par ligne")]
    Queries,
    #[command(about = "Affiche ce qu’un dossier préparé doit contenir (pour le script)")]
    Marker {
        #[arg(long, default_value_t = 250_000)]
        actors: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // sqlx warns of every statement slower than 1 s, as the reads of the whole country's
    // establishments at start are: the start's duration is reported instead.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,sqlx::query=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Prepare { dir, actors, seed } => prepare::run(&dir, actors, seed).await,
        Command::Latency { dir, runs, warmup } => latency::run(&dir, runs, warmup).await,
        Command::Serve {
            dir,
            addr,
            connections,
        } => serve::run(&dir, addr, connections.max(1)).await,
        Command::Queries => {
            for query in queries::QUERIES {
                println!("{}", query.query_string);
            }
            Ok(())
        }
        Command::Marker { actors, seed } => {
            print!("{}", prepare::marker(actors, seed));
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("erreur : {error:#}");
            ExitCode::FAILURE
        }
    }
}
