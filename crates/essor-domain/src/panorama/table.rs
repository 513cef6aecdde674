//! The fact rows of one import, held compactly.
//!
//! An import of the whole country yields about 3.3 million fact rows, but only a few hundred
//! distinct keys (families, sections, themes, bands, years) and 35 000 communes. A
//! [`FactTable`] keeps each key and each commune code once, and each row as its dimension, the
//! index of its key and its figures: no allocation per row, and about a third of the memory of
//! [`FactRow`]s.

use std::collections::{HashMap, HashSet};

use super::{Dimension, FactRow, Figures};

/// One row of a [`FactTable`]: a dimension, the index of its key in [`FactTable::keys`], the
/// figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRow {
    pub dimension: Dimension,
    pub key: u32,
    pub figures: Figures,
}

impl TableRow {
    /// A placeholder, to allocate rows before filling them.
    pub const EMPTY: Self = Self {
        dimension: Dimension::Total,
        key: 0,
        figures: Figures {
            active: 0,
            employer: 0,
            jobs_x2: 0,
            ess_active: 0,
            ess_employer: 0,
            ess_jobs_x2: 0,
        },
    };
}

/// The keys of a table being built: each text once, numbered in the order first met.
#[derive(Debug, Clone, Default)]
pub struct KeyInterner {
    texts: Vec<String>,
    index: HashMap<String, u32>,
}

impl KeyInterner {
    /// The number of `text`, given it now if it has none yet.
    pub fn intern(&mut self, text: &str) -> u32 {
        if let Some(&key) = self.index.get(text) {
            return key;
        }
        let key = u32::try_from(self.texts.len()).expect("fewer than 2^32 keys");
        self.texts.push(text.to_owned());
        self.index.insert(text.to_owned(), key);
        key
    }

    /// The texts, by number: the keys of [`FactTable::from_parts`].
    #[must_use]
    pub fn into_texts(self) -> Vec<String> {
        self.texts
    }
}

/// Fact rows grouped by commune (or arrondissement) code, communes in code order, rows of a
/// commune in the order they were given; keys interned.
#[derive(Debug, Clone, Default)]
pub struct FactTable {
    keys: Vec<String>,
    /// Each commune's code and the end of its rows in `rows`.
    communes: Vec<(String, usize)>,
    rows: Vec<TableRow>,
}

/// Why parts do not make a [`FactTable`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FactTableError {
    #[error("clé « {0} » en double dans la table des agrégats")]
    DuplicateKey(String),
    #[error("communes des agrégats hors de l’ordre des codes ou en double (« {0} »)")]
    CommuneOrder(String),
    #[error("{counted} lignes d’agrégats annoncées par commune pour {rows} lignes")]
    RowCount { counted: usize, rows: usize },
    #[error("ligne d’agrégats n° {row} : clé n° {key} inconnue")]
    UnknownKey { row: usize, key: u32 },
}

impl FactTable {
    /// A table from its parts: the distinct keys, each commune's code and number of rows
    /// (codes in increasing order), and the rows of every commune one after the other.
    ///
    /// # Errors
    /// When keys repeat, codes are out of order or repeat, the counts do not add up to the
    /// rows, or a row names a key that is not there.
    pub fn from_parts(
        keys: Vec<String>,
        communes: Vec<(String, usize)>,
        rows: Vec<TableRow>,
    ) -> Result<Self, FactTableError> {
        let mut distinct = HashSet::with_capacity(keys.len());
        if let Some(key) = keys.iter().find(|key| !distinct.insert(key.as_str())) {
            return Err(FactTableError::DuplicateKey(key.clone()));
        }
        if let Some(pair) = communes.windows(2).find(|pair| pair[0].0 >= pair[1].0) {
            return Err(FactTableError::CommuneOrder(pair[1].0.clone()));
        }
        let key_count = keys.len();
        if let Some((row, bad)) = rows
            .iter()
            .enumerate()
            .find(|(_, row)| row.key as usize >= key_count)
        {
            return Err(FactTableError::UnknownKey { row, key: bad.key });
        }
        let mut end = 0;
        let communes: Vec<(String, usize)> = communes
            .into_iter()
            .map(|(code, count)| {
                end += count;
                (code, end)
            })
            .collect();
        if end != rows.len() {
            return Err(FactTableError::RowCount {
                counted: end,
                rows: rows.len(),
            });
        }
        Ok(Self {
            keys,
            communes,
            rows,
        })
    }

    /// A table of the given rows, grouped by commune code (the order of rows within a commune
    /// kept).
    #[must_use]
    pub fn from_rows(facts: &[FactRow]) -> Self {
        let mut sorted: Vec<&FactRow> = facts.iter().collect();
        sorted.sort_by(|a, b| a.commune.cmp(&b.commune));
        let mut keys = KeyInterner::default();
        let mut communes: Vec<(String, usize)> = Vec::new();
        let mut rows = Vec::with_capacity(sorted.len());
        for fact in sorted {
            rows.push(TableRow {
                dimension: fact.dimension,
                key: keys.intern(&fact.key),
                figures: fact.figures,
            });
            match communes.last_mut() {
                Some((code, end)) if *code == fact.commune => *end += 1,
                _ => communes.push((fact.commune.clone(), rows.len())),
            }
        }
        Self {
            keys: keys.into_texts(),
            communes,
            rows,
        }
    }

