//! `essor audit`: check the audit trail's chain, list its latest entries.
//!
//! `verify` exits with status 1 when the chain is broken, so that a scheduled check can alert.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use essor_domain::audit::{AuditEntry, Broken, Verified, canonical_time};
use essor_domain::money::group_thousands;
use essor_store::audit::{AuditFilter, MAX_PAGE, Page};

use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Une entrée par ligne, en français.
    Text,
    /// Un tableau JSON, les valeurs avant et après comprises.
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Vérifie l’intégrité du journal d’audit (le chaînage des empreintes) ; code de sortie 1
    /// s’il est rompu.
    Verify,
    /// Affiche les dernières entrées du journal d’audit, les plus récentes d’abord.
    List {
        #[arg(
            long,
            value_name = "PRÉFIXE",
            help = "Préfixe du code d’action : « auth » pour auth.login, auth.login_failed…"
        )]
        action: Option<String>,
        /// Nombre d’entrées affichées (1 000 au plus).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE)))]
        limit: u32,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

pub async fn run(cmd: AuditCommand, settings: &Settings) -> Result<()> {
    let target = settings.database()?;
    tracing::info!(database = %target.redacted(), "ouverture de la base de données");
    let (store, audit) = essor_store::audit::open_with_audit(&target)
        .await
        .with_context(|| format!("base de données {}", target.redacted()))?;
    let outcome: Result<bool> = async {
        store.migrate().await?;
        match cmd {
            AuditCommand::Verify => {
                let outcome = audit.verify().await?;
                print!("{}", verify_report(&outcome));
                Ok(outcome.is_ok())
            }
            AuditCommand::List {
                action,
                limit,
                format,
            } => {
                let filter = AuditFilter {
                    action_prefix: action,
                    ..AuditFilter::default()
                };
                let page = Page {
                    before_seq: None,
                    limit,
                };
                let entries = audit.list(&filter, page).await?;
                print!(
                    "{}",
                    match format {
                        Format::Text => to_text(&entries),
                        Format::Json => to_json(&entries),
                    }
                );
                Ok(true)
            }
        }
    }
    .await;
    store.close().await;
    if !outcome? {
        // The report is on stdout; the status tells scripts the chain is broken.
        std::process::exit(1);
    }
    Ok(())
}

/// What `essor audit verify` prints.
fn verify_report(outcome: &Result<Verified, Broken>) -> String {
    match outcome {
        Ok(verified) => {
            let entries = if verified.count > 1 {
                "entrées vérifiées"
            } else {
                "entrée vérifiée"
            };
            format!(
                "Journal d’audit intègre : {} {entries}\nDernière empreinte : {}\n",
                group_thousands(verified.count),
                verified.last_hash
            )
        }
        Err(broken) => format!(
            "Journal d’audit rompu à l’entrée n° {} : {}\n",
            broken.seq, broken.reason
        ),
    }
}

fn to_text(entries: &[AuditEntry]) -> String {
    if entries.is_empty() {
        return "Aucune entrée dans le journal d’audit.\n".to_owned();
    }
    let mut out = String::new();
    for e in entries {
        let _ = write!(
            out,
            "n° {}  {}  {} ({})  par {} [{}]",
            e.seq,
            e.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.action_label(),
            e.action,
            e.actor_label,
            e.actor_id
        );
        if let (Some(kind), Some(id)) = (&e.object_kind, &e.object_id) {
            let _ = write!(out, "  objet : {kind} {id}");
        }
        if let Some(ip) = &e.ip {
            let _ = write!(out, "  IP : {ip}");
        }
        out.push('\n');
        if let Some(before) = &e.before_json {
            let _ = writeln!(out, "    avant : {before}");
        }
        if let Some(after) = &e.after_json {
            let _ = writeln!(out, "    après : {after}");
        }
    }
    out
}

/// The stored JSON text as a value; kept as a string should it not parse (the chain covers the
/// text, whatever it is).
fn json_value(text: Option<&str>) -> serde_json::Value {
    text.map_or(serde_json::Value::Null, |t| {
        serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::String(t.to_owned()))
    })
}

fn to_json(entries: &[AuditEntry]) -> String {
    let values: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "seq": e.seq,
                "created_at": canonical_time(e.created_at),
                "actor_id": e.actor_id,
                "actor_label": e.actor_label,
                "action": e.action,
                "action_label": e.action_label(),
                "object_kind": e.object_kind,
                "object_id": e.object_id,
                "before": json_value(e.before_json.as_deref()),
                "after": json_value(e.after_json.as_deref()),
                "ip": e.ip,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            })
        })
        .collect();
    format!("{:#}\n", serde_json::Value::Array(values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use essor_domain::audit::{Action, Actor, AuditEvent, BrokenReason, GENESIS_HASH, ObjectRef};

    fn entry() -> AuditEntry {
        AuditEvent::new(
            Actor::account(7, "compte n° 7"),
            Action::USER_ROLE_CHANGED,
            "2026-12-01T10:05:00Z".parse().unwrap(),
        )
        .on(ObjectRef::new("account", "42").unwrap())
        .before(&serde_json::json!({"roles": []}))
        .after(&serde_json::json!({"roles": ["administrateur"]}))
        .seal(1, GENESIS_HASH)
    }

    #[test]
    fn the_verification_report_reads_in_french() {
        let ok = Ok(Verified {
            count: 1_234,
            last_hash: "ab".repeat(32),
        });
        assert_eq!(
            verify_report(&ok),
            format!(
                "Journal d’audit intègre : {} entrées vérifiées\nDernière empreinte : {}\n",
                group_thousands(1_234),
                "ab".repeat(32)
            )
        );
        let one = Ok(Verified {
            count: 1,
            last_hash: "cd".repeat(32),
        });
        assert!(verify_report(&one).starts_with("Journal d’audit intègre : 1 entrée vérifiée\n"));
        let broken = Err(Broken {
            seq: 3,
            reason: BrokenReason::HashMismatch,
        });
        assert_eq!(
            verify_report(&broken),
            "Journal d’audit rompu à l’entrée n° 3 : le contenu ne correspond plus à son empreinte (entrée modifiée)\n"
        );
    }

    #[test]
    fn entries_are_listed_with_their_french_label_and_values() {
        let text = to_text(&[entry()]);
        assert_eq!(
            text,
            "n° 1  2026-12-01 10:05:00 UTC  Rôle modifié (user.role_changed)  par compte n° 7 \
             [account:7]  objet : account 42\n    avant : {\"roles\":[]}\n    après : \
             {\"roles\":[\"administrateur\"]}\n"
        );
        assert_eq!(to_text(&[]), "Aucune entrée dans le journal d’audit.\n");
        let json: serde_json::Value = serde_json::from_str(&to_json(&[entry()])).unwrap();
        assert_eq!(json[0]["after"]["roles"][0], "administrateur");
        assert_eq!(json[0]["action_label"], "Rôle modifié");
        assert_eq!(json[0]["created_at"], "2026-12-01T10:05:00.000000Z");
        assert_eq!(json[0]["hash"], entry().hash);
    }
}
