//! Writes, rebuilds, and the index on disk.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};

use essor_search::{ActorIndex, Facet, SearchQuery, Sort};

use crate::support::{actor, found, index_of, search, siret, sirets};

#[test]
fn an_upsert_is_visible_at_once_and_replaces_the_previous_version() {
    let index = index_of(vec![actor(1, "Recyclerie"), actor(2, "Épicerie")]);
    index.upsert(actor(3, "Ressourcerie")).expect("upsert");
    assert_eq!(found(&index, "ressourcerie"), [siret(3)]);

    let mut renamed = actor(1, "Bricothèque");
    renamed.themes = vec!["reemploi".into()];
    index.upsert(renamed).expect("upsert");
    assert!(found(&index, "recyclerie").is_empty());
    assert_eq!(found(&index, "bricotheque"), [siret(1)]);
    assert_eq!(index.len(), 3);
    let results = search(&index, SearchQuery::default());
    assert_eq!(results.total, 3);
    assert_eq!(results.facet(Facet::Theme)[0].value, "reemploi");
}

#[test]
fn a_removed_actor_is_no_longer_found() {
    let index = index_of(vec![actor(1, "Recyclerie"), actor(2, "Recyclerie Bis")]);
    index.remove(&siret(1)).expect("remove");
    assert_eq!(found(&index, "recyclerie"), [siret(2)]);
    assert_eq!(index.len(), 1);
    let results = search(&index, SearchQuery::default());
    assert_eq!(results.facet(Facet::Family)[0].count, 1);
    // Removing an unknown actor is not an error.
    index.remove("99999999999999").expect("remove");
}

#[test]
fn hits_of_several_segments_are_merged_in_order() {
    // Each upsert adds a segment: order and counts must hold across them.
    let index = index_of(vec![actor(5, "Épicerie Mauve"), actor(2, "Épicerie Bleue")]);
    index.upsert(actor(4, "Épicerie Azur")).expect("upsert");
    index.upsert(actor(3, "épicerie Verte")).expect("upsert");
    index.upsert(actor(1, "Épicerie Bleue")).expect("upsert");
    let by_name = search(
        &index,
        SearchQuery {
            sort: Sort::Name,
            ..SearchQuery::text("epicerie")
        },
    );
    assert_eq!(
        sirets(&by_name),
        [siret(4), siret(1), siret(2), siret(5), siret(3)]
    );
    let by_relevance = search(&index, SearchQuery::text("epicerie"));
    assert_eq!(by_relevance.total, 5);
    let mut expected = sirets(&by_relevance);
    expected.sort();
    assert_eq!(sirets(&by_relevance), expected, "equal scores: by SIRET");
    let second_page = search(
        &index,
        SearchQuery {
            sort: Sort::Name,
            offset: 2,
            limit: 2,
            ..SearchQuery::default()
        },
    );
    assert_eq!(sirets(&second_page), [siret(2), siret(5)]);
    assert_eq!(second_page.facet(Facet::Commune)[0].count, 5);
}

#[test]
fn a_rebuild_replaces_every_document() {
    let index = index_of(vec![actor(1, "Recyclerie"), actor(2, "Épicerie")]);
    let count = index
        .rebuild(vec![
            actor(3, "Ressourcerie"),
            actor(4, "Bricothèque"),
            actor(5, "Atelier"),
        ])
        .expect("rebuild");
    assert_eq!(count, 3);
    assert_eq!(index.len(), 3);
    assert!(found(&index, "recyclerie").is_empty());
    assert_eq!(found(&index, "ressourcerie"), [siret(3)]);
}

#[test]
fn a_rebuild_that_fails_half_way_leaves_the_previous_documents() {
    let index = index_of(vec![actor(1, "Recyclerie"), actor(2, "Épicerie")]);
    let failing = (10..20u64).map(|n| {
        assert!(n < 15, "the store failed while reading");
        actor(n, "Nouvelle")
    });
    let outcome = catch_unwind(AssertUnwindSafe(|| index.rebuild(failing)));
    assert!(outcome.is_err());
    assert_eq!(found(&index, "recyclerie"), [siret(1)]);
    assert!(found(&index, "nouvelle").is_empty());
    // The next write must not publish the abandoned half.
    index.upsert(actor(3, "Ressourcerie")).expect("upsert");
    assert_eq!(index.len(), 3);
    assert_eq!(found(&index, "recyclerie"), [siret(1)]);
    assert!(found(&index, "nouvelle").is_empty());
}

