//! The audit trail: append-only storage, listing, and verification that names the first
//! broken entry, whatever was done to the table.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use essor_domain::audit::{
    Action, Actor, AuditEntry, AuditEvent, Broken, BrokenReason, GENESIS_HASH, ObjectRef,
    SystemActor, account_actor_id,
};
use essor_store::audit::{
    AuditFilter, AuditLog, Page, VERIFY_PAGE, append_in_transaction, begin_statement,
    open_with_audit,
};
use essor_store::{DatabaseTarget, Store};
use serde_json::json;
use sqlx::postgres::PgPool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

use crate::harness::ThrowawayDatabase;

/// A direct connection to the database, beside the store: what someone with SQL access can do.
#[derive(Clone)]
enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    async fn execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match self {
            Self::Sqlite(pool) => sqlx::raw_sql(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Self::Postgres(pool) => sqlx::raw_sql(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        }
    }

    async fn drop_triggers(&self) {
        let sql = match self {
            Self::Sqlite(_) => {
                "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
            }
            Self::Postgres(_) => "DROP TRIGGER audit_events_no_rewrite ON audit_events",
        };
        self.execute(sql).await.expect("drop the triggers");
    }

    async fn count(&self) -> i64 {
        let sql = "SELECT COUNT(*) FROM audit_events";
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .expect("count the entries")
    }

    async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

struct Ctx {
    store: Arc<dyn Store>,
    log: Arc<dyn AuditLog>,
    raw: Raw,
    target: DatabaseTarget,
}

/// Like `each_store`, with the audit log, a raw connection and the target (to open a second
/// store, as a second process would).
async fn each_audit_log<F, Fut>(test: F)
where
    F: Fn(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("essor.sqlite3");
    let target = DatabaseTarget::SqliteFile(path.clone());
    let (store, log) = open_with_audit(&target).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    let raw = Raw::Sqlite(
        SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path))
            .await
            .expect("raw SQLite connection"),
    );
    let outcome = tokio::spawn(test(Ctx {
        store: Arc::clone(&store),
        log,
        raw: raw.clone(),
        target,
    }))
    .await;
    raw.close().await;
    store.close().await;
    if let Err(e) = outcome {
        eprintln!("audit test failed on SQLite");
        std::panic::resume_unwind(e.into_panic());
    }

    let Ok(admin_url) = std::env::var("ESSOR_TEST_DATABASE_URL") else {
        return;
    };
    let db = ThrowawayDatabase::create(&admin_url).await;
    let target = DatabaseTarget::Postgres(db.url.clone());
    let (store, log) = open_with_audit(&target)
        .await
        .expect("connect to the throwaway PostgreSQL database");
    store.migrate().await.expect("migrate PostgreSQL");
    let raw = Raw::Postgres(PgPool::connect(&db.url).await.expect("raw connection"));
    let outcome = tokio::spawn(test(Ctx {
        store: Arc::clone(&store),
        log,
        raw: raw.clone(),
        target,
    }))
    .await;
    raw.close().await;
    store.close().await;
    db.drop().await;
    if let Err(e) = outcome {
        eprintln!("audit test failed on PostgreSQL");
        std::panic::resume_unwind(e.into_panic());
    }
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).unwrap() + Duration::microseconds(654_321)
}

fn camille() -> Actor {
    Actor::account(7, "Camille Martin")
}

fn payment(n: i64) -> AuditEvent {
    AuditEvent::new(
        Actor::System(SystemActor::Cli),
        Action::PAYMENT_RECORDED,
        at(0),
    )
    .on(ObjectRef::new("payment", n.to_string()).unwrap())
    .after(&json!({"amount_cents": n * 100, "label": "Subvention « Tiers-lieux »"}))
}

async fn append_payments(log: &dyn AuditLog, n: i64) -> Vec<AuditEntry> {
    let mut entries = Vec::new();
    for i in 1..=n {
        entries.push(log.append(&payment(i)).await.unwrap());
    }
    entries
}

fn seqs(entries: &[AuditEntry]) -> Vec<i64> {
    entries.iter().map(|e| e.seq).collect()
}

