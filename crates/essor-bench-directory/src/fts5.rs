//! The baseline: the same actors in SQLite, searched with FTS5, answering the same question as
//! `/api/v1/acteurs` (total, a page of hits, facet counts) in SQL.
//!
//! - `actors_fts`: an FTS5 table (contentless) over the searchable fields: name, sign, acronym,
//!   activity in words, commune name; `unicode61 remove_diacritics 2`, prefix indexes of 2 and 3
//!   characters for what is being typed.
//! - `actors`: one row per actor with its facet columns (commune, family, section) indexed and a
//!   sort key (the name folded), kept narrow so that counting reads few pages; `actor_themes`,
//!   `actor_offer_kinds`, `actor_labels` hold the multi-valued facets; `actor_hits` the hit as
//!   the API shows it (JSON), read for the page only.
//!
//! A search puts the active actors matching the text, with their bm25 score, in a temporary
//! table (every word required, the last one as a prefix; any word when no actor has them all,
//! as essor does), then counts them, reads the page ordered by bm25 (by name without text) and
//! counts each facet dimension with `GROUP BY`, under the filters of the other dimensions
//! (essor's disjunctive counts). The joins from the temporary table are `CROSS JOIN`s: SQLite
//! has no statistics of a temporary table and would otherwise scan every actor and probe the
//! matches. FTS5 has no typo tolerance and no stemming: for a misspelt word its answer is simply
//! what FTS5 finds.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result};
use essor_domain::referential::fold;
use essor_search::Facet;
use essor_web::directory::Actor;
use rusqlite::{Connection, OpenFlags, params, params_from_iter};
use serde::Serialize;
use serde::ser::Serializer;
use serde_json::value::RawValue;

use crate::queries::Search;

/// The database file, in the benchmark's folder.
pub const FILE: &str = "fts5.sqlite3";

/// Column weights of bm25, in the order of `actors_fts`'s columns: names count five times
/// more than the activity and the commune, as in essor's tiers.
const BM25: &str = "bm25(actors_fts, 5.0, 5.0, 5.0, 1.0, 1.0)";

/// Words left out of the text, unless last (essor's analysis drops them too).
const STOP_WORDS: [&str; 18] = [
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour", "sur",
    "un", "une", "y",
];