    /// The distinct keys rows point to.
    #[must_use]
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each commune's code and rows, in code order.
    pub fn communes(&self) -> impl Iterator<Item = (&str, &[TableRow])> + '_ {
        let mut start = 0;
        self.communes.iter().map(move |(code, end)| {
            let rows = &self.rows[start..*end];
            start = *end;
            (code.as_str(), rows)
        })
    }

    /// The key of a row.
    #[must_use]
    pub fn key(&self, row: &TableRow) -> &str {
        self.keys.get(row.key as usize).map_or("", String::as_str)
    }

    /// Every row as a [`FactRow`], communes in code order.
    #[must_use]
    pub fn to_rows(&self) -> Vec<FactRow> {
        let mut out = Vec::with_capacity(self.rows.len());
        for (code, rows) in self.communes() {
            out.extend(rows.iter().map(|row| FactRow {
                commune: code.to_owned(),
                dimension: row.dimension,
                key: self.key(row).to_owned(),
                figures: row.figures,
            }));
        }
        out
    }

    /// Every row with its commune and key, without allocating.
    fn resolved(&self) -> impl Iterator<Item = (&str, Dimension, &str, &Figures)> + '_ {
        self.communes().flat_map(move |(code, rows)| {
            rows.iter()
                .map(move |row| (code, row.dimension, self.key(row), &row.figures))
        })
    }
}

/// Two tables are equal when they hold the same rows in the same order, whatever the order of
/// their keys.
impl PartialEq for FactTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.resolved().eq(other.resolved())
    }
}

impl Eq for FactTable {}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(commune: &str, dimension: Dimension, key: &str, active: u64) -> FactRow {
        FactRow {
            commune: commune.to_owned(),
            dimension,
            key: key.to_owned(),
            figures: Figures {
                active,
                ..Figures::default()
            },
        }
    }

    #[test]
    fn rows_come_back_grouped_by_commune_in_code_order() {
        let facts = vec![
            fact("38185", Dimension::Total, "", 3),
            fact("2A004", Dimension::Creation, "2024", 1),
            fact("38185", Dimension::Family, "association", 2),
            fact("2A004", Dimension::Total, "", 5),
        ];
        let table = FactTable::from_rows(&facts);
        assert_eq!(table.len(), 4);
        assert_eq!(
            table.to_rows(),
            vec![
                facts[1].clone(),
                facts[3].clone(),
                facts[0].clone(),
                facts[2].clone()
            ]
        );
        let communes: Vec<(&str, usize)> = table.communes().map(|(c, r)| (c, r.len())).collect();
        assert_eq!(communes, [("2A004", 2), ("38185", 2)]);
    }

    #[test]
    fn equality_ignores_the_order_of_keys() {
        let rows = |first: u32, second: u32| {
            vec![
                TableRow {
                    key: first,
                    ..TableRow::EMPTY
                },
                TableRow {
                    dimension: Dimension::Creation,
                    key: second,
                    ..TableRow::EMPTY
                },
            ]
        };
        let a = FactTable::from_parts(
            vec![String::new(), "2024".into()],
            vec![("38185".into(), 2)],
            rows(0, 1),
        )
        .unwrap();
        let b = FactTable::from_parts(
            vec!["2024".into(), String::new()],
            vec![("38185".into(), 2)],
            rows(1, 0),
        )
        .unwrap();
        assert_eq!(a, b);
        let c = FactTable::from_parts(
            vec!["2024".into(), String::new()],
            vec![("38185".into(), 2)],
            rows(0, 1),
        )
        .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn inconsistent_parts_are_refused() {
        let keys = || vec![String::new()];
        assert_eq!(
            FactTable::from_parts(vec!["a".into(), "a".into()], vec![], vec![]),
            Err(FactTableError::DuplicateKey("a".into()))
        );
        assert_eq!(
            FactTable::from_parts(
                keys(),
                vec![("38185".into(), 0), ("38185".into(), 0)],
                vec![]
            ),
            Err(FactTableError::CommuneOrder("38185".into()))
        );
        assert_eq!(
            FactTable::from_parts(keys(), vec![("38185".into(), 2)], vec![TableRow::EMPTY]),
            Err(FactTableError::RowCount {
                counted: 2,
                rows: 1
            })
        );
        let bad = TableRow {
            key: 1,
            ..TableRow::EMPTY
        };
        assert_eq!(
            FactTable::from_parts(keys(), vec![("38185".into(), 1)], vec![bad]),
            Err(FactTableError::UnknownKey { row: 0, key: 1 })
        );
    }
}
