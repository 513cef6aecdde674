use essor_domain::panorama::{Dimension, FactRow, FactTable, Figures};
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
                facts: &FactTable::from_rows(&facts),
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
                    facts: &FactTable::from_rows(&facts),
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
                facts: &FactTable::from_rows(&[fact("38185", Dimension::Total, "", 1)]),
                establishments: &[],
            })
            .await
            .unwrap();
        // The same establishment twice breaks the primary key midway through the transaction,
        // after the facts are written.
        let establishments = vec![
            establishment("20004071500019", "38185"),
            establishment("20004071500019", "38185"),
        ];
        let failed = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "cassé.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &report,
                facts: &FactTable::from_rows(&many_facts()),
                establishments: &establishments,
            })
            .await;
        assert!(failed.is_err());
        // The same fact twice would be counted twice: refused.
        let mut facts = many_facts();
        facts.push(facts[700].clone());
        let refused = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "doublon.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &report,
                facts: &FactTable::from_rows(&facts),
                establishments: &[],
            })
            .await;
        assert!(refused.unwrap_err().to_string().contains("en double"));
        let list = store.snapshots().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, good.id);
    })
    .await;
}

#[tokio::test]
async fn a_snapshot_without_facts_is_stored_and_reads_as_empty() {
    each_store(|store| async move {
        let report = serde_json::json!({});
        let saved = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "vide.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &report,
                facts: &FactTable::default(),
                establishments: &[],
            })
            .await
            .unwrap();
        assert_eq!(store.latest_snapshot().await.unwrap().unwrap().id, saved.id);
        assert!(
            store
                .snapshot_facts(saved.id, &["38185".into(), "2A004".into()])
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .snapshot_facts(saved.id, &[])
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn facts_of_corsica_overseas_and_arrondissements_are_read_by_commune() {
    each_store(|store| async move {
        let codes = [
            "01001", "13055", "13201", "13216", "2A004", "2B033", "38185", "69123", "69381",
            "69389", "75056", "75101", "75120", "97101", "97411", "97611",
        ];
        let mut facts = Vec::new();
        for (n, code) in (1..).zip(codes) {
            facts.push(fact(code, Dimension::Total, "", n));
            facts.push(fact(code, Dimension::Section, "Q", n + 1));
            facts.push(fact(code, Dimension::Creation, "1987", n + 2));
            facts.push(fact(code, Dimension::Closure, "2025", n + 3));
        }
        let report = serde_json::json!({});
        let first = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "e.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &report,
                facts: &FactTable::from_rows(&facts),
                establishments: &[],
            })
            .await
            .unwrap();
        // A second snapshot with other figures: reads never mix snapshots.
        let other: Vec<FactRow> = facts
            .iter()
            .map(|f| fact(&f.commune, f.dimension, &f.key, 1000))
            .collect();
        let second = store
            .save_snapshot(&NewSnapshot {
                establishments_file: "e2.csv",
                units_file: "u.csv",
                synthetic: false,
                report: &report,
                facts: &FactTable::from_rows(&other),
                establishments: &[],
            })
            .await
            .unwrap();
        let order = |f: &FactRow| (f.commune.clone(), f.dimension, f.key.clone());
        for wanted in [
            vec!["2A004", "2B033"],
            vec!["97411"],
            vec!["75101", "75120", "69381", "13201"],
            vec!["13055", "13216", "97611", "01001", "97101"],
            codes.to_vec(),
        ] {
            let asked: Vec<String> = wanted.iter().map(|c| (*c).to_owned()).collect();
            let mut read = store.snapshot_facts(first.id, &asked).await.unwrap();
            read.sort_by_key(order);
            let mut expected: Vec<FactRow> = facts
                .iter()
                .filter(|f| wanted.contains(&f.commune.as_str()))
                .cloned()
                .collect();
            expected.sort_by_key(order);
            assert_eq!(read, expected, "{wanted:?}");
            let later = store.snapshot_facts(second.id, &asked).await.unwrap();
            assert_eq!(later.len(), expected.len());
            assert!(later.iter().all(|f| f.figures.ess_active == 1000));
        }
        assert!(store.delete_snapshot(first.id).await.unwrap());
        assert!(
            store
                .snapshot_facts(first.id, &["2A004".into()])
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .snapshot_facts(second.id, &["2A004".into()])
                .await
                .unwrap()
                .len(),
            4
        );
    })
    .await;
}
