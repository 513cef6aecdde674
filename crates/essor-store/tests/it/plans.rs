use essor_domain::Plan;
use essor_domain::plan::Key;
use essor_store::StoreError;

use crate::harness::each_store;
use crate::territories::territory;

fn plan(key: &str, start: i32, end: i32, budget: i64) -> Plan {
    Plan::from_toml(&format!(
        r#"
key = "{key}"
territory = "epci:200040715"
title = "Plan {start}-{end}"
short_title = "PDESS"
period = {{ start = {start}, end = {end} }}
summary = "Créer et consolider des emplois."

[[budgets]]
year = {start}
amount = {budget}

[[orientations]]
key = "creation"
title = "Renforcer la création et la consolidation d’activités et d’emplois en ESS"

[[themes]]
key = "dechets"
title = "Déchets"

[[axes]]
key = "axe-1"
number = 1
title = "Entrepreneuriat et développement d’activités en ESS"
"#
    ))
    .unwrap()
}

#[tokio::test]
async fn a_plan_comes_back_exactly_as_it_was_saved() {
    each_store(|store| async move {
        store
            .save_territory(&territory(
                "epci:200040715",
                "Grenoble-Alpes-Métropole",
                true,
            ))
            .await
            .unwrap();
        let saved = plan("pdess-2016-2020", 2016, 2020, 350_000);
        store.save_plan(&saved).await.unwrap();
        let loaded = store.plan(&saved.key).await.unwrap().unwrap();
        assert_eq!(loaded, saved);
        assert_eq!(
            store.plan(&Key::parse("autre").unwrap()).await.unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn saving_a_plan_again_replaces_it_whole() {
    each_store(|store| async move {
        store
            .save_territory(&territory(
                "epci:200040715",
                "Grenoble-Alpes-Métropole",
                true,
            ))
            .await
            .unwrap();
        store
            .save_plan(&plan("pdess", 2016, 2020, 350_000))
            .await
            .unwrap();
        let mut changed = plan("pdess", 2016, 2020, 400_000);
        changed.themes.clear();
        store.save_plan(&changed).await.unwrap();
        let loaded = store.current_plan("epci:200040715").await.unwrap().unwrap();
        assert_eq!(loaded, changed);
        assert_eq!(store.plans("epci:200040715").await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn the_current_plan_is_the_one_whose_period_ends_last() {
    each_store(|store| async move {
        store
            .save_territory(&territory(
                "epci:200040715",
                "Grenoble-Alpes-Métropole",
                true,
            ))
            .await
            .unwrap();
        store
            .save_plan(&plan("pdess-2016-2020", 2016, 2020, 350_000))
            .await
            .unwrap();
        store
            .save_plan(&plan("pdess-2021-2026", 2021, 2026, 380_000))
            .await
            .unwrap();
        let current = store.current_plan("epci:200040715").await.unwrap().unwrap();
        assert_eq!(current.key.as_str(), "pdess-2021-2026");
        let list = store.plans("epci:200040715").await.unwrap();
        let keys: Vec<&str> = list.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["pdess-2021-2026", "pdess-2016-2020"]);
        assert!(
            store
                .current_plan("departement:38")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn a_plan_for_a_territory_not_configured_is_refused_and_nothing_is_written() {
    each_store(|store| async move {
        let err = store
            .save_plan(&plan("pdess", 2016, 2020, 350_000))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownTerritory(_)), "{err}");
        assert!(store.plans("epci:200040715").await.unwrap().is_empty());
    })
    .await;
}
