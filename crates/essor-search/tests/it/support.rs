//! Documents and helpers shared by the tests.

use essor_search::{ActorDocument, ActorIndex, SearchQuery, SearchResults};

/// An active association of Grenoble named `name`, with the SIRET `siret` (padded to 14 digits).
pub fn actor(siret: u64, name: &str) -> ActorDocument {
    let siret = format!("{siret:014}");
    ActorDocument {
        siren: siret[..9].to_owned(),
        siret,
        name: Some(name.to_owned()),
        acronym: None,
        sign: None,
        description: None,
        offers: Vec::new(),
        activity: None,
        commune: "38185".to_owned(),
        commune_name: "Grenoble".to_owned(),
        postcode: Some("38000".to_owned()),
        family: "association".to_owned(),
        section: "S".to_owned(),
        themes: Vec::new(),
        offer_kinds: Vec::new(),
        labels: Vec::new(),
        head_office: false,
        active: true,
        sort_name: name.to_owned(),
    }
}

/// The SIRET of `actor(n, …)`.
pub fn siret(n: u64) -> String {
    format!("{n:014}")
}

/// An index in memory holding `docs`.
pub fn index_of(docs: Vec<ActorDocument>) -> ActorIndex {
    let index = ActorIndex::in_memory().expect("index in memory");
    index.rebuild(docs).expect("rebuild");
    index
}

/// The SIRETs of the hits of a text search's first page.
pub fn found(index: &ActorIndex, text: &str) -> Vec<String> {
    sirets(&search(index, SearchQuery::text(text)))
}

// Tests build their queries inline: taking them by value reads better.
#[allow(clippy::needless_pass_by_value)]
pub fn search(index: &ActorIndex, query: SearchQuery) -> SearchResults {
    index.search(&query).expect("search")
}

pub fn sirets(results: &SearchResults) -> Vec<String> {
    results.hits.iter().map(|hit| hit.siret.clone()).collect()
}
