//! `essor dossiers`: the funding dossiers' chores that run on a schedule.

use std::sync::Arc;

use anyhow::Result;
use essor_domain::referential::Referential;

use crate::serve;
use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum DossiersCommand {
    /// Relance par courriel les partenaires dont l’avis est attendu : quelques jours avant la
    /// date limite, puis une fois celle-ci passée. Chaque relance part une seule fois : la
    /// commande peut tourner chaque jour (ou plus souvent) sans doublon.
    Relancer,
}

pub async fn run(cmd: DossiersCommand, settings: &Settings) -> Result<()> {
    match cmd {
        DossiersCommand::Relancer => {
            let store = serve::prepare(settings).await?;
            let accounts = serve::account_config(settings).await?;
            let state =
                essor_web::AppState::new(Arc::clone(&store), Referential::embedded(), accounts);
            let outcome = essor_web::instruction::send_reminders(&state, chrono::Utc::now()).await;
            store.close().await;
            let report = outcome.map_err(|e| anyhow::anyhow!("relances : {e}"))?;
            println!(
                "{} relance(s) envoyée(s){}.",
                report.sent,
                if report.failed == 0 {
                    String::new()
                } else {
                    format!(
                        " ; {} en échec, retentée(s) à la prochaine exécution",
                        report.failed
                    )
                }
            );
            if report.failed > 0 {
                anyhow::bail!("{} relance(s) n’ont pas pu partir", report.failed);
            }
            Ok(())
        }
    }
}