/// Six entries of different actions, actors, objects and times (minutes 1 to 6).
async fn append_varied(log: &dyn AuditLog) -> Vec<AuditEntry> {
    let ip = "198.51.100.4".parse().unwrap();
    let events = [
        AuditEvent::new(camille(), Action::AUTH_LOGIN, at(1)).from_ip(ip),
        AuditEvent::new(
            Actor::account(9, "Inconnu"),
            Action::AUTH_LOGIN_FAILED,
            at(2),
        )
        .from_ip(ip),
        AuditEvent::new(camille(), Action::USER_ROLE_CHANGED, at(3))
            .on(ObjectRef::new("account", "42").unwrap())
            .before(&json!({"roles": []}))
            .after(&json!({"roles": ["charge_de_mission"]})),
        AuditEvent::new(camille(), Action::DOSSIER_DECIDED, at(4))
            .on(ObjectRef::new("dossier", "2026-001").unwrap())
            .after(&json!({"decision": "accordé", "amount_cents": 1_500_000})),
        AuditEvent::new(
            Actor::System(SystemActor::Import),
            Action::SNAPSHOT_IMPORTED,
            at(5),
        )
        .on(ObjectRef::new("snapshot", "3").unwrap()),
        AuditEvent::new(camille(), Action::parse("authz.granted").unwrap(), at(6)),
    ];
    let mut appended = Vec::new();
    for event in &events {
        appended.push(log.append(event).await.unwrap());
    }
    appended
}

