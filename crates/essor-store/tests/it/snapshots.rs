use essor_domain::panorama::{Dimension, FactRow, Figures};
use essor_store::{EstablishmentRow, NewSnapshot};

use crate::harness::each_store;

fn fact(commune: &str, dimension: Dimension, key: &str, ess_active: u64) -> FactRow {
    FactRow {
        commune: commune.to_owned(),
        dimension,
        key: key.to_owned(),
        figures: Figures {
            active: ess_active * 10,
            employer: 3,
            jobs_x2: 7,
            ess_active,
            ess_employer: 1,
            ess_jobs_x2: 3,
        },
    }
}

fn establishment(siret: &str, commune: &str) -> EstablishmentRow {
    EstablishmentRow {
        siret: siret.to_owned(),
        siren: siret[..9].to_owned(),
        commune: commune.to_owned(),
        active: true,
        record: format!("{{\"siret\":\"{siret}\"}}"),
    }
}

/// Enough rows to span several INSERT batches.
fn many_facts() -> Vec<FactRow> {
    (0..1_203)
        .map(|i| fact(&format!("{:05}", 1000 + i), Dimension::Total, "", i))
        .collect()
}

#[tokio::test]
async fn an_import_is_stored_whole_and_read_back_by_commune() {
    each_store(|store| async move {
        assert!(store.latest_snapshot().await.unwrap().is_none());
        let mut facts = many_facts();
        facts.push(fact("38185", Dimension::Family, "association", 5));
        facts.push(fact("38185", Dimension::Creation, "2024", 2));
        let establishments = vec![
            establishment("20004071500019", "38185"),
            establishment("35600000000048", "75101"),
        ];
        let report = serde_json::json!({"rows": 42});
        let saved = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "StockEtablissement_utf8.zip",
                units_file: "StockUniteLegale_utf8.zip",
                synthetic: true,
                report: &report,
                facts: &facts,
                establishments: &establishments,
            })
            .await
            .unwrap();
        assert_eq!(saved.perimeter, "essor-v1");
        assert_eq!(saved.report, report);
        let latest = store.latest_snapshot().await.unwrap().unwrap();
        assert_eq!(latest, saved);
        assert!(latest.synthetic);

        let wanted = vec!["38185".to_owned(), "01000".to_owned(), "99999".to_owned()];
        let mut read = store.snapshot_facts(saved.id, &wanted).await.unwrap();
        read.sort_by(|a, b| {
            (&a.commune, a.dimension, &a.key).cmp(&(&b.commune, b.dimension, &b.key))
        });
        let mut expected: Vec<FactRow> = facts
            .iter()
            .filter(|f| f.commune == "38185" || f.commune == "01000")
            .cloned()
            .collect();
        expected.sort_by(|a, b| {
            (&a.commune, a.dimension, &a.key).cmp(&(&b.commune, b.dimension, &b.key))
        });
        assert_eq!(read, expected);

        let all_codes: Vec<String> = facts.iter().map(|f| f.commune.clone()).collect();
        assert_eq!(
            store
                .snapshot_facts(saved.id, &all_codes)
                .await
                .unwrap()
                .len(),
            facts.len(),
            "queries over many communes are split and complete"
        );
        let paris = store
            .snapshot_establishments(saved.id, &["75101".to_owned()])
            .await
            .unwrap();
        assert_eq!(paris, vec![establishments[1].clone()]);
    })
    .await;
}

#[tokio::test]
async fn snapshots_are_listed_newest_first_and_can_be_deleted() {
    each_store(|store| async move {
        let report = serde_json::json!({});
        let facts = vec![fact("38185", Dimension::Total, "", 1)];
        let mut ids = Vec::new();
        for name in ["janvier.csv", "février.csv"] {
            let s = store
                .save_snapshot(&NewSnapshot {
                    establishments_file: name,
                    units_file: "u.csv",
                    synthetic: false,
                    report: &report,
                    facts: &facts,
                    establishments: &[],
                })
                .await
                .unwrap();
            ids.push(s.id);
        }
        let list = store.snapshots().await.unwrap();
        assert_eq!(
            list.iter().map(|s| s.id).collect::<Vec<_>>(),
            [ids[1], ids[0]]
        );
        assert_eq!(
            store
                .latest_snapshot()
                .await
                .unwrap()
                .unwrap()
                .establishments_file,
            "février.csv"
        );
        assert!(store.delete_snapshot(ids[1]).await.unwrap());
        assert!(!store.delete_snapshot(ids[1]).await.unwrap());
        assert_eq!(store.latest_snapshot().await.unwrap().unwrap().id, ids[0]);
        assert!(
            store
                .snapshot_facts(ids[1], &["38185".into()])
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.snapshot(ids[0]).await.unwrap().unwrap().units_file,
            "u.csv"
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_import_leaves_no_trace_and_the_previous_snapshot_stays() {
    each_store(|store| async move {
        let report = serde_json::json!({});
        let good = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "bon.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &report,
                facts: &[fact("38185", Dimension::Total, "", 1)],
                establishments: &[],
            })
            .await
            .unwrap();
        // The same fact twice breaks the primary key midway through the transaction.
        let mut facts = many_facts();
        facts.push(facts[700].clone());
        let failed = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "cassé.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &report,
                facts: &facts,
                establishments: &[],
            })
            .await;
        assert!(failed.is_err());
        let list = store.snapshots().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, good.id);
    })
    .await;
}
