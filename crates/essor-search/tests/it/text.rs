//! What a typed text finds, and in which order.

use essor_search::{ActorDocument, SearchQuery, Sort};

use crate::support::{actor, found, index_of, search, siret, sirets};

fn directory() -> Vec<ActorDocument> {
    let mut epicerie = actor(1, "Épicerie solidaire du Village");
    epicerie.commune = "38151".into();
    epicerie.commune_name = "Échirolles".into();
    let ressourcerie = actor(2, "La Ressourcerie du Grésivaudan");
    let mut recyclerie_echirolles = actor(3, "Recyclerie");
    recyclerie_echirolles.commune = "38151".into();
    recyclerie_echirolles.commune_name = "Échirolles".into();
    let recyclerie_grenoble = actor(4, "Recyclerie des Alpes");
    let mut atelier = actor(5, "Atelier du Coin");
    atelier.offers = vec!["Réparation de Vélo".to_owned()];
    atelier.description = Some("L'atelier d'autoréparation du quartier".to_owned());
    let mut bar = actor(6, "Le Bar Commun");
    bar.activity = Some("Débits de boissons".to_owned());
    vec![
        epicerie,
        ressourcerie,
        recyclerie_echirolles,
        recyclerie_grenoble,
        atelier,
        bar,
    ]
}

#[test]
fn plurals_find_singulars() {
    let index = index_of(directory());
    assert_eq!(found(&index, "épiceries solidaires"), [siret(1)]);
    assert_eq!(found(&index, "velos"), [siret(5)]);
    assert_eq!(found(&index, "boisson"), [siret(6)]);
}

#[test]
fn accents_and_case_do_not_matter() {
    let index = index_of(directory());
    assert_eq!(found(&index, "EPICERIE"), [siret(1)]);
    assert_eq!(found(&index, "reparation"), [siret(5)]);
    assert_eq!(found(&index, "Grésivaudan"), found(&index, "gresivaudan"));
    assert_eq!(found(&index, "gresivaudan"), [siret(2)]);
}

#[test]
fn elided_articles_are_ignored_with_either_apostrophe() {
    let index = index_of(directory());
    assert_eq!(found(&index, "l'épicerie"), [siret(1)]);
    assert_eq!(found(&index, "l’épicerie"), [siret(1)]);
    assert_eq!(found(&index, "autoréparation"), [siret(5)]);
}

#[test]
fn a_misspelt_name_still_finds_the_actor() {
    let index = index_of(directory());
    assert_eq!(found(&index, "ressourcrie"), [siret(2)]);
    let recycleries = found(&index, "recylerie");
    assert_eq!(recycleries.len(), 2, "{recycleries:?}");
    assert!(recycleries.contains(&siret(3)) && recycleries.contains(&siret(4)));
    // Two transposed letters count as one typo.
    assert_eq!(found(&index, "ressuorcerie"), [siret(2)]);
}

#[test]
fn short_words_tolerate_no_typo() {
    let index = index_of(vec![actor(1, "Bar"), actor(2, "Épicerie")]);
    assert_eq!(found(&index, "bar"), [siret(1)]);
    assert!(found(&index, "bor").is_empty());
    // 8 letters or more: two typos.
    assert_eq!(found(&index, "epiceyrei"), [siret(2)]);
    assert!(found(&index, "epiceyryt").is_empty());
}

#[test]
fn exact_matches_rank_above_misspelt_ones() {
    let index = index_of(vec![
        actor(1, "Ressourcierie des Monts"),
        actor(2, "Ressourcerie des Monts"),
    ]);
    assert_eq!(found(&index, "ressourcerie"), [siret(2), siret(1)]);
    assert_eq!(found(&index, "ressourcierie"), [siret(1), siret(2)]);
}

#[test]
fn the_last_word_is_also_a_prefix() {
    let index = index_of(directory());
    assert_eq!(found(&index, "epic"), [siret(1)]);
    let recycl = found(&index, "recycl");
    assert_eq!(recycl.len(), 2);
    assert_eq!(found(&index, "recyclerie echi"), [siret(3)]);
    // Only the last word: an earlier one must be whole (or a typo away).
    assert!(search(&index, SearchQuery::text("epic solidaire")).relaxed);
}

#[test]
fn every_word_must_match_somewhere() {
    let index = index_of(directory());
    let results = search(&index, SearchQuery::text("recyclerie echirolles"));
    assert_eq!(sirets(&results), [siret(3)]);
    assert!(!results.relaxed);
    // Name and offer together.
    assert_eq!(found(&index, "atelier velo"), [siret(5)]);
}

#[test]
fn when_no_actor_has_every_word_any_word_will_do_and_it_is_said() {
    let index = index_of(directory());
    let results = search(&index, SearchQuery::text("recyclerie chamonix"));
    assert!(results.relaxed);
    assert_eq!(results.total, 2);
    assert!(sirets(&results).contains(&siret(3)));
    let strict = search(&index, SearchQuery::text("recyclerie grenoble"));
    assert!(!strict.relaxed);
}

#[test]
fn relaxed_results_keep_out_closed_and_removed_actors() {
    let mut closed = actor(7, "Recyclerie Fermée");
    closed.active = false;
    let mut docs = directory();
    docs.push(closed);
    let index = index_of(docs);
    index.remove(&siret(4)).expect("remove");
    let results = search(&index, SearchQuery::text("recyclerie chamonix"));
    assert!(results.relaxed);
    assert_eq!(sirets(&results), [siret(3)]);
    assert_eq!(results.total, 1);
}