#[test]
fn a_new_folder_needs_a_rebuild_and_then_keeps_its_documents() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("index");
    {
        let index = ActorIndex::open_or_create(&path).expect("create");
        assert!(index.needs_rebuild());
        assert!(index.is_empty());
        index
            .rebuild(vec![actor(1, "Recyclerie"), actor(2, "Épicerie")])
            .expect("rebuild");
        assert!(!index.needs_rebuild());
        index.upsert(actor(3, "Ressourcerie")).expect("upsert");
    }
    let index = ActorIndex::open_or_create(&path).expect("open");
    assert!(!index.needs_rebuild());
    assert_eq!(index.len(), 3);
    assert_eq!(found(&index, "ressourcerie"), [siret(3)]);
}

#[test]
fn an_interrupted_first_rebuild_is_redone_at_the_next_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let index = ActorIndex::open_or_create(dir.path()).expect("create");
        let failing = (10..20u64).map(|n| {
            assert!(n < 15, "killed");
            actor(n, "Nouvelle")
        });
        let _ = catch_unwind(AssertUnwindSafe(|| index.rebuild(failing)));
    }
    let index = ActorIndex::open_or_create(dir.path()).expect("open");
    assert!(index.needs_rebuild());
    assert!(index.is_empty());
}

#[test]
fn a_crash_during_a_rebuild_leaves_the_previous_index_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let index = ActorIndex::open_or_create(dir.path()).expect("create");
        index
            .rebuild(vec![actor(1, "Recyclerie")])
            .expect("rebuild");
        let failing = (10..20u64).map(|n| {
            assert!(n < 15, "killed");
            actor(n, "Nouvelle")
        });
        let _ = catch_unwind(AssertUnwindSafe(|| index.rebuild(failing)));
    }
    let index = ActorIndex::open_or_create(dir.path()).expect("open");
    assert!(!index.needs_rebuild());
    assert_eq!(found(&index, "recyclerie"), [siret(1)]);
    assert!(found(&index, "nouvelle").is_empty());
}

#[test]
fn an_index_of_another_schema_version_is_wiped_and_recreated() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let index = ActorIndex::open_or_create(dir.path()).expect("create");
        index
            .rebuild(vec![actor(1, "Recyclerie")])
            .expect("rebuild");
    }
    fs::write(dir.path().join("essor-schema-version"), "0\n").expect("write");
    let index = ActorIndex::open_or_create(dir.path()).expect("open");
    assert!(index.needs_rebuild());
    assert!(index.is_empty());
    index.rebuild(vec![actor(2, "Épicerie")]).expect("rebuild");
    assert_eq!(found(&index, "epicerie"), [siret(2)]);
}

#[test]
fn a_corrupt_index_is_wiped_and_recreated() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let index = ActorIndex::open_or_create(dir.path()).expect("create");
        index
            .rebuild(vec![actor(1, "Recyclerie")])
            .expect("rebuild");
    }
    fs::write(dir.path().join("meta.json"), "{ not json").expect("write");
    let index = ActorIndex::open_or_create(dir.path()).expect("open");
    assert!(index.needs_rebuild());
    assert!(index.is_empty());
}

#[test]
fn an_index_open_elsewhere_is_not_wiped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = ActorIndex::open_or_create(dir.path()).expect("create");
    first
        .rebuild(vec![actor(1, "Recyclerie")])
        .expect("rebuild");
    assert!(ActorIndex::open_or_create(dir.path()).is_err());
    assert_eq!(found(&first, "recyclerie"), [siret(1)]);
    drop(first);
    let again = ActorIndex::open_or_create(dir.path()).expect("open");
    assert_eq!(again.len(), 1);
}

#[test]
fn the_index_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<ActorIndex>();
    let index = std::sync::Arc::new(index_of(vec![actor(1, "Recyclerie")]));
    let writer = {
        let index = std::sync::Arc::clone(&index);
        std::thread::spawn(move || {
            for n in 2..22 {
                index.upsert(actor(n, "Recyclerie")).expect("upsert");
            }
        })
    };
    for _ in 0..20 {
        let total = search(&index, SearchQuery::text("recyclerie")).total;
        assert!((1..=21).contains(&total));
    }
    writer.join().expect("writer thread");
    assert_eq!(search(&index, SearchQuery::text("recyclerie")).total, 21);
}