const SCHEMA: &str = "
CREATE TABLE actors (
    id INTEGER PRIMARY KEY,
    siret TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL,
    commune TEXT NOT NULL,
    family TEXT NOT NULL,
    section TEXT NOT NULL,
    sort_key TEXT NOT NULL
);
CREATE TABLE actor_hits (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE actor_themes (
    actor_id INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (actor_id, value)
) WITHOUT ROWID;
CREATE TABLE actor_offer_kinds (
    actor_id INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (actor_id, value)
) WITHOUT ROWID;
CREATE TABLE actor_labels (
    actor_id INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (actor_id, value)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE actors_fts USING fts5 (
    name, sign, acronym, activity, commune_name,
    content = '', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
";

/// Built after loading: faster than maintaining them row by row.
const INDEXES: &str = "
CREATE INDEX actors_commune ON actors (commune, active);
CREATE INDEX actors_family ON actors (family, active);
CREATE INDEX actors_section ON actors (section, active);
CREATE INDEX actors_sort ON actors (active, sort_key, siret);
CREATE INDEX actor_themes_value ON actor_themes (value, actor_id);
CREATE INDEX actor_offer_kinds_value ON actor_offer_kinds (value, actor_id);
CREATE INDEX actor_labels_value ON actor_labels (value, actor_id);
";

/// Writes the database at `path` (replacing it) from the actors, whose hits link to `base_url`.
pub fn build(path: &Path, actors: &[Actor], base_url: &str) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = path.with_file_name(format!(
            "{}{suffix}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or(FILE)
        ));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("{}", file.display()))?;
        }
    }
    let mut conn = Connection::open(path).with_context(|| format!("{}", path.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;",
    )?;
    conn.execute_batch(SCHEMA)?;
    let tx = conn.transaction()?;
    {
        let mut actor_row = tx.prepare(
            "INSERT INTO actors (id, siret, active, commune, family, section, sort_key) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut hit_row = tx.prepare("INSERT INTO actor_hits (id, json) VALUES (?1, ?2)")?;
        let mut theme_row =
            tx.prepare("INSERT INTO actor_themes (actor_id, value) VALUES (?1, ?2)")?;
        let mut text_row = tx.prepare(
            "INSERT INTO actors_fts (rowid, name, sign, acronym, activity, commune_name) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (id, actor) in (1_i64..).zip(actors) {
            actor_row.execute(params![
                id,
                actor.siret,
                actor.active,
                actor.commune,
                actor.family,
                actor.section,
                fold(&actor.name),
            ])?;
            hit_row.execute(params![id, hit_json(actor, base_url)?])?;
            for theme in &actor.themes {
                theme_row.execute(params![id, theme])?;
            }
            text_row.execute(params![
                id,
                actor.name,
                actor.sign,
                actor.acronym,
                actor.activity,
                actor.commune_name,
            ])?;
        }
    }
    tx.commit()?;
    conn.execute_batch(INDEXES)?;
    conn.execute_batch(
        "INSERT INTO actors_fts (actors_fts) VALUES ('optimize'); ANALYZE; \
         PRAGMA wal_checkpoint(TRUNCATE);",
    )?;
    Ok(())
}

/// An actor as `/api/v1/acteurs` lists it: its public fields, its link and its profile's
/// fields (empty: generated actors have no profile).
pub fn hit_json(actor: &Actor, base_url: &str) -> Result<String> {
    let mut value = serde_json::to_value(actor)?;
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "url".to_owned(),
            format!("{base_url}{}", actor.url()).into(),
        );
        for key in ["description", "email", "phone", "website", "hours"] {
            object.insert(key.to_owned(), serde_json::Value::Null);
        }
        for key in ["offers", "offer_kinds", "labels", "social"] {
            object.insert(key.to_owned(), serde_json::Value::Array(Vec::new()));
        }
    }
    Ok(serde_json::to_string(&value)?)
}

/// How a facet dimension is stored.
enum Storage {
    Column(&'static str),
    Table(&'static str),
}

fn storage(facet: Facet) -> Storage {
    match facet {
        Facet::Commune => Storage::Column("commune"),
        Facet::Family => Storage::Column("family"),
        Facet::Section => Storage::Column("section"),
        Facet::Theme => Storage::Table("actor_themes"),
        Facet::OfferKind => Storage::Table("actor_offer_kinds"),
        Facet::Label => Storage::Table("actor_labels"),
    }
}

/// What FTS5 found for a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub total: usize,
    pub relaxed: bool,
    /// The page's hits, as the API shows them (JSON).
    pub hits: Vec<String>,
    /// For every dimension in [`Facet::ALL`] order: values and counts, by count descending then
    /// value, selected values listed even with no hit.
    pub facets: Vec<(Facet, Vec<FacetValue>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: usize,
}

/// One connection to the FTS5 database, with its temporary table of matches.
pub struct Fts5 {
    conn: Connection,
}

impl Fts5 {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("base FTS5 « {} »", path.display()))?;
        conn.execute_batch(
            "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -131072; \
             PRAGMA mmap_size = 1073741824; \
             CREATE TEMP TABLE m (id INTEGER PRIMARY KEY, score REAL NOT NULL);",
        )?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(Self { conn })
    }

    /// How many actors the database holds.
    pub fn len(&self) -> Result<usize> {
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM actors", [], |row| row.get(0))?;
        Ok(usize::try_from(count)?)
    }

