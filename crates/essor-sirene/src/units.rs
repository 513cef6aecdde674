//! The first pass: legal units (`StockUniteLegale`).
//!
//! Every unit only needs to be known to exist (a bit per possible SIREN: 125 MB whatever the
//! file). Units that can belong to the ESS (flagged `O`, or whose
//! category has a family) keep what classification and the directory need, in a compact entry
//! sorted by SIREN with their texts in one arena: about 2 to 3 million of the 30 million units.
//! Read from Parquet, an entry keeps its row instead of its texts, and only the units the
//! directory needs have them read, once the establishments are read
//! ([`UnitsIndex::read_identities`]).

use std::path::{Path, PathBuf};

use essor_domain::ess::{Family, family_of_category_bytes};
use essor_domain::establishment::UnitIdentity;

use crate::ImportError;
use crate::coded::Classified;
use crate::memory::zeroed_for_updates;
use crate::pipeline::{
    ChunkWorker, Rejections, Streamed, Wanted, accept, optional_text, stream, text,
};
use crate::records::{Batch, Projection, Record, Records};
use crate::source::SourceInfo;

/// Columns the panorama needs.
pub(crate) const REQUIRED: [&str; 3] = [
    "siren",
    "categorieJuridiqueUniteLegale",
    "economieSocialeSolidaireUniteLegale",
];

/// Columns the directory needs.
const DIRECTORY: [&str; 7] = [
    "statutDiffusionUniteLegale",
    "denominationUniteLegale",
    "sigleUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "prenom1UniteLegale",
    "prenomUsuelUniteLegale",
];

/// Every column the pass reads (a Parquet file's other columns are not decoded).
const WANTED: Wanted = Wanted {
    names: &[
        "siren",
        "categorieJuridiqueUniteLegale",
        "economieSocialeSolidaireUniteLegale",
        "statutDiffusionUniteLegale",
        "denominationUniteLegale",
        "sigleUniteLegale",
        "nomUniteLegale",
        "nomUsageUniteLegale",
        "prenom1UniteLegale",
        "prenomUsuelUniteLegale",
    ],
    required: &REQUIRED,
    expected: "StockUniteLegale",
    derived: &[],
};

const SIREN_LIMIT: usize = 1_000_000_000;

/// Column positions in the units file.
#[derive(Clone)]
pub(crate) struct Columns {
    len: usize,
    required: [usize; 3],
    directory: [Option<usize>; 7],
    /// Directory columns the file lacks.
    pub(crate) missing: Vec<&'static str>,
    projection: Projection,
}

impl Columns {
    pub(crate) fn new(header: &[String], info: &SourceInfo) -> Result<Self, ImportError> {
        let find = |name: &str| header.iter().position(|column| column == name);
        let mut required = [0; 3];
        for (slot, name) in required.iter_mut().zip(REQUIRED) {
            *slot = find(name).ok_or_else(|| ImportError::MissingColumn {
                file: info.file.clone(),
                column: name.to_owned(),
                expected: "StockUniteLegale",
            })?;
        }
        let directory = DIRECTORY.map(find);
        let missing = DIRECTORY
            .iter()
            .zip(&directory)
            .filter(|(_, found)| found.is_none())
            .map(|(name, _)| *name)
            .collect();
        Ok(Self {
            len: header.len(),
            projection: Projection::new(&required),
            required,
            directory,
            missing,
        })
    }
}

const FLAG_O: u8 = 1;
const PARTIAL: u8 = 2;
const HAS_NAME: u8 = 4;
const HAS_ACRONYM: u8 = 8;
/// The identity is still to be read, at row `row` of the file (Parquet).
const IDENTITY_LATER: u8 = 16;

/// What is kept of a unit that can belong to the ESS.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnitEntry {
    siren: u32,
    /// Start of the name then the acronym in the arena.
    text: u32,
    name_len: u16,
    acronym_len: u16,
    category: [u8; 4],
    family: Option<Family>,
    flags: u8,
    /// The unit's row in a Parquet file (from 1) while its identity is still to be read.
    row: u32,
}

impl UnitEntry {
    /// The entry of a unit, its identity not set.
    fn new(siren: u32, category: &str, family: Option<Family>, flag_o: bool) -> Self {
        Self {
            siren,
            text: 0,
            name_len: 0,
            acronym_len: 0,
            category: match category.as_bytes() {
                &[a, b, c, d] => [a, b, c, d],
                _ => [0; 4],
            },
            family,
            flags: if flag_o { FLAG_O } else { 0 },
            row: 0,
        }
    }

