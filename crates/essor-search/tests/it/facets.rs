//! Facet counts: exact, disjunctive, and in agreement with the filters.

use std::collections::BTreeMap;

use essor_search::{
    ActorDocument, ActorIndex, Facet, FacetCount, Filters, SearchQuery, SearchResults,
};

use crate::support::{actor, index_of, search};

const COMMUNES: [(&str, &str); 4] = [
    ("38185", "Grenoble"),
    ("38151", "Échirolles"),
    ("38421", "Saint-Martin-d'Hères"),
    ("38563", "Vif"),
];
const FAMILIES: [&str; 3] = ["association", "cooperative", "mutuelle"];
const SECTIONS: [&str; 4] = ["G", "Q", "S", "non_classee"];
const THEMES: [&str; 4] = ["alimentation", "mobilite", "reemploi", "culture"];
const KINDS: [&str; 2] = ["produit", "service"];
const LABELS: [&str; 3] = ["esus", "siae_ei", "rge"];

/// 97 actors spread unevenly over every dimension, some closed, some with several values.
fn directory() -> Vec<ActorDocument> {
    (0..97u64)
        .map(|n| {
            let i = usize::try_from(n).unwrap();
            let name = if n % 3 == 0 {
                "Recyclerie"
            } else {
                "Épicerie"
            };
            let mut doc = actor(1000 + n, &format!("{name} {n}"));
            let (code, commune) = COMMUNES[(i * 7 / 5) % 4];
            doc.commune = code.into();
            doc.commune_name = commune.into();
            doc.family = FAMILIES[(i * i) % 3].into();
            doc.section = SECTIONS[(i / 3) % 4].into();
            doc.themes = (0..4)
                .filter(|t| (i >> t) & 1 == 1)
                .map(|t| THEMES[t].to_owned())
                .collect();
            if n % 10 == 0 {
                // A repeated value counts once.
                doc.themes.push("alimentation".to_owned());
                doc.themes.push("alimentation".to_owned());
            }
            doc.offer_kinds = KINDS
                .iter()
                .enumerate()
                .filter(|(k, _)| (i + k) % 3 != 0)
                .map(|(_, kind)| (*kind).to_owned())
                .collect();
            doc.labels = if n % 4 == 0 {
                vec![LABELS[i % 3].to_owned(), LABELS[(i + 1) % 3].to_owned()]
            } else {
                Vec::new()
            };
            doc.active = n % 11 != 5;
            doc
        })
        .collect()
}

fn values_of(doc: &ActorDocument, facet: Facet) -> Vec<String> {
    let mut values = match facet {
        Facet::Commune => vec![doc.commune.clone()],
        Facet::Theme => doc.themes.clone(),
        Facet::Family => vec![doc.family.clone()],
        Facet::Section => vec![doc.section.clone()],
        Facet::OfferKind => doc.offer_kinds.clone(),
        Facet::Label => doc.labels.clone(),
    };
    values.sort();
    values.dedup();
    values
}

fn passes(doc: &ActorDocument, filters: &Filters, except: Option<Facet>) -> bool {
    Facet::ALL
        .into_iter()
        .filter(|f| Some(*f) != except)
        .all(|facet| {
            let accepted = filters.values(facet);
            accepted.is_empty() || values_of(doc, facet).iter().any(|v| accepted.contains(v))
        })
}

/// The counts computed by hand: active actors whose name has `word` (all when `None`),
/// passing the filters of the other dimensions, per value.
fn expected_counts(
    docs: &[ActorDocument],
    word: Option<&str>,
    filters: &Filters,
    facet: Facet,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for doc in docs {
        let named = word.is_none_or(|w| doc.sort_name.contains(w));
        if doc.active && named && passes(doc, filters, Some(facet)) {
            for value in values_of(doc, facet) {
                *counts.entry(value).or_insert(0) += 1;
            }
        }
    }
    counts
}

fn as_map(counts: &[FacetCount]) -> BTreeMap<String, usize> {
    counts
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.value.clone(), c.count))
        .collect()
}

fn query(text: &str, filters: Filters) -> SearchQuery {
    SearchQuery {
        filters,
        ..SearchQuery::text(text)
    }
}

fn check_counts_against_filters(
    index: &ActorIndex,
    results: &SearchResults,
    text: &str,
    filters: &Filters,
) {
    for facet in Facet::ALL {
        for count in results.facet(facet) {
            let mut narrowed = filters.clone();
            narrowed.set(facet, [count.value.clone()]);
            let total = search(index, query(text, narrowed)).total;
            assert_eq!(
                total, count.count,
                "{facet} = {} with text {text:?} and filters {filters:?}",
                count.value
            );
        }
    }
}

#[test]
fn counts_are_exact_with_no_text_and_no_filter() {
    let docs = directory();
    let index = index_of(docs.clone());
    let results = search(&index, SearchQuery::default());
    let active = docs.iter().filter(|d| d.active).count();
    assert_eq!(results.total, active);
    for facet in Facet::ALL {
        assert_eq!(
            as_map(results.facet(facet)),
            expected_counts(&docs, None, &Filters::default(), facet),
            "{facet}"
        );
    }
    check_counts_against_filters(&index, &results, "", &Filters::default());
}