#[test]
fn relaxed_results_put_actors_with_more_words_first() {
    let index = index_of(directory());
    let results = search(&index, SearchQuery::text("recyclerie echirolles chamonix"));
    assert!(results.relaxed);
    assert_eq!(results.hits[0].siret, siret(3));
}

#[test]
fn names_rank_above_offers_above_activity_description_and_commune() {
    let mut in_offers = actor(10, "Atelier Roule");
    in_offers.offers = vec!["Vente de vélos".to_owned()];
    let mut in_description = actor(11, "Collectif Mobilité");
    in_description.description = Some("Nous réparons tous les vélos".to_owned());
    let mut in_activity = actor(12, "Ateliers de la rue");
    in_activity.activity = Some("Commerce de vélos".to_owned());
    let in_name = actor(13, "La Maison du Vélo Solidaire");
    let exact = actor(14, "Vélo");
    let index = index_of(vec![in_offers, in_description, in_activity, in_name, exact]);
    let order = found(&index, "velo");
    assert_eq!(order[..3], [siret(14), siret(13), siret(10)]);
    assert_eq!(order.len(), 5);
}

#[test]
fn a_sign_or_an_acronym_counts_as_a_name() {
    let mut with_sign = actor(1, "Association pour l'insertion");
    with_sign.sign = Some("La Bricothèque".to_owned());
    with_sign.acronym = Some("APLI".to_owned());
    let mut in_offers = actor(2, "Autre structure");
    in_offers.offers = vec!["Bricothèque de quartier".to_owned()];
    let index = index_of(vec![with_sign, in_offers]);
    assert_eq!(found(&index, "bricotheque"), [siret(1), siret(2)]);
    assert_eq!(found(&index, "apli"), [siret(1)]);
}

#[test]
fn head_offices_and_active_establishments_come_first_on_ties() {
    let mut closed = actor(1, "Recyclerie");
    closed.active = false;
    let secondary = actor(2, "Recyclerie");
    let mut head = actor(3, "Recyclerie");
    head.head_office = true;
    let index = index_of(vec![closed, secondary, head]);
    let results = search(
        &index,
        SearchQuery {
            include_closed: true,
            ..SearchQuery::text("recyclerie")
        },
    );
    assert_eq!(sirets(&results), [siret(3), siret(2), siret(1)]);
}

#[test]
fn equal_scores_are_ordered_by_siret() {
    let index = index_of(vec![
        actor(30, "Recyclerie"),
        actor(10, "Recyclerie"),
        actor(20, "Recyclerie"),
    ]);
    let results = search(&index, SearchQuery::text("recyclerie"));
    assert_eq!(sirets(&results), [siret(10), siret(20), siret(30)]);
    assert!(results.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn a_siren_or_a_siret_finds_its_actor() {
    let index = index_of(directory());
    assert_eq!(found(&index, &siret(4)), [siret(4)]);
    assert_eq!(
        found(&index, &siret(4)[..9]).len(),
        6,
        "all share SIREN 000000000"
    );
}

#[test]
fn a_postcode_finds_the_actors_of_its_commune() {
    let mut elsewhere = actor(2, "Recyclerie");
    elsewhere.postcode = Some("38130".to_owned());
    let index = index_of(vec![actor(1, "Recyclerie"), elsewhere]);
    assert_eq!(found(&index, "recyclerie 38130"), [siret(2)]);
}

#[test]
fn a_text_of_stop_words_only_still_answers() {
    let index = index_of(directory());
    // « la » is a prefix being typed: « La Ressourcerie », « Le Bar »… not required whole.
    let results = search(&index, SearchQuery::text("la"));
    assert!(results.total >= 1);
    // Punctuation alone is an empty text: every actor.
    assert_eq!(search(&index, SearchQuery::text("' ’ !")).total, 6);
}

#[test]
fn sorting_a_text_search_by_name_keeps_its_hits() {
    let index = index_of(directory());
    let results = search(
        &index,
        SearchQuery {
            sort: Sort::Name,
            ..SearchQuery::text("recyclerie")
        },
    );
    assert_eq!(sirets(&results), [siret(3), siret(4)]);
    assert!(results.hits.iter().all(|hit| hit.score == 0.0));
    assert_eq!(results.hits[1].name, "Recyclerie des Alpes");
}

#[test]
fn suggestions_match_names_as_one_types() {
    let mut described = actor(7, "Les Amis du Recyclage");
    described.description = Some("Partenaire de la ressourcerie".to_owned());
    let mut docs = directory();
    docs.push(described);
    let index = index_of(docs);
    let suggestions = index.suggest("ressou", 5).expect("suggest");
    assert_eq!(
        suggestions
            .iter()
            .map(|h| h.siret.clone())
            .collect::<Vec<_>>(),
        [siret(2)]
    );
    assert_eq!(suggestions[0].name, "La Ressourcerie du Grésivaudan");
    assert_eq!(index.suggest("recyc", 1).expect("suggest").len(), 1);
    assert_eq!(index.suggest("recyc", 5).expect("suggest").len(), 3);
    assert!(index.suggest("", 5).expect("suggest").is_empty());
}
