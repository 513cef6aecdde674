//! The compact storage of a snapshot's aggregates: one encoded block per département.
//!
//! An import of the whole country yields about 3.3 million fact rows (88 % of them creation and
//! closure years per commune). Writing them as rows cost 4 to 9 s in SQLite; the panorama of a
//! territory only ever reads whole communes. So the facts are grouped by département (the first
//! two characters of the commune code, three for the overseas codes `97x`/`98x`; Corsica's `2A`
//! and `2B` are départements of their own, and the arrondissements of Paris, Lyon and Marseille
//! fall in `75`, `69` and `13`) and each group is stored as one value: about 100 blocks of a few
//! hundred kilobytes, written in a fraction of a second, and read by the panorama of a
//! territory with one query on the primary key.
//!
//! A block is [postcard](https://docs.rs/postcard) (compact varints) of [`Block`]: a format
//! version, the block's distinct group keys (`association`, `2024`, …) once, then per commune its
//! code and its rows as a nested byte string, so that a reader decodes only the communes it
//! wants. A row is the dimension, the index of its key and the six figures.

use std::collections::HashSet;

use essor_domain::panorama::{Dimension, FactRow, FactTable, Figures, TableRow};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The format of the blocks; a reader refuses any other.
const VERSION: u8 = 1;

#[derive(Serialize, Deserialize)]
struct Block<'a> {
    version: u8,
    #[serde(borrow)]
    keys: Vec<&'a str>,
    #[serde(borrow)]
    communes: Vec<CommuneRows<'a>>,
}

#[derive(Serialize, Deserialize)]
struct CommuneRows<'a> {
    code: &'a str,
    /// postcard of `Vec<Row>`.
    rows: &'a [u8],
}

#[derive(Serialize, Deserialize)]
struct Row {
    dimension: u8,
    key: u32,
    figures: [u64; 6],
}

/// The département a commune or arrondissement code belongs to, as blocks are keyed.
#[must_use]
pub(crate) fn departement_of(code: &str) -> &str {
    let len = if code.starts_with("97") || code.starts_with("98") {
        3
    } else {
        2
    };
    code.get(..len).unwrap_or(code)
}

fn dimension_code(dimension: Dimension) -> u8 {
    match dimension {
        Dimension::Total => 0,
        Dimension::Family => 1,
        Dimension::Section => 2,
        Dimension::Theme => 3,
        Dimension::Band => 4,
        Dimension::Creation => 5,
        Dimension::Closure => 6,
    }
}

fn dimension_of(code: u8) -> Option<Dimension> {
    Dimension::ALL.get(usize::from(code)).copied()
}

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: "bloc d’agrégats",
        detail: detail.to_string(),
    }
}

/// A département's code and its communes' rows.
type Departement<'t> = (&'t str, &'t [(&'t str, &'t [TableRow])]);
/// A département's code and its block.
type Encoded = (String, Vec<u8>);

/// The blocks of a snapshot's facts, by département code, in code order, encoded by a few
/// threads. Refuses facts that repeat a commune, dimension and key (they would be counted
/// twice).
pub(crate) fn encode(facts: &FactTable) -> Result<Vec<Encoded>, StoreError> {
    // Communes come in code order, so each département's communes are contiguous.
    let communes: Vec<(&str, &[TableRow])> = facts.communes().collect();
    let mut departements: Vec<Departement<'_>> = Vec::new();
    let mut rest = communes.as_slice();
    while let Some((first, _)) = rest.first() {
        let departement = departement_of(first);
        let len = rest
            .iter()
            .position(|(code, _)| departement_of(code) != departement)
            .unwrap_or(rest.len());
        let (group, tail) = rest.split_at(len);
        departements.push((departement, group));
        rest = tail;
    }
    // Contiguous runs of départements with about as many rows each, one per thread.
    let threads = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 4);
    let per_thread = facts.len().div_ceil(threads).max(1);
    let mut runs: Vec<&[Departement<'_>]> = Vec::new();
    let (mut first, mut rows) = (0, 0);
    for (i, (_, group)) in departements.iter().enumerate() {
        rows += group.iter().map(|(_, rows)| rows.len()).sum::<usize>();
        if rows >= per_thread || i + 1 == departements.len() {
            runs.push(&departements[first..=i]);
            first = i + 1;
            rows = 0;
        }
    }
    let encoded: Vec<Result<Vec<Encoded>, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .into_iter()
            .map(|run| {
                scope.spawn(move || {
                    let mut encoder = BlockEncoder::new(facts);
                    run.iter()
                        .map(|(departement, communes)| {
                            Ok(((*departement).to_owned(), encoder.block(communes)?))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(corrupt("l’encodage d’un bloc d’agrégats a échoué")))
            })
            .collect()
    });
    let mut blocks = Vec::with_capacity(departements.len());
    for run in encoded {
        blocks.extend(run?);
    }
    Ok(blocks)
}

/// Encodes blocks of one table, reusing its buffers from block to block.
struct BlockEncoder<'t> {
    table: &'t FactTable,
    /// By key of the table: its index in the current block, or `u32::MAX`.
    block_key: Vec<u32>,
    keys: Vec<&'t str>,
    /// By dimension and key of the table: the commune (counted from 1) that last had it.
    seen: Vec<u32>,
    rows: Vec<Row>,
    /// Each commune's rows, encoded one after the other.
    encoded: Vec<u8>,
    communes: u32,
}