#[test]
fn each_dimension_is_counted_with_the_filters_of_the_others_only() {
    let docs = directory();
    let index = index_of(docs.clone());
    let filters = Filters::default()
        .with(Facet::Family, "association")
        .with(Facet::Family, "mutuelle")
        .with(Facet::Theme, "mobilite")
        .with(Facet::Commune, "38151");
    let results = search(&index, query("", filters.clone()));
    let hits = docs
        .iter()
        .filter(|d| d.active && passes(d, &filters, None))
        .count();
    assert_eq!(results.total, hits);
    assert!(hits > 0);
    for facet in Facet::ALL {
        assert_eq!(
            as_map(results.facet(facet)),
            expected_counts(&docs, None, &filters, facet),
            "{facet}"
        );
    }
    check_counts_against_filters(&index, &results, "", &filters);
}

#[test]
fn counts_follow_the_text() {
    let docs = directory();
    let index = index_of(docs.clone());
    let filters = Filters::default().with(Facet::Label, "esus");
    let results = search(&index, query("recyclerie", filters.clone()));
    for facet in Facet::ALL {
        assert_eq!(
            as_map(results.facet(facet)),
            expected_counts(&docs, Some("Recyclerie"), &filters, facet),
            "{facet}"
        );
    }
    check_counts_against_filters(&index, &results, "recyclerie", &filters);
}

#[test]
fn values_are_sorted_by_count_then_value() {
    let index = index_of(directory());
    let results = search(&index, SearchQuery::default());
    for (facet, counts) in &results.facets {
        assert!(
            counts.windows(2).all(|w| w[0].count > w[1].count
                || (w[0].count == w[1].count && w[0].value < w[1].value)),
            "{facet}: {counts:?}"
        );
    }
    assert_eq!(
        results.facets.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        Facet::ALL
    );
}

#[test]
fn a_document_counts_once_per_value_of_a_multi_valued_dimension() {
    let mut both = actor(1, "Épicerie");
    both.themes = vec![
        "alimentation".into(),
        "reemploi".into(),
        "alimentation".into(),
    ];
    let mut one = actor(2, "Recyclerie");
    one.themes = vec!["reemploi".into()];
    let index = index_of(vec![both, one]);
    let results = search(&index, SearchQuery::default());
    assert_eq!(
        results.facet(Facet::Theme),
        [
            FacetCount {
                value: "reemploi".into(),
                count: 2
            },
            FacetCount {
                value: "alimentation".into(),
                count: 1
            },
        ]
    );
    // OR within a dimension: either theme, each actor once.
    let either = Filters::default()
        .with(Facet::Theme, "alimentation")
        .with(Facet::Theme, "reemploi");
    assert_eq!(search(&index, query("", either)).total, 2);
}

#[test]
fn a_selected_value_is_listed_even_without_hits() {
    let index = index_of(directory());
    let filters = Filters::default().with(Facet::Commune, "99999");
    let results = search(&index, query("", filters));
    assert_eq!(results.total, 0);
    assert!(results.hits.is_empty());
    assert!(results.facet(Facet::Commune).contains(&FacetCount {
        value: "99999".into(),
        count: 0
    }));
    // The commune dimension ignores its own filter: the real communes are still counted.
    assert_eq!(results.facet(Facet::Commune).len(), 5);
}

#[test]
fn closed_establishments_are_counted_only_when_included() {
    let docs = directory();
    let index = index_of(docs.clone());
    let with_closed = search(
        &index,
        SearchQuery {
            include_closed: true,
            ..SearchQuery::default()
        },
    );
    assert_eq!(with_closed.total, docs.len());
    let families: usize = with_closed
        .facet(Facet::Family)
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(families, docs.len());
    let without: usize = search(&index, SearchQuery::default())
        .facet(Facet::Family)
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(without, docs.iter().filter(|d| d.active).count());
}

#[test]
fn facet_keys_round_trip() {
    for facet in Facet::ALL {
        assert_eq!(Facet::from_key(facet.key()), Some(facet));
    }
    assert_eq!(Facet::Family.key(), "famille");
    assert_eq!(Facet::OfferKind.key(), "offre");
    assert_eq!(Facet::from_key("inconnu"), None);
}