    /// Sets the unit's identity: its name and acronym written to the arena `text`. False when
    /// the arena is full (over 4 GB: never with INSEE's files), the name and acronym dropped.
    fn set_identity(&mut self, text: &mut String, identity: &UnitIdentity<'_>) -> bool {
        self.flags &= FLAG_O;
        if identity.partial {
            self.flags |= PARTIAL;
        }
        let start = text.len();
        let mut flags = self.flags;
        let mut push = |value: Option<String>, flag: u8| -> u16 {
            let Some(value) = value else { return 0 };
            let len = floor_char_boundary(&value, usize::from(u16::MAX));
            text.push_str(&value[..len]);
            flags |= flag;
            u16::try_from(len).unwrap_or(u16::MAX)
        };
        self.name_len = push(identity.name(), HAS_NAME);
        self.acronym_len = push(identity.acronym(), HAS_ACRONYM);
        self.flags = flags;
        if let Ok(start) = u32::try_from(start) {
            self.text = start;
            true
        } else {
            self.flags &= !(HAS_NAME | HAS_ACRONYM);
            false
        }
    }

    pub(crate) fn family(&self) -> Option<Family> {
        self.family
    }

    pub(crate) fn flag_o(&self) -> bool {
        self.flags & FLAG_O != 0
    }

    pub(crate) fn partial(&self) -> bool {
        self.flags & PARTIAL != 0
    }

    /// The legal category, 4 digits (empty if the file's was not).
    pub(crate) fn category(&self) -> &str {
        if self.category == [0; 4] {
            ""
        } else {
            std::str::from_utf8(&self.category).unwrap_or("")
        }
    }
}

/// The units known after the first pass.
pub(crate) struct UnitsIndex {
    exists: Vec<u64>,
    entries: Vec<UnitEntry>,
    text: String,
    /// Distinct units.
    pub(crate) count: u64,
    pub(crate) duplicates: u64,
    /// The Parquet file the identities of the entries are still to be read from.
    later: Option<PathBuf>,
}

