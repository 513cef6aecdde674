use essor_store::NewTerritory;

use crate::harness::each_store;

pub fn territory(reference: &str, name: &str, is_default: bool) -> NewTerritory {
    let (kind, code) = reference.split_once(':').unwrap();
    NewTerritory {
        reference: reference.to_owned(),
        kind: kind.to_owned(),
        code: code.to_owned(),
        name: name.to_owned(),
        is_default,
    }
}

#[tokio::test]
async fn a_new_store_has_no_territory() {
    each_store(|store| async move {
        assert!(store.territories().await.unwrap().is_empty());
        assert!(store.default_territory().await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn only_one_territory_is_the_default() {
    each_store(|store| async move {
        store
            .save_territory(&territory(
                "epci:200040715",
                "Grenoble-Alpes-Métropole",
                true,
            ))
            .await
            .unwrap();
        let isere = store
            .save_territory(&territory("departement:38", "Isère", true))
            .await
            .unwrap();
        assert!(isere.is_default);
        let default = store.default_territory().await.unwrap().unwrap();
        assert_eq!(default.reference, "departement:38");
        let all = store.territories().await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all.iter().filter(|t| t.is_default).count(), 1);
    })
    .await;
}

#[tokio::test]
async fn saving_a_territory_again_renames_it_and_keeps_it_default() {
    each_store(|store| async move {
        store
            .save_territory(&territory("epci:200040715", "Grenoble", true))
            .await
            .unwrap();
        let renamed = store
            .save_territory(&territory(
                "epci:200040715",
                "Grenoble-Alpes-Métropole",
                false,
            ))
            .await
            .unwrap();
        assert_eq!(renamed.name, "Grenoble-Alpes-Métropole");
        assert!(renamed.is_default);
        assert_eq!(store.territories().await.unwrap().len(), 1);
    })
    .await;
}
