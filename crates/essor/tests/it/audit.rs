//! `essor audit verify` and `essor audit list`, on SQLite and, when `ESSOR_TEST_DATABASE_URL`
//! is set, on a throwaway PostgreSQL database: an edited row makes the check fail and name it.

use std::path::Path;
use std::process::{Command, Output};

use essor_domain::audit::{Action, Actor, AuditEvent, ObjectRef, SystemActor};
use essor_store::DatabaseTarget;
use sqlx::Connection as _;

/// Runs `essor` on the data folder, or on `database_url` when given.
fn essor(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_essor"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ESSOR_DATABASE_URL")
        .env_remove("ESSOR_CONFIG");
    if let Some(url) = database_url {
        command.env("ESSOR_DATABASE_URL", url);
    }
    command.output().expect("run essor")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn append_three(target: &DatabaseTarget) {
    let (store, audit) = essor_store::audit::open_with_audit(target).await.unwrap();
    store.migrate().await.unwrap();
    for n in 1..=3 {
        let event = AuditEvent::now(Actor::System(SystemActor::Cli), Action::PAYMENT_RECORDED)
            .on(ObjectRef::new("payment", n.to_string()).unwrap())
            .after(&serde_json::json!({"amount_cents": n * 10_000}));
        audit.append(&event).await.unwrap();
    }
    store.close().await;
}

/// What someone with SQL access does: drops the guard and edits entry 2.
async fn tamper(target: &DatabaseTarget) {
    let edit = "UPDATE audit_events SET after_json = '{\"amount_cents\":99999900}' WHERE seq = 2";
    match target {
        DatabaseTarget::SqliteFile(path) => {
            let url = format!("sqlite:{}", path.display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            assert!(
                sqlx::raw_sql(edit).execute(&mut conn).await.is_err(),
                "the trigger refuses the edit"
            );
            sqlx::raw_sql("DROP TRIGGER audit_events_no_update")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        DatabaseTarget::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            assert!(sqlx::raw_sql(edit).execute(&mut conn).await.is_err());
            sqlx::raw_sql("DROP TRIGGER audit_events_no_rewrite ON audit_events")
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

fn check_verify_and_tampering(data_dir: &Path, target: &DatabaseTarget, url: Option<&str>) {
    let fresh = essor(data_dir, url, &["audit", "verify"]);
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    assert!(
        stdout(&fresh).starts_with("Journal d’audit intègre : 0 entrée vérifiée\n"),
        "{}",
        stdout(&fresh)
    );

    runtime().block_on(append_three(target));
    let intact = essor(data_dir, url, &["audit", "verify"]);
    assert!(intact.status.success());
    assert!(stdout(&intact).starts_with("Journal d’audit intègre : 3 entrées vérifiées\n"));

    let listed = essor(
        data_dir,
        url,
        &[
            "audit", "list", "--action", "payment", "--limit", "2", "--format", "json",
        ],
    );
    assert!(listed.status.success());
    let json: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let seqs: Vec<i64> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![3, 2]);
    assert_eq!(json[1]["after"]["amount_cents"], 20_000);
    assert_eq!(json[1]["action_label"], "Paiement enregistré");
    let none = essor(data_dir, url, &["audit", "list", "--action", "auth"]);
    assert_eq!(stdout(&none), "Aucune entrée dans le journal d’audit.\n");

    runtime().block_on(tamper(target));
    let broken = essor(data_dir, url, &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1), "a broken chain exits with 1");
    assert_eq!(
        stdout(&broken),
        "Journal d’audit rompu à l’entrée n° 2 : le contenu ne correspond plus à son empreinte \
         (entrée modifiée)\n"
    );
}

#[test]
fn verify_passes_on_a_fresh_trail_and_names_an_edited_row_with_exit_code_1() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let target = DatabaseTarget::SqliteFile(data.join("essor.sqlite3"));
    check_verify_and_tampering(&data, &target, None);

    let Ok(admin_url) = std::env::var("ESSOR_TEST_DATABASE_URL") else {
        return;
    };
    let name = format!("essor_cli_audit_{}", std::process::id());
    let admin = |sql: String| {
        let admin_url = admin_url.clone();
        runtime().block_on(async move {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        });
    };
    admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    admin(format!("CREATE DATABASE {name}"));
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let outcome = std::panic::catch_unwind(|| {
        check_verify_and_tampering(
            &work.path().join("unused"),
            &DatabaseTarget::Postgres(url.clone()),
            Some(&url),
        );
    });
    admin(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