#[tokio::test]
async fn appended_entries_read_back_exactly_newest_first() {
    each_audit_log(|ctx| async move {
        let log = ctx.log;
        let appended = append_varied(log.as_ref()).await;
        assert_eq!(seqs(&appended), vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(appended[0].prev_hash, GENESIS_HASH);
        assert_eq!(appended[1].prev_hash, appended[0].hash);

        let all = log
            .list(&AuditFilter::default(), Page::default())
            .await
            .unwrap();
        let mut newest_first = appended.clone();
        newest_first.reverse();
        assert_eq!(all, newest_first, "entries read back exactly as appended");
        assert_eq!(all[5].ip.as_deref(), Some("198.51.100.4"));
        assert_eq!(all[2].ip, None);

        let verified = log.verify().await.unwrap().unwrap();
        assert_eq!(verified.count, 6);
        assert_eq!(verified.last_hash, appended[5].hash);
    })
    .await;
}

#[tokio::test]
async fn entries_are_filtered_by_action_actor_object_and_period_and_paged() {
    each_audit_log(|ctx| async move {
        let log = ctx.log;
        append_varied(log.as_ref()).await;
        let list = |filter: AuditFilter, page: Page| {
            let log = Arc::clone(&log);
            async move { seqs(&log.list(&filter, page).await.unwrap()) }
        };
        let prefix = |p: &str| AuditFilter {
            action_prefix: Some(p.to_owned()),
            ..AuditFilter::default()
        };
        assert_eq!(list(prefix("auth"), Page::default()).await, vec![2, 1]);
        assert_eq!(list(prefix("auth."), Page::default()).await, vec![2, 1]);
        assert_eq!(list(prefix("auth.login"), Page::default()).await, vec![1]);
        assert_eq!(
            list(prefix("auth.login_failed"), Page::default()).await,
            vec![2]
        );
        assert_eq!(list(prefix("dossier"), Page::default()).await, vec![4]);
        assert_eq!(list(prefix("authz"), Page::default()).await, vec![6]);
        assert!(list(prefix("au"), Page::default()).await.is_empty());

        let by_actor = AuditFilter {
            actor_id: Some(account_actor_id(7)),
            ..AuditFilter::default()
        };
        assert_eq!(
            list(by_actor.clone(), Page::default()).await,
            vec![6, 4, 3, 1]
        );
        let system = AuditFilter {
            actor_id: Some("system:import".to_owned()),
            ..AuditFilter::default()
        };
        assert_eq!(list(system, Page::default()).await, vec![5]);

        let object = AuditFilter {
            object_kind: Some("dossier".to_owned()),
            object_id: Some("2026-001".to_owned()),
            ..AuditFilter::default()
        };
        assert_eq!(list(object, Page::default()).await, vec![4]);
        let other_object = AuditFilter {
            object_kind: Some("dossier".to_owned()),
            object_id: Some("2026-002".to_owned()),
            ..AuditFilter::default()
        };
        assert!(list(other_object, Page::default()).await.is_empty());

        let period = AuditFilter {
            from: Some(at(2)),
            until: Some(at(4)),
            ..AuditFilter::default()
        };
        assert_eq!(list(period, Page::default()).await, vec![3, 2]);
        let combined = AuditFilter {
            from: Some(at(3)),
            ..by_actor.clone()
        };
        assert_eq!(list(combined, Page::default()).await, vec![6, 4, 3]);

        let first = Page {
            before_seq: None,
            limit: 2,
        };
        assert_eq!(list(AuditFilter::default(), first).await, vec![6, 5]);
        let next = Page {
            before_seq: Some(5),
            limit: 2,
        };
        assert_eq!(list(AuditFilter::default(), next).await, vec![4, 3]);
        assert_eq!(list(by_actor, next).await, vec![4, 3]);
    })
    .await;
}

#[tokio::test]
async fn an_empty_trail_verifies() {
    each_audit_log(|ctx| async move {
        let verified = ctx.log.verify().await.unwrap().unwrap();
        assert_eq!(
            (verified.count, verified.last_hash.as_str()),
            (0, GENESIS_HASH)
        );
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_an_entry() {
    each_audit_log(|ctx| async move {
        append_payments(ctx.log.as_ref(), 3).await;
        let update = ctx
            .raw
            .execute("UPDATE audit_events SET actor_label = 'Personne' WHERE seq = 2")
            .await
            .unwrap_err();
        assert!(
            update.to_string().contains("ajout seul"),
            "the trigger's message: {update}"
        );
        let delete = ctx
            .raw
            .execute("DELETE FROM audit_events WHERE seq = 3")
            .await
            .unwrap_err();
        assert!(delete.to_string().contains("ajout seul"), "{delete}");
        if matches!(ctx.raw, Raw::Postgres(_)) {
            let truncate = ctx.raw.execute("TRUNCATE audit_events").await.unwrap_err();
            assert!(truncate.to_string().contains("ajout seul"), "{truncate}");
        }
        assert_eq!(ctx.raw.count().await, 3);
        assert_eq!(ctx.log.verify().await.unwrap().unwrap().count, 3);
    })
    .await;
}

#[tokio::test]
async fn a_value_changed_behind_the_triggers_names_its_entry() {
    each_audit_log(|ctx| async move {
        append_payments(ctx.log.as_ref(), 5).await;
        ctx.raw.drop_triggers().await;
        let changed = ctx
            .raw
            .execute("UPDATE audit_events SET after_json = '{\"amount_cents\":1}' WHERE seq = 3")
            .await
            .unwrap();
        assert_eq!(changed, 1);
        assert_eq!(
            ctx.log.verify().await.unwrap().unwrap_err(),
            Broken {
                seq: 3,
                reason: BrokenReason::HashMismatch
            }
        );
    })
    .await;
}

#[tokio::test]
async fn a_deleted_entry_is_named_as_the_gap() {
    each_audit_log(|ctx| async move {
        append_payments(ctx.log.as_ref(), 5).await;
        ctx.raw.drop_triggers().await;
        ctx.raw
            .execute("DELETE FROM audit_events WHERE seq = 2")
            .await
            .unwrap();
        assert_eq!(
            ctx.log.verify().await.unwrap().unwrap_err(),
            Broken {
                seq: 2,
                reason: BrokenReason::Missing { found: 3 }
            }
        );
    })
    .await;
}

#[tokio::test]
async fn swapped_contents_and_a_replaced_start_are_detected() {
    each_audit_log(|ctx| async move {
        append_payments(ctx.log.as_ref(), 4).await;
        ctx.raw.drop_triggers().await;
        // Rows 2 and 3 exchange their contents (everything but seq), hashes included.
        let rows = ctx
            .log
            .list(&AuditFilter::default(), Page::default())
            .await
            .unwrap();
        let row = |seq: i64| rows.iter().find(|e| e.seq == seq).unwrap().clone();
        for (seq, other) in [(2, row(3)), (3, row(2))] {
            let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
            ctx.raw
                .execute(&format!(
                    "UPDATE audit_events SET object_id = {}, after_json = {}, prev_hash = {}, \
                     hash = {} WHERE seq = {seq}",
                    quote(other.object_id.as_deref().unwrap()),
                    quote(other.after_json.as_deref().unwrap()),
                    quote(&other.prev_hash),
                    quote(&other.hash),
                ))
                .await
                .unwrap();
        }
        let broken = ctx.log.verify().await.unwrap().unwrap_err();
        assert_eq!(broken.seq, 2, "{broken}");

        ctx.raw
            .execute(&format!(
                "UPDATE audit_events SET prev_hash = '{}' WHERE seq = 1",
                "f".repeat(64)
            ))
            .await
            .unwrap();
        assert_eq!(
            ctx.log.verify().await.unwrap().unwrap_err(),
            Broken {
                seq: 1,
                reason: BrokenReason::WrongGenesis
            }
        );
    })
    .await;
}

#[tokio::test]
async fn verification_reads_page_after_page_and_names_a_late_entry() {
    each_audit_log(|ctx| async move {
        let total = 2 * VERIFY_PAGE + 300;
        // One transaction for speed: each append reads the entry the previous one wrote.
        match &ctx.raw {
            Raw::Sqlite(pool) => {
                let mut tx = pool
                    .begin_with(begin_statement::<sqlx::Sqlite>())
                    .await
                    .unwrap();
                for i in 1..=total {
                    append_in_transaction(&mut tx, &payment(i)).await.unwrap();
                }
                tx.commit().await.unwrap();
            }
            Raw::Postgres(pool) => {
                let mut tx = pool
                    .begin_with(begin_statement::<sqlx::Postgres>())
                    .await
                    .unwrap();
                for i in 1..=total {
                    append_in_transaction(&mut tx, &payment(i)).await.unwrap();
                }
                tx.commit().await.unwrap();
            }
        }
        let verified = ctx.log.verify().await.unwrap().unwrap();
        assert_eq!(verified.count, u64::try_from(total).unwrap());

        let late = 2 * VERIFY_PAGE + 123;
        ctx.raw.drop_triggers().await;
        ctx.raw
            .execute(&format!(
                "UPDATE audit_events SET actor_label = 'Quelqu’un' WHERE seq = {late}"
            ))
            .await
            .unwrap();
        assert_eq!(
            ctx.log.verify().await.unwrap().unwrap_err(),
            Broken {
                seq: late,
                reason: BrokenReason::HashMismatch
            }
        );
    })
    .await;
}

#[tokio::test]
async fn an_entry_appended_in_a_transaction_lives_and_dies_with_it() {
    each_audit_log(|ctx| async move {
        let event = AuditEvent::now(camille(), Action::USER_ROLE_CHANGED)
            .on(ObjectRef::new("account", "42").unwrap())
            .after(&json!({"roles": ["administrateur"]}));
        let change = "INSERT INTO app_meta (key, value) VALUES ('audited', 'oui')";
        for commit in [false, true] {
            match &ctx.raw {
                Raw::Sqlite(pool) => {
                    let mut tx = pool
                        .begin_with(begin_statement::<sqlx::Sqlite>())
                        .await
                        .unwrap();
                    sqlx::query(change).execute(&mut *tx).await.unwrap();
                    let entry = append_in_transaction(&mut tx, &event).await.unwrap();
                    assert_eq!(entry.seq, 1);
                    if commit {
                        tx.commit().await.unwrap();
                    } else {
                        tx.rollback().await.unwrap();
                    }
                }
                Raw::Postgres(pool) => {
                    let mut tx = pool
                        .begin_with(begin_statement::<sqlx::Postgres>())
                        .await
                        .unwrap();
                    sqlx::query(change).execute(&mut *tx).await.unwrap();
                    let entry = append_in_transaction(&mut tx, &event).await.unwrap();
                    assert_eq!(entry.seq, 1);
                    if commit {
                        tx.commit().await.unwrap();
                    } else {
                        tx.rollback().await.unwrap();
                    }
                }
            }
            let expected = i64::from(commit);
            assert_eq!(ctx.raw.count().await, expected);
            assert_eq!(
                ctx.store.meta("audited").await.unwrap().is_some(),
                commit,
                "the change and its entry are written together"
            );
        }
        let listed = ctx
            .log
            .list(&AuditFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].action, "user.role_changed");
        assert_eq!(ctx.log.verify().await.unwrap().unwrap().count, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_from_two_processes_keep_one_valid_chain() {
    each_audit_log(|ctx| async move {
        // A second store on the same database, as a second essor process would open it.
        let (second_store, second) = open_with_audit(&ctx.target).await.unwrap();
        let logs = [Arc::clone(&ctx.log), second];
        let tasks = 8_i64;
        let per_task = 15_i64;
        let mut handles = Vec::new();
        for t in 0..tasks {
            let log = Arc::clone(&logs[usize::try_from(t % 2).unwrap()]);
            handles.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for i in 0..per_task {
                    let entry = log.append(&payment(t * 1_000 + i)).await.unwrap();
                    got.push(entry.seq);
                }
                got
            }));
        }
        let mut all = Vec::new();
        for handle in handles {
            all.extend(handle.await.unwrap());
        }
        all.sort_unstable();
        assert_eq!(all, (1..=tasks * per_task).collect::<Vec<_>>());
        let verified = ctx.log.verify().await.unwrap().unwrap();
        assert_eq!(verified.count, u64::try_from(tasks * per_task).unwrap());
        second_store.close().await;
    })
    .await;
}