    /// Answers a search.
    pub fn search(&mut self, search: &Search) -> Result<Answer> {
        let words = words(&search.text);
        let text = !words.is_empty();
        let mut relaxed = false;
        if text {
            let found = self.match_text(&match_expression(&words, " "))?;
            if found == 0 && words.len() > 1 {
                self.match_text(&match_expression(&words, " OR "))?;
                relaxed = true;
            }
        }
        let (from, base) = if text {
            ("temp.m CROSS JOIN actors a ON a.id = m.id", "1")
        } else {
            ("actors a", "a.active = 1")
        };

        let mut params = Vec::new();
        let filters = filter_sql(search, None, &mut params);
        let total: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM {from} WHERE {base}{filters}"
            ))?
            .query_row(params_from_iter(&params), |row| row.get(0))?;

        let key = if text && !search.by_name {
            "m.score"
        } else {
            "a.sort_key"
        };
        let mut page_params = params.clone();
        page_params.push(search.per_page.to_string());
        page_params.push(search.offset().to_string());
        let hits = self
            .conn
            .prepare_cached(&format!(
                "SELECT h.json FROM (SELECT a.id, {key} AS k, a.siret FROM {from} \
                 WHERE {base}{filters} ORDER BY 2, 3 \
                 LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)) page \
                 CROSS JOIN actor_hits h ON h.id = page.id ORDER BY page.k, page.siret"
            ))?
            .query_map(params_from_iter(&page_params), |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;

        let mut facets = Vec::with_capacity(Facet::ALL.len());
        for facet in Facet::ALL {
            let mut params = Vec::new();
            let filters = filter_sql(search, Some(facet), &mut params);
            let sql = match storage(facet) {
                Storage::Column(column) => format!(
                    "SELECT a.{column}, count(*) FROM {from} WHERE {base}{filters} \
                     GROUP BY 1 ORDER BY 2 DESC, 1"
                ),
                Storage::Table(table) => format!(
                    "SELECT t.value, count(*) FROM {from} CROSS JOIN {table} t ON t.actor_id = a.id \
                     WHERE {base}{filters} GROUP BY 1 ORDER BY 2 DESC, 1"
                ),
            };
            let mut values = self
                .conn
                .prepare_cached(&sql)?
                .query_map(params_from_iter(&params), |row| {
                    Ok(FacetValue {
                        value: row.get(0)?,
                        count: usize::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for selected in search.values(facet) {
                if !values.iter().any(|v| v.value == selected) {
                    values.push(FacetValue {
                        value: selected.to_owned(),
                        count: 0,
                    });
                }
            }
            facets.push((facet, values));
        }
        Ok(Answer {
            total: usize::try_from(total)?,
            relaxed,
            hits,
            facets,
        })
    }

    /// Fills the temporary table with the active actors matching `expression` and their
    /// scores; returns how many.
    fn match_text(&mut self, expression: &str) -> Result<usize> {
        self.conn
            .prepare_cached("DELETE FROM temp.m")?
            .execute([])?;
        let found = self
            .conn
            .prepare_cached(&format!(
                "INSERT INTO temp.m (id, score) SELECT actors_fts.rowid, {BM25} \
                 FROM actors_fts JOIN actors a ON a.id = actors_fts.rowid \
                 WHERE actors_fts MATCH ?1 AND a.active = 1"
            ))?
            .execute([expression])?;
        Ok(found)
    }

    /// The search's answer as the JSON of `/api/v1/acteurs`.
    pub fn answer_json(&mut self, search: &Search) -> Result<Vec<u8>> {
        let answer = self.search(search)?;
        to_json(&answer, search)
    }
}

/// The answer in the API's shape: `{total, page, per_page, relaxed, hits, facets}`.
pub fn to_json(answer: &Answer, search: &Search) -> Result<Vec<u8>> {
    let hits = answer
        .hits
        .iter()
        .map(|hit| RawValue::from_string(hit.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let body = Body {
        total: answer.total,
        page: search.page,
        per_page: search.per_page,
        relaxed: answer.relaxed,
        hits,
        facets: Facets(&answer.facets),
    };
    Ok(serde_json::to_vec(&body)?)
}

#[derive(Serialize)]
struct Body<'a> {
    total: usize,
    page: usize,
    per_page: usize,
    relaxed: bool,
    hits: Vec<Box<RawValue>>,
    facets: Facets<'a>,
}

struct Facets<'a>(&'a [(Facet, Vec<FacetValue>)]);

impl Serialize for Facets<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(facet, values)| (facet.key(), values)))
    }
}