impl UnitsIndex {
    /// Reads the identities still to be read (units read from Parquet) of the units of
    /// `sirens`, those the directory needs: only the pages that hold them are decoded. Gives
    /// the number of names dropped for lack of room (see [`UnitEntry::set_identity`]).
    pub(crate) fn read_identities(
        &mut self,
        sirens: impl IntoIterator<Item = u32>,
        threads: usize,
    ) -> Result<u64, ImportError> {
        let Some(path) = &self.later else {
            return Ok(0);
        };
        let mut wanted: Vec<(u64, usize)> = sirens
            .into_iter()
            .filter_map(|siren| {
                let index = self
                    .entries
                    .binary_search_by_key(&siren, |e| e.siren)
                    .ok()?;
                let entry = &self.entries[index];
                (entry.flags & IDENTITY_LATER != 0).then_some((u64::from(entry.row), index))
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let rows: Vec<u64> = wanted.iter().map(|(row, _)| *row).collect();
        let fields = crate::parquet::read_rows(path, &DIRECTORY, &rows, WANTED.expected, threads)?;
        let mut dropped = 0;
        for ((_, index), fields) in wanted.into_iter().zip(fields) {
            let entry = &mut self.entries[index];
            let category = entry.category().to_owned();
            let fields: [&str; 7] = std::array::from_fn(|i| fields[i].as_str());
            if !entry.set_identity(&mut self.text, &identity(&category, fields)) {
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    #[inline]
    pub(crate) fn exists(&self, siren: u32) -> bool {
        let siren = siren as usize;
        self.exists[siren / 64] & (1 << (siren % 64)) != 0
    }

    pub(crate) fn candidates(&self) -> usize {
        self.entries.len()
    }

    /// The entry of a unit that can belong to the ESS. `hint` is where the previous search
    /// ended: establishments come sorted by SIREN, so the search usually moves a step forward.
    #[inline]
    pub(crate) fn candidate(&self, siren: u32, hint: &mut usize) -> Option<&UnitEntry> {
        let entries = &self.entries;
        let len = entries.len();
        let start = (*hint).min(len);
        let pos = if start == 0 || entries[start - 1].siren < siren {
            // Gallop forward from `start`: every entry before `low` is below `siren`.
            let mut low = start;
            let mut high = start;
            let mut step = 1;
            while high < len && entries[high].siren < siren {
                low = high + 1;
                high = (low + step).min(len);
                step *= 2;
            }
            low + entries[low..high.max(low)].partition_point(|e| e.siren < siren)
        } else {
            entries.partition_point(|e| e.siren < siren)
        };
        *hint = pos;
        entries.get(pos).filter(|e| e.siren == siren)
    }

    pub(crate) fn name(&self, entry: &UnitEntry) -> Option<&str> {
        (entry.flags & HAS_NAME != 0).then(|| {
            let start = entry.text as usize;
            &self.text[start..start + usize::from(entry.name_len)]
        })
    }

    pub(crate) fn acronym(&self, entry: &UnitEntry) -> Option<&str> {
        (entry.flags & HAS_ACRONYM != 0).then(|| {
            let start = entry.text as usize + usize::from(entry.name_len);
            &self.text[start..start + usize::from(entry.acronym_len)]
        })
    }
}

/// A worker of the units pass.
pub(crate) struct UnitsWorker {
    columns: Columns,
    entries: Vec<UnitEntry>,
    text: String,
    /// Texts that did not fit the arena's 4 GB (never with INSEE's files).
    pub(crate) texts_dropped: u64,
    pub(crate) rows: u64,
    pub(crate) rejections: Rejections,
    /// Of a batch decoded from Parquet: the families of its categories and whether its ESS
    /// flags are `O`, value by value; its SIRENs.
    families: Classified<Option<Family>>,
    flags: Classified<bool>,
    sirens: Vec<u32>,
}

impl UnitsWorker {
    fn new(columns: &Columns) -> Self {
        Self {
            columns: columns.clone(),
            entries: Vec::new(),
            text: String::new(),
            texts_dropped: 0,
            rows: 0,
            rejections: Rejections::default(),
            families: Classified::default(),
            flags: Classified::default(),
            sirens: Vec::new(),
        }
    }

    /// Reads one row; the SIREN if accepted.
    fn row(&mut self, record: &Record<'_>, seq: u64) -> Option<u32> {
        let columns = &self.columns;
        let ([_, category, flag], siren) = accept(
            record,
            columns.len,
            &columns.required,
            seq,
            &mut self.rejections,
        )?;
        let family = family_of_category_bytes(category);
        let flag_o = flag == b"O";
        if family.is_some() || flag_o {
            self.keep(record, siren, text(category), family, flag_o);
        }
        Some(siren)
    }

    /// Keeps the entry of a unit that can belong to the ESS.
    fn keep(
        &mut self,
        record: &Record<'_>,
        siren: u32,
        category: &str,
        family: Option<Family>,
        flag_o: bool,
    ) {
        let fields = self
            .columns
            .directory
            .map(|column| optional_text(record, column));
        let mut entry = UnitEntry::new(siren, category, family, flag_o);
        if !entry.set_identity(&mut self.text, &identity(category, fields)) {
            self.texts_dropped += 1;
        }
        self.entries.push(entry);
    }
}

/// A unit's identity from its category and the fields of [`DIRECTORY`].
fn identity<'a>(category: &'a str, fields: [&'a str; 7]) -> UnitIdentity<'a> {
    let [
        diffusion,
        denomination,
        sigle,
        nom,
        nom_usage,
        prenom1,
        prenom_usuel,
    ] = fields;
    UnitIdentity {
        category,
        partial: diffusion == "P",
        denomination,
        sigle,
        nom,
        nom_usage,
        prenom1,
        prenom_usuel,
    }
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    if text.len() <= max {
        return text.len();
    }
    (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

impl ChunkWorker for UnitsWorker {
    type Piece = Vec<u32>;

    fn projection(&self) -> &Projection {
        &self.columns.projection
    }

    fn process(&mut self, seq: u64, records: &mut Records<'_>) -> Option<Vec<u32>> {
        let mut sirens = Vec::with_capacity(32 * 1024);
        while let Some(record) = records.next_record() {
            self.rows += 1;
            if let Some(siren) = self.row(&record, seq) {
                sirens.push(siren);
            }
        }
        Some(sirens)
    }

    /// The rules of [`UnitsWorker::row`], column by column: rows rejected for the same
    /// reasons, in the same order; kept when of an ESS legal category or flagged ESS. Their
    /// identity is read after the establishments, for the units the directory needs only
    /// ([`UnitsIndex::read_identities`]): no row's details are read now.
    fn fold_batch(&mut self, batch: &Batch) -> Vec<usize> {
        let [siren_at, category_at, flag_at] = self.columns.required;
        let rows = batch.rows;
        let column = |at: usize| &batch.columns[at];
        self.families
            .load(column(category_at), rows, family_of_category_bytes);
        self.flags.load(column(flag_at), rows, |flag| flag == b"O");
        self.sirens = Vec::with_capacity(rows);
        for row in 0..rows {
            self.rows += 1;
            let (families, flags) = (&self.families, &self.flags);
            let Some(siren) = self.rejections.batch_siren(batch, row, siren_at, || {
                if families.invalid(row) {
                    Some(category_at)
                } else {
                    flags.invalid(row).then_some(flag_at)
                }
            }) else {
                continue;
            };
            self.sirens.push(siren);
            let (family, flag_o) = (self.families.get(row), self.flags.get(row));
            if family.is_some() || flag_o {
                let category = text(column(category_at).field(row).unwrap_or_default());
                let mut entry = UnitEntry::new(siren, category, family, flag_o);
                entry.flags |= IDENTITY_LATER;
                entry.row = u32::try_from(batch.first_line + row as u64).unwrap_or(u32::MAX);
                self.entries.push(entry);
            }
        }
        Vec::new()
    }

    fn finish_batch(&mut self, _batch: &Batch) -> Option<Vec<u32>> {
        Some(std::mem::take(&mut self.sirens))
    }
}

/// The outcome of the units pass.
pub(crate) struct UnitsPass {
    pub(crate) index: UnitsIndex,
    pub(crate) streamed: Streamed<()>,
    pub(crate) rows: u64,
    pub(crate) rejections: Rejections,
    pub(crate) missing_columns: Vec<&'static str>,
    pub(crate) texts_dropped: u64,
}

/// Reads the units file.
pub(crate) fn read(
    path: &Path,
    threads: usize,
    on_bytes: &(dyn Fn(u64, &SourceInfo) + Sync),
) -> Result<UnitsPass, ImportError> {
    // Set up by the collector thread when the first SIRENs come, while the workers go on.
    let mut exists: Option<Vec<u64>> = None;
    let mut duplicates = 0u64;
    let mut distinct = 0u64;
    let collect = |sirens: Vec<u32>| {
        let exists = exists.get_or_insert_with(|| zeroed_for_updates(SIREN_LIMIT / 64));
        for siren in sirens {
            let siren = siren as usize;
            let (word, bit) = (siren / 64, 1u64 << (siren % 64));
            if exists[word] & bit == 0 {
                exists[word] |= bit;
                distinct += 1;
            } else {
                duplicates += 1;
            }
        }
    };
    let (columns, streamed, _) = stream(
        path,
        threads,
        on_bytes,
        &WANTED,
        Columns::new,
        UnitsWorker::new,
        collect,
    )?;
    let Streamed {
        info,
        header,
        workers,
        lines,
    } = streamed;
    let mut rows = 0;
    let mut rejections = Rejections::default();
    let mut texts_dropped = 0;
    let mut entries = Vec::with_capacity(workers.iter().map(|w| w.entries.len()).sum());
    let mut text = String::with_capacity(workers.iter().map(|w| w.text.len()).sum());
    for worker in workers {
        rows += worker.rows;
        texts_dropped += worker.texts_dropped;
        rejections.merge(worker.rejections);
        let base = text.len();
        text.push_str(&worker.text);
        for mut entry in worker.entries {
            if let Ok(start) = u32::try_from(base + entry.text as usize) {
                entry.text = start;
            } else {
                entry.flags &= !(HAS_NAME | HAS_ACRONYM);
                texts_dropped += 1;
            }
            entries.push(entry);
        }
    }
    entries.sort_by_key(|entry| entry.siren);
    entries.dedup_by_key(|entry| entry.siren);
    Ok(UnitsPass {
        index: UnitsIndex {
            exists: exists.unwrap_or_else(|| vec![0; SIREN_LIMIT / 64]),
            entries,
            text,
            count: distinct,
            duplicates,
            later: crate::parquet::is_parquet(path).then(|| path.to_owned()),
        },
        streamed: Streamed {
            info,
            header,
            workers: Vec::new(),
            lines,
        },
        rows,
        rejections,
        missing_columns: columns.missing,
        texts_dropped,
    })
}
