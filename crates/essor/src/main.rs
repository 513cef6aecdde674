//! `essor`: the one binary. Resolves the command line and settings, sets up logs, wires the
//! store, the referential and the web application, and runs the asked command.

mod cli;
mod observatory;
mod serve;
mod settings;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system's allocator (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("erreur : {error:#}");
            ExitCode::FAILURE
        }
    }
}
