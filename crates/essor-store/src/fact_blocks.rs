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

use essor_domain::panorama::{Dimension, FactRow, Figures};
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

/// The blocks of a snapshot's facts, by département code, in code order. Refuses facts that
/// repeat a commune, dimension and key (they would be counted twice).
pub(crate) fn encode(facts: &[FactRow]) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    // Facts grouped by commune, in code order (an import gives them so: checked, not assumed).
    let mut sorted: Vec<&FactRow> = facts.iter().collect();
    if !sorted.is_sorted_by(|a, b| a.commune <= b.commune) {
        sorted.sort_by(|a, b| a.commune.cmp(&b.commune));
    }
    let mut blocks = Vec::new();
    let mut rest = sorted.as_slice();
    while let Some(first) = rest.first() {
        let departement = departement_of(&first.commune);
        let len = rest
            .iter()
            .position(|f| departement_of(&f.commune) != departement)
            .unwrap_or(rest.len());
        let (block, tail) = rest.split_at(len);
        blocks.push((departement.to_owned(), encode_block(block)?));
        rest = tail;
    }
    Ok(blocks)
}

/// One block: facts of one département, grouped by commune.
fn encode_block(facts: &[&FactRow]) -> Result<Vec<u8>, StoreError> {
    let mut keys: Vec<&str> = Vec::new();
    let mut key_index: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut encoded: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut seen: Vec<(u8, u32)> = Vec::new();
    let mut rest = facts;
    while let Some(first) = rest.first() {
        let commune = first.commune.as_str();
        let len = rest
            .iter()
            .position(|f| f.commune != commune)
            .unwrap_or(rest.len());
        let (group, tail) = rest.split_at(len);
        rows.clear();
        for fact in group {
            let next = u32::try_from(keys.len()).map_err(corrupt)?;
            let key = *key_index.entry(fact.key.as_str()).or_insert_with(|| {
                keys.push(fact.key.as_str());
                next
            });
            let f = &fact.figures;
            rows.push(Row {
                dimension: dimension_code(fact.dimension),
                key,
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
        seen.clear();
        seen.extend(rows.iter().map(|r| (r.dimension, r.key)));
        seen.sort_unstable();
        if let Some(pair) = seen.windows(2).find(|pair| pair[0] == pair[1]) {
            let (dimension, key) = pair[0];
            return Err(StoreError::Corrupt {
                what: "agrégats de l’import",
                detail: format!(
                    "commune {commune}, dimension {}, clé « {} » en double",
                    dimension_of(dimension).map_or("?", Dimension::as_str),
                    keys[key as usize]
                ),
            });
        }
        encoded.push((commune, postcard::to_allocvec(&rows).map_err(corrupt)?));
        rest = tail;
    }
    let block = Block {
        version: VERSION,
        keys,
        communes: encoded
            .iter()
            .map(|(code, rows)| CommuneRows { code, rows })
            .collect(),
    };
    postcard::to_allocvec(&block).map_err(corrupt)
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
        // Not in code order: the encoder sorts.
        facts.reverse();
        let blocks = encode(&facts).unwrap();
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
        assert!(encode(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_repeated_fact_is_refused() {
        let facts = vec![
            fact("38185", Dimension::Creation, "2024", 1),
            fact("38185", Dimension::Closure, "2024", 1),
            fact("38185", Dimension::Creation, "2024", 2),
        ];
        let error = encode(&facts).unwrap_err().to_string();
        assert!(
            error.contains("38185") && error.contains("creation"),
            "{error}"
        );
    }

    #[test]
    fn a_damaged_block_is_an_error_not_a_panic() {
        let blocks = encode(&[fact("38185", Dimension::Total, "", 5)]).unwrap();
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