/// The SQL of the filters of every dimension but `skip`, its parameters pushed on `params`.
fn filter_sql(search: &Search, skip: Option<Facet>, params: &mut Vec<String>) -> String {
    let mut sql = String::new();
    for facet in Facet::ALL {
        if Some(facet) == skip {
            continue;
        }
        let values: Vec<&str> = search.values(facet).collect();
        if values.is_empty() {
            continue;
        }
        let placeholders = vec!["?"; values.len()].join(", ");
        match storage(facet) {
            // Writing to a String cannot fail.
            Storage::Column(column) => {
                let _ = write!(sql, " AND a.{column} IN ({placeholders})");
            }
            Storage::Table(table) => {
                let _ = write!(
                    sql,
                    " AND a.id IN (SELECT actor_id FROM {table} WHERE value IN ({placeholders}))"
                );
            }
        }
        params.extend(values.into_iter().map(str::to_owned));
    }
    sql
}

/// The words of a text as FTS5 will match them: letters and digits, folded; stop words left
/// out unless last.
fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let all: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let last = all.len().saturating_sub(1);
    all.iter()
        .enumerate()
        .filter(|(position, word)| *position == last || !STOP_WORDS.contains(word))
        .map(|(_, word)| (*word).to_owned())
        .collect()
}

/// An FTS5 query: each word quoted, the last one as a prefix, joined by `joiner`.
fn match_expression(words: &[String], joiner: &str) -> String {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(position, word)| {
            if position == last && word.chars().count() >= 2 {
                format!("\"{word}\"*")
            } else {
                format!("\"{word}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(joiner)
}

/// A few connections for the HTTP route, each used by one request at a time on tokio's
/// blocking threads.
pub struct Pool {
    connections: Mutex<Vec<Fts5>>,
    available: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    pub fn open(path: &Path, size: usize) -> Result<Self> {
        let connections = (0..size)
            .map(|_| Fts5::open(path))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            connections: Mutex::new(connections),
            available: Arc::new(tokio::sync::Semaphore::new(size)),
        })
    }

    /// The answer to a search, as JSON. The connection goes back to the pool from the blocking
    /// task itself, so a request abandoned by its client (wrk stopping) loses none.
    pub async fn answer(self: &Arc<Self>, search: Search) -> Result<Vec<u8>> {
        let permit = Arc::clone(&self.available).acquire_owned().await?;
        let mut connection = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .context("aucune connexion FTS5 libre")?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let answer = connection.answer_json(&search);
            pool.connections
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
            drop(permit);
            answer
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_is_a_prefix_and_stop_words_are_left_out() {
        let words = words("Jardins partagés de la Gare");
        assert_eq!(words, ["jardins", "partages", "gare"]);
        assert_eq!(
            match_expression(&words, " "),
            "\"jardins\" \"partages\" \"gare\"*"
        );
        assert_eq!(words_of_one_letter(), ["a"]);
    }

    fn words_of_one_letter() -> Vec<String> {
        let words = words("à");
        assert_eq!(match_expression(&words, " "), "\"a\"");
        words
    }

    #[test]
    fn quotes_cannot_break_out_of_a_word() {
        let words = words("\"velo\" OR NEAR(");
        assert_eq!(match_expression(&words, " "), "\"velo\" \"or\" \"near\"*");
    }
}