#[test]
fn dimensions_with_more_than_64_values_are_counted_and_filtered() {
    // Values beyond the 64th of a dimension take another path in the tables.
    let docs: Vec<ActorDocument> = (0..150u64)
        .map(|n| {
            let mut doc = actor(n + 1, "Épicerie");
            doc.themes = vec![
                format!("theme{:03}", n % 75),
                format!("theme{:03}", (n + 1) % 75),
            ];
            doc.labels = vec![format!("label{:03}", n % 70)];
            doc
        })
        .collect();
    let index = index_of(docs.clone());
    let results = search(&index, SearchQuery::default());
    for facet in [Facet::Theme, Facet::Label] {
        assert_eq!(
            as_map(results.facet(facet)),
            expected_counts(&docs, None, &Filters::default(), facet),
            "{facet}"
        );
    }
    assert_eq!(results.facet(Facet::Theme).len(), 75);
    let filters = Filters::default().with(Facet::Theme, "theme074");
    let narrowed = search(&index, query("epicerie", filters.clone()));
    assert_eq!(narrowed.total, 4);
    assert_eq!(
        as_map(narrowed.facet(Facet::Label)),
        expected_counts(&docs, None, &filters, Facet::Label)
    );
    check_counts_against_filters(&index, &results, "", &Filters::default());
}

#[test]
fn counts_stay_exact_across_segments_and_deletions() {
    let docs = directory();
    let index = index_of(docs[..60].to_vec());
    for doc in &docs[60..] {
        index.upsert(doc.clone()).expect("upsert");
    }
    // Replace some, remove others: the index now holds many segments with deletions.
    let mut current = docs.clone();
    for n in [3usize, 61, 90] {
        current[n].themes = vec!["culture".into()];
        current[n].family = "fondation".into();
        index.upsert(current[n].clone()).expect("upsert");
    }
    for n in [10usize, 70] {
        index.remove(&current[n].siret).expect("remove");
    }
    let current: Vec<ActorDocument> = current
        .into_iter()
        .enumerate()
        .filter(|(n, _)| *n != 10 && *n != 70)
        .map(|(_, doc)| doc)
        .collect();
    let filters = Filters::default().with(Facet::Theme, "culture");
    let results = search(&index, query("", filters.clone()));
    for facet in Facet::ALL {
        assert_eq!(
            as_map(results.facet(facet)),
            expected_counts(&current, None, &filters, facet),
            "{facet}"
        );
    }
    check_counts_against_filters(&index, &results, "", &filters);
    let everything = search(&index, SearchQuery::default());
    assert_eq!(
        everything.total,
        current.iter().filter(|d| d.active).count()
    );
}

#[test]
fn a_facet_limit_keeps_the_most_frequent_values_and_the_selected_ones() {
    let index = index_of(directory());
    let all = search(&index, SearchQuery::default());
    let communes = all.facet(Facet::Commune);
    assert!(communes.len() > 2);
    let limited = search(
        &index,
        SearchQuery {
            facet_limit: Some(2),
            ..SearchQuery::default()
        },
    );
    assert_eq!(limited.facet(Facet::Commune), &communes[..2]);
    assert_eq!(limited.total, all.total);
    // The least frequent commune, selected, is listed with its count though beyond the limit.
    let last = communes.last().unwrap().clone();
    let chosen = search(
        &index,
        SearchQuery {
            facet_limit: Some(2),
            filters: Filters::default().with(Facet::Commune, last.value.clone()),
            ..SearchQuery::default()
        },
    );
    let listed = chosen.facet(Facet::Commune);
    assert_eq!(listed.len(), 3);
    assert!(listed.contains(&last));
}

#[test]
fn every_way_of_counting_gives_the_same_counts() {
    // Many small values (communes, themes) are counted hit by hit over a few hits and value by
    // value over many; a lone filter without text takes the landing page's counts.
    let docs: Vec<ActorDocument> = (0..300u64)
        .map(|n| {
            let i = usize::try_from(n).unwrap();
            let name = if n % 5 == 0 {
                "Recyclerie"
            } else {
                "Épicerie"
            };
            let mut doc = actor(5000 + n, &format!("{name} {n}"));
            doc.commune = format!("{:05}", 10_000 + n % 120);
            doc.commune_name = format!("Commune {}", n % 120);
            doc.family = FAMILIES[i % 3].into();
            doc.section = SECTIONS[(i / 7) % 4].into();
            doc.themes = vec![format!("theme{:02}", n % 40), format!("theme{:02}", n % 13)];
            doc.active = n % 17 != 3;
            doc
        })
        .collect();
    let index = index_of(docs.clone());
    let cases = [
        ("recyclerie", Filters::default()),
        ("", Filters::default().with(Facet::Commune, "10007")),
        ("", Filters::default().with(Facet::Theme, "theme05")),
        (
            "recyclerie",
            Filters::default()
                .with(Facet::Commune, "10010")
                .with(Facet::Commune, "10020")
                .with(Facet::Family, "association"),
        ),
    ];
    for (text, filters) in cases {
        let results = search(&index, query(text, filters.clone()));
        let word = (!text.is_empty()).then_some("Recyclerie");
        for facet in Facet::ALL {
            assert_eq!(
                as_map(results.facet(facet)),
                expected_counts(&docs, word, &filters, facet),
                "{facet} with text {text:?} and filters {filters:?}"
            );
        }
        check_counts_against_filters(&index, &results, text, &filters);
    }
}
