//! Listing without text, sorting by name, pages.

use essor_search::{Facet, Filters, SearchQuery, Sort};

use crate::support::{actor, index_of, search, siret, sirets};

#[test]
fn sorting_by_name_ignores_case_accents_and_punctuation() {
    let index = index_of(vec![
        actor(1, "fablab des Alpes"),
        actor(2, "Épicerie Solidaire"),
        actor(3, "emmaüs Grenoble"),
        actor(4, "« Atelier » du Coin"),
        actor(5, "Zéro Déchet"),
        actor(6, "EPICERIE SOLIDAIRE"),
    ]);
    let results = search(
        &index,
        SearchQuery {
            sort: Sort::Name,
            ..SearchQuery::default()
        },
    );
    // The two épiceries tie on their name: SIRET decides.
    assert_eq!(
        sirets(&results),
        [siret(4), siret(3), siret(2), siret(6), siret(1), siret(5)]
    );
    assert_eq!(results.hits[0].name, "« Atelier » du Coin");
}

#[test]
fn an_empty_text_lists_active_actors_by_name() {
    let mut closed = actor(1, "Ancienne Recyclerie");
    closed.active = false;
    let index = index_of(vec![
        closed,
        actor(2, "Recyclerie"),
        actor(3, "Bricothèque"),
        actor(4, "Atelier"),
    ]);
    let results = search(&index, SearchQuery::default());
    assert_eq!(results.total, 3);
    assert_eq!(sirets(&results), [siret(4), siret(3), siret(2)]);
    assert!(results.hits.iter().all(|hit| hit.score == 0.0));
    assert!(!results.relaxed);

    let with_closed = search(
        &index,
        SearchQuery {
            include_closed: true,
            ..SearchQuery::default()
        },
    );
    assert_eq!(
        sirets(&with_closed),
        [siret(1), siret(4), siret(3), siret(2)]
    );
}

#[test]
fn closed_establishments_are_found_only_when_asked() {
    let mut closed = actor(1, "Recyclerie");
    closed.active = false;
    let index = index_of(vec![closed, actor(2, "Recyclerie du Parc")]);
    assert_eq!(
        sirets(&search(&index, SearchQuery::text("recyclerie"))),
        [siret(2)]
    );
    let all = search(
        &index,
        SearchQuery {
            include_closed: true,
            ..SearchQuery::text("recyclerie")
        },
    );
    assert_eq!(all.total, 2);
}

#[test]
fn an_empty_text_with_filters_lists_the_matching_actors() {
    let mut vif = actor(1, "Recyclerie de Vif");
    vif.commune = "38563".into();
    vif.family = "cooperative".into();
    let mut other = actor(2, "Coopérative de Vif");
    other.commune = "38563".into();
    let index = index_of(vec![vif, other, actor(3, "Recyclerie de Grenoble")]);
    let filters = Filters::default()
        .with(Facet::Commune, "38563")
        .with(Facet::Family, "association");
    let results = search(
        &index,
        SearchQuery {
            filters,
            ..SearchQuery::default()
        },
    );
    assert_eq!(sirets(&results), [siret(2)]);
}

#[test]
fn pages_follow_each_other_and_the_total_counts_them_all() {
    let docs: Vec<_> = (0..53u64)
        .map(|n| actor(100 + n, &format!("Épicerie {:02}", (n * 17) % 53)))
        .collect();
    let index = index_of(docs);
    for sort in [Sort::Relevance, Sort::Name] {
        for text in ["", "epicerie"] {
            let whole = search(
                &index,
                SearchQuery {
                    sort,
                    limit: 100,
                    ..SearchQuery::text(text)
                },
            );
            assert_eq!(whole.total, 53);
            let mut paged = Vec::new();
            for page in 0..6 {
                let results = search(
                    &index,
                    SearchQuery {
                        sort,
                        offset: page * 10,
                        limit: 10,
                        ..SearchQuery::text(text)
                    },
                );
                assert_eq!(results.total, 53);
                paged.extend(sirets(&results));
            }
            assert_eq!(paged, sirets(&whole), "{sort:?} {text:?}");
        }
    }
    let beyond = search(
        &index,
        SearchQuery {
            offset: 1000,
            ..SearchQuery::default()
        },
    );
    assert_eq!(beyond.total, 53);
    assert!(beyond.hits.is_empty());
    let none = search(
        &index,
        SearchQuery {
            limit: 0,
            ..SearchQuery::default()
        },
    );
    assert_eq!(none.total, 53);
    assert!(none.hits.is_empty());
}