impl<'t> BlockEncoder<'t> {
    fn new(table: &'t FactTable) -> Self {
        let keys = table.keys().len();
        Self {
            table,
            block_key: vec![u32::MAX; keys],
            keys: Vec::new(),
            seen: vec![0; keys * Dimension::ALL.len()],
            rows: Vec::new(),
            encoded: Vec::new(),
            communes: 0,
        }
    }

    /// One block: the rows of one département's communes.
    fn block(&mut self, communes: &[(&'t str, &[TableRow])]) -> Result<Vec<u8>, StoreError> {
        self.keys.clear();
        self.block_key.fill(u32::MAX);
        self.encoded.clear();
        let mut ends = Vec::with_capacity(communes.len());
        for (code, rows) in communes {
            self.commune(code, rows)?;
            ends.push(self.encoded.len());
        }
        let mut start = 0;
        let block = Block {
            version: VERSION,
            keys: self.keys.clone(),
            communes: communes
                .iter()
                .zip(&ends)
                .map(|((code, _), &end)| {
                    let rows = &self.encoded[start..end];
                    start = end;
                    CommuneRows { code, rows }
                })
                .collect(),
        };
        postcard::to_allocvec(&block).map_err(corrupt)
    }

    /// Appends one commune's rows to `encoded`.
    fn commune(&mut self, code: &str, rows: &[TableRow]) -> Result<(), StoreError> {
        self.communes += 1;
        let keys = self.table.keys().len();
        self.rows.clear();
        for row in rows {
            let dimension = dimension_code(row.dimension);
            let key = row.key as usize;
            let seen = &mut self.seen[usize::from(dimension) * keys + key];
            if *seen == self.communes {
                return Err(StoreError::Corrupt {
                    what: "agrégats de l’import",
                    detail: format!(
                        "commune {code}, dimension {}, clé « {} » en double",
                        row.dimension.as_str(),
                        self.table.key(row)
                    ),
                });
            }
            *seen = self.communes;
            let mut index = self.block_key[key];
            if index == u32::MAX {
                index = u32::try_from(self.keys.len()).map_err(corrupt)?;
                self.block_key[key] = index;
                self.keys.push(self.table.key(row));
            }
            let f = &row.figures;
            self.rows.push(Row {
                dimension,
                key: index,
                figures: [
                    f.active,
                    f.employer,
                    f.jobs_x2,
                    f.ess_active,
                    f.ess_employer,
                    f.ess_jobs_x2,
                ],
            });
        }
        postcard::to_extend(&self.rows, std::mem::take(&mut self.encoded))
            .map(|encoded| self.encoded = encoded)
            .map_err(corrupt)
    }
}

/// Appends to `out` the facts of the communes of `wanted` that `block` holds.
pub(crate) fn decode_into(
    block: &[u8],
    wanted: &HashSet<&str>,
    out: &mut Vec<FactRow>,
) -> Result<(), StoreError> {
    let block: Block<'_> = postcard::from_bytes(block).map_err(corrupt)?;
    if block.version != VERSION {
        return Err(corrupt(format!(
            "version {} du format (attendue : {VERSION})",
            block.version
        )));
    }
    for commune in block.communes {
        if !wanted.contains(commune.code) {
            continue;
        }
        let rows: Vec<Row> = postcard::from_bytes(commune.rows).map_err(corrupt)?;
        out.reserve(rows.len());
        for row in rows {
            let dimension = dimension_of(row.dimension)
                .ok_or_else(|| corrupt(format!("dimension {}", row.dimension)))?;
            let key = block
                .keys
                .get(row.key as usize)
                .ok_or_else(|| corrupt(format!("clé n° {}", row.key)))?;
            let [
                active,
                employer,
                jobs_x2,
                ess_active,
                ess_employer,
                ess_jobs_x2,
            ] = row.figures;
            out.push(FactRow {
                commune: commune.code.to_owned(),
                dimension,
                key: (*key).to_owned(),
                figures: Figures {
                    active,
                    employer,
                    jobs_x2,
                    ess_active,
                    ess_employer,
                    ess_jobs_x2,
                },
            });
        }
    }
    Ok(())
}

/// The départements whose blocks hold the given codes, sorted.
pub(crate) fn departements_of<'a>(codes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut departements: Vec<String> = codes
        .into_iter()
        .map(|code| departement_of(code).to_owned())
        .collect();
    departements.sort_unstable();
    departements.dedup();
    departements
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(commune: &str, dimension: Dimension, key: &str, n: u64) -> FactRow {
        FactRow {
            commune: commune.to_owned(),
            dimension,
            key: key.to_owned(),
            figures: Figures {
                active: n,
                employer: n / 2,
                jobs_x2: 3 * n,
                ess_active: n / 3,
                ess_employer: 0,
                ess_jobs_x2: u64::MAX - n,
            },
        }
    }

    fn decode_all(blocks: &[(String, Vec<u8>)], wanted: &[&str]) -> Vec<FactRow> {
        let wanted: HashSet<&str> = wanted.iter().copied().collect();
        let mut out = Vec::new();
        for (_, block) in blocks {
            decode_into(block, &wanted, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn departements_are_the_code_prefix_with_corsica_overseas_and_arrondissements() {
        for (code, departement) in [
            ("38185", "38"),
            ("01001", "01"),
            ("2A004", "2A"),
            ("2B033", "2B"),
            ("97411", "974"),
            ("97611", "976"),
            ("75101", "75"),
            ("75056", "75"),
            ("69381", "69"),
            ("13201", "13"),
            ("7", "7"),
            ("", ""),
        ] {
            assert_eq!(departement_of(code), departement, "{code}");
        }
    }

    #[test]
    fn facts_of_many_departements_read_back_exactly_by_commune() {
        let mut facts = Vec::new();
        for (i, commune) in [
            "01001", "13201", "13055", "2A004", "2B033", "38185", "38421", "69123", "69381",
            "75101", "75120", "97101", "97411", "97611",
        ]
        .iter()
        .enumerate()
        {
            let n = i as u64 + 1;
            facts.push(fact(commune, Dimension::Total, "", n));
            facts.push(fact(commune, Dimension::Family, "association", n * 7));
            facts.push(fact(commune, Dimension::Band, "vide", n));
            facts.push(fact(commune, Dimension::Creation, "2024", n));
            facts.push(fact(commune, Dimension::Closure, "2024", n + 1));
            facts.push(fact(commune, Dimension::Creation, "1899", 1));
        }
        // Not in code order: the table sorts.
        facts.reverse();
        let blocks = encode(&FactTable::from_rows(&facts)).unwrap();
        let departements: Vec<&str> = blocks.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(
            departements,
            [
                "01", "13", "2A", "2B", "38", "69", "75", "971", "974", "976"
            ]
        );
        let codes: Vec<&str> = facts.iter().map(|f| f.commune.as_str()).collect();
        let mut all = decode_all(&blocks, &codes);
        let mut expected = facts.clone();
        let order = |f: &FactRow| (f.commune.clone(), f.dimension, f.key.clone());
        all.sort_by_key(order);
        expected.sort_by_key(order);
        assert_eq!(all, expected);

        let some = decode_all(&blocks, &["69381", "2B033", "75120", "99999"]);
        let mut communes: Vec<&str> = some.iter().map(|f| f.commune.as_str()).collect();
        communes.dedup();
        assert_eq!(communes, ["2B033", "69381", "75120"]);
        assert_eq!(some.len(), 18);
    }

    #[test]
    fn no_facts_make_no_blocks() {
        assert!(encode(&FactTable::default()).unwrap().is_empty());
    }

    #[test]
    fn a_repeated_fact_is_refused() {
        let facts = vec![
            fact("38185", Dimension::Creation, "2024", 1),
            fact("38185", Dimension::Closure, "2024", 1),
            fact("38185", Dimension::Creation, "2024", 2),
        ];
        let error = encode(&FactTable::from_rows(&facts))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("38185") && error.contains("creation"),
            "{error}"
        );
    }

    #[test]
    fn a_damaged_block_is_an_error_not_a_panic() {
        let blocks = encode(&FactTable::from_rows(&[fact(
            "38185",
            Dimension::Total,
            "",
            5,
        )]))
        .unwrap();
        let wanted: HashSet<&str> = ["38185"].into_iter().collect();
        let block = &blocks[0].1;
        for len in 0..block.len() {
            let mut out = Vec::new();
            assert!(
                decode_into(&block[..len], &wanted, &mut out).is_err(),
                "{len}"
            );
        }
        let mut other_version = block.clone();
        other_version[0] = 9;
        let error = decode_into(&other_version, &wanted, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("version"));
    }
}
