//! The query set, as query strings of `/api/v1/acteurs`, and their reading into a [`Search`]
//! that both engines answer.

use essor_search::{Facet, SearchQuery, Sort};

/// One query of the set: what it exercises (in French, for the tables) and its query string.
pub struct BenchQuery {
    pub label: &'static str,
    pub query_string: &'static str,
}

/// The queries, each run as many times as the others. Every query string starts with `q=` so
/// that wrk's script can read them one per line (the empty text is `q=`).
pub const QUERIES: &[BenchQuery] = &[
    BenchQuery {
        label: "un mot",
        query_string: "q=velo",
    },
    BenchQuery {
        label: "un mot",
        query_string: "q=recyclerie",
    },
    BenchQuery {
        label: "un mot",
        query_string: "q=theatre",
    },
    BenchQuery {
        label: "un mot (famille)",
        query_string: "q=scop",
    },
    BenchQuery {
        label: "mot fréquent",
        query_string: "q=association",
    },
    BenchQuery {
        label: "mot rare",
        query_string: "q=apiculteurs",
    },
    BenchQuery {
        label: "deux mots",
        query_string: "q=jardins+partages",
    },
    BenchQuery {
        label: "deux mots",
        query_string: "q=epicerie+solidaire",
    },
    BenchQuery {
        label: "deux mots",
        query_string: "q=mutuelle+sante",
    },
    BenchQuery {
        label: "mot + commune",
        query_string: "q=tennis+lyon",
    },
    BenchQuery {
        label: "mot + commune",
        query_string: "q=velo+grenoble",
    },
    BenchQuery {
        label: "trois mots",
        query_string: "q=aide+domicile+marseille",
    },
    BenchQuery {
        label: "faute de frappe",
        query_string: "q=ressourcrie",
    },
    BenchQuery {
        label: "faute, mot fréquent",
        query_string: "q=assocation",
    },
    BenchQuery {
        label: "faute dans deux mots",
        query_string: "q=epicrie+solidaire",
    },
    BenchQuery {
        label: "préfixe (saisie)",
        query_string: "q=epi",
    },
    BenchQuery {
        label: "préfixe (saisie)",
        query_string: "q=recy",
    },
    BenchQuery {
        label: "préfixe (saisie)",
        query_string: "q=epicerie+sol",
    },
    BenchQuery {
        label: "vide (accueil)",
        query_string: "q=",
    },
    BenchQuery {
        label: "vide + 1 facette",
        query_string: "q=&commune=31555",
    },
    BenchQuery {
        label: "vide + 2 facettes",
        query_string: "q=&theme=dechets&famille=association",
    },
    BenchQuery {
        label: "vide + 2 facettes",
        query_string: "q=&section=Q&commune=75111",
    },
    BenchQuery {
        label: "texte + commune",
        query_string: "q=association&commune=33063",
    },
    BenchQuery {
        label: "texte + thème",
        query_string: "q=velo&theme=mobilites",
    },
    BenchQuery {
        label: "texte + 2 facettes",
        query_string: "q=club&famille=association&section=R",
    },
    BenchQuery {
        label: "page 5",
        query_string: "q=association&page=5",
    },
    BenchQuery {
        label: "tri par nom",
        query_string: "q=velo&tri=nom",
    },
];

/// Results per page, as the API's default.
pub const PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 100;
const MAX_QUERY_CHARS: usize = 200;

/// A search as a query string carries it, read as the API reads it (`essor_web::actors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub text: String,
    /// Facet values, in the order given.
    pub filters: Vec<(Facet, String)>,
    pub by_name: bool,
    pub page: usize,
    pub per_page: usize,
}

impl Search {
    /// Reads a query string; unknown parameters are ignored, bad numbers fall back to defaults.
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        let mut search = Self {
            text: String::new(),
            filters: Vec::new(),
            by_name: false,
            page: 1,
            per_page: PER_PAGE,
        };
        for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "q" => search.text = value.chars().take(MAX_QUERY_CHARS).collect(),
                "tri" | "sort" => search.by_name = value == "nom" || value == "name",
                "page" => search.page = value.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                "par_page" | "per_page" => {
                    search.per_page = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                        .unwrap_or(PER_PAGE);
                }
                key => {
                    if let Some(facet) = Facet::from_key(key)
                        && !value.is_empty()
                        && value.len() <= 60
                        && !search
                            .filters
                            .iter()
                            .any(|(f, v)| *f == facet && v == value)
                    {
                        search.filters.push((facet, value.to_owned()));
                    }
                }
            }
        }
        search
    }

    /// The first result of the page.
    #[must_use]
    pub fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// The values accepted for a dimension.
    pub fn values(&self, facet: Facet) -> impl Iterator<Item = &str> {
        self.filters
            .iter()
            .filter(move |(f, _)| *f == facet)
            .map(|(_, v)| v.as_str())
    }

    /// The same search for essor's index.
    #[must_use]
    pub fn to_index_query(&self) -> SearchQuery {
        let mut query = SearchQuery::text(self.text.clone());
        for (facet, value) in &self.filters {
            query.filters.insert(*facet, value.clone());
        }
        query.sort = if self.by_name {
            Sort::Name
        } else {
            Sort::Relevance
        };
        query.offset = self.offset();
        query.limit = self.per_page;
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_gives_text_facets_and_page() {
        let search = Search::parse("q=jardins+partag%C3%A9s&commune=38185&theme=dechets&page=3");
        assert_eq!(search.text, "jardins partagés");
        assert_eq!(
            search.filters,
            vec![
                (Facet::Commune, "38185".to_owned()),
                (Facet::Theme, "dechets".to_owned())
            ]
        );
        assert_eq!(search.offset(), 40);
        assert!(!search.by_name);
    }

    #[test]
    fn the_set_has_enough_queries_and_each_starts_with_the_text() {
        assert!(QUERIES.len() >= 20);
        for query in QUERIES {
            assert!(
                query.query_string.starts_with("q="),
                "{}",
                query.query_string
            );
        }
    }
}
