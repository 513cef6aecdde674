//! The second pass: establishments (`StockEtablissement`), classified and aggregated by commune;
//! ESS establishments of the kept communes become directory records.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use essor_domain::ess::{
    BANDS, Family, SECTION_KEYS, ThemeTable, band_index_bytes, is_excluded_activity, section_index,
    year_of_bytes,
};
use essor_domain::establishment::{
    EstablishmentRecord, NATURAL_PERSON_CATEGORY, address_line, lambert, public, sign,
};

use crate::ImportError;
use crate::aggregate::{Aggregates, Pending, Row};
use crate::coded::Classified;
use crate::communes::Communes;
use crate::pipeline::{
    ChunkWorker, Rejections, Streamed, Wanted, accept, optional_text, stream, text,
};
use crate::records::{Batch, Projection, Record, Records};
use crate::source::SourceInfo;
use crate::units::{UnitEntry, UnitsIndex};

/// Columns the panorama needs, in the order [`Worker::row`] reads them.
pub(crate) const REQUIRED: [&str; 9] = [
    "siren",
    "codeCommuneEtablissement",
    "etatAdministratifEtablissement",
    "caractereEmployeurEtablissement",
    "trancheEffectifsEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "dateCreationEtablissement",
    "dateDebut",
];

/// Columns the directory needs, in the order of `DirectoryRow::directory`.
const DIRECTORY: [&str; 12] = [
    "siret",
    "statutDiffusionEtablissement",
    "etablissementSiege",
    "enseigne1Etablissement",
    "denominationUsuelleEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
];

/// Every column the pass reads (a Parquet file's other columns are not decoded).
const WANTED: Wanted = Wanted {
    names: &[
        "siren",
        "codeCommuneEtablissement",
        "etatAdministratifEtablissement",
        "caractereEmployeurEtablissement",
        "trancheEffectifsEtablissement",
        "activitePrincipaleEtablissement",
        "nomenclatureActivitePrincipaleEtablissement",
        "dateCreationEtablissement",
        "dateDebut",
        "siret",
        "nic",
        "statutDiffusionEtablissement",
        "etablissementSiege",
        "enseigne1Etablissement",
        "denominationUsuelleEtablissement",
        "numeroVoieEtablissement",
        "indiceRepetitionEtablissement",
        "typeVoieEtablissement",
        "libelleVoieEtablissement",
        "codePostalEtablissement",
        "coordonneeLambertAbscisseEtablissement",
        "coordonneeLambertOrdonneeEtablissement",
    ],
    required: &REQUIRED,
    expected: "StockEtablissement",
    derived: &[("siret", "nic")],
};

/// Column positions in the establishments file.
#[derive(Clone)]
pub(crate) struct Columns {
    len: usize,
    required: [usize; 9],
    directory: [Option<usize>; 12],
    nic: Option<usize>,
    /// Directory columns the file lacks.
    pub(crate) missing: Vec<&'static str>,
    projection: Projection,
}

impl Columns {
    pub(crate) fn new(header: &[String], info: &SourceInfo) -> Result<Self, ImportError> {
        let find = |name: &str| header.iter().position(|column| column == name);
        let mut required = [0; 9];
        for (slot, name) in required.iter_mut().zip(REQUIRED) {
            *slot = find(name).ok_or_else(|| ImportError::MissingColumn {
                file: info.file.clone(),
                column: name.to_owned(),
                expected: "StockEtablissement",
            })?;
        }
        let directory = DIRECTORY.map(find);
        let nic = find("nic");
        let missing = DIRECTORY
            .iter()
            .zip(&directory)
            .filter(|(name, found)| found.is_none() && !(**name == "siret" && nic.is_some()))
            .map(|(name, _)| *name)
            .collect();
        Ok(Self {
            len: header.len(),
            projection: Projection::new(&required),
            required,
            directory,
            nic,
            missing,
        })
    }

    /// Whether records can be identified (a SIRET, or a NIC to make it).
    fn identifies(&self) -> bool {
        self.directory[0].is_some() || self.nic.is_some()
    }
}

/// What the establishments pass shares with its workers.
pub(crate) struct Context<'a> {
    pub(crate) units: &'a UnitsIndex,
    pub(crate) communes: &'a Communes,
    /// By commune index: whether ESS establishments there become records.
    pub(crate) keep: &'a [bool],
    pub(crate) themes: &'a ThemeTable,
}

/// Row counts of the establishments pass.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) rows: u64,
    pub(crate) in_referential: u64,
    pub(crate) outside_referential: u64,
    pub(crate) without_commune: u64,
    pub(crate) ess: u64,
    pub(crate) ess_active: u64,
    pub(crate) missing_unit: u64,
}

impl Counts {
    fn add(&mut self, other: &Self) {
        self.rows += other.rows;
        self.in_referential += other.in_referential;
        self.outside_referential += other.outside_referential;
        self.without_commune += other.without_commune;
        self.ess += other.ess;
        self.ess_active += other.ess_active;
        self.missing_unit += other.missing_unit;
    }
}

pub(crate) struct Worker<'a> {
    context: &'a Context<'a>,
    columns: Columns,
    hint: usize,
    pending: Pending,
    aggregates: &'a Mutex<Aggregates>,
    directory: Vec<DirectoryRow>,
    counts: Counts,
    rejections: Rejections,
    /// Of a batch decoded from Parquet: the classes of its values, and the rows that become
    /// directory records.
    tables: Tables,
    kept: Vec<Kept>,
}

/// What the directory record of an ESS establishment of a kept commune is made of. The record
/// is made once the pass is over, when the identities of the units are known (those read from
/// Parquet are read then: see [`UnitsIndex::read_identities`]).
pub(crate) struct DirectoryRow {
    pub(crate) siren: u32,
    /// The fields of [`REQUIRED`].
    required: [String; 9],
    /// The fields of [`DIRECTORY`]; the SIRET made of the SIREN and the NIC when the file has
    /// no SIRET column.
    directory: [String; 12],
    classes: Classes,
}

/// What a directory record takes of its row's classification.
#[derive(Clone, Copy)]
struct Classes {
    active: bool,
    employer: bool,
    family: Family,
    jobs_x2: u32,
}

/// A row of a batch that becomes a directory record once its details are read.
struct Kept {
    row: usize,
    siren: u32,
    classes: Classes,
}

/// The commune class of a code outside the referential.
const OUTSIDE: u16 = u16::MAX;
/// The commune class of a blank code (outside the referential too).
const BLANK: u16 = u16::MAX - 1;
/// The year class of a date that is not one.
const NO_YEAR: u16 = u16::MAX;
const STATE_OTHER: u8 = 0;
const STATE_ACTIVE: u8 = 1;
const STATE_CLOSED: u8 = 2;

/// The classes of the values of the columns every row needs, in a batch decoded from Parquet
/// (see `coded.rs`), in the order of [`REQUIRED`] after the SIREN.
#[derive(Default)]
struct Tables {
    /// The commune's index, [`OUTSIDE`] or [`BLANK`].
    commune: Classified<u16>,
    state: Classified<u8>,
    /// Whether `O`.
    employer: Classified<bool>,
    /// The band's index in [`BANDS`].
    band: Classified<Option<u8>>,
    /// Whether an activity excluded from the ESS.
    naf: Classified<bool>,
    nomenclature: Classified<()>,
    /// The year, or [`NO_YEAR`].
    created: Classified<u16>,
    changed: Classified<u16>,
    /// By row: the classes of the columns of many values, gathered at once.
    communes: Vec<u16>,
    creations: Vec<u16>,
    changes: Vec<u16>,
    /// By activity and nomenclature (their codes in `naf` and `nomenclature`): the section,
    /// and the range of `themes` its themes are; emptied when either dictionary changes.
    activities: HashMap<(u32, u32), (usize, Range<usize>)>,
    themes: Vec<usize>,
    /// Whether every value of those columns is text (UTF-8) in this batch.
    all_text: bool,
}

/// A year class as a year.
fn year(class: u16) -> Option<i32> {
    (class != NO_YEAR).then_some(i32::from(class))
}

impl Tables {
    /// Classifies the required columns of `batch` (`at`: their positions in it).
    fn load(&mut self, batch: &Batch, at: &[usize; 9], context: &Context<'_>) {
        let rows = batch.rows;
        let column = |index: usize| &batch.columns[at[index]];
        self.commune
            .load(column(1), rows, |code| match context.communes.index(code) {
                Some(index) => u16::try_from(index).unwrap_or(OUTSIDE),
                None if code.iter().all(u8::is_ascii_whitespace) => BLANK,
                None => OUTSIDE,
            });
        self.state.load(column(2), rows, |state| match state {
            b"A" => STATE_ACTIVE,
            b"F" => STATE_CLOSED,
            _ => STATE_OTHER,
        });
        self.employer
            .load(column(3), rows, |employer| employer == b"O");
        self.band.load(column(4), rows, |band| {
            band_index_bytes(band).and_then(|slot| u8::try_from(slot).ok())
        });
        let mut changed = self
            .naf
            .load(column(5), rows, |naf| is_excluded_activity(text(naf)));
        changed |= self.nomenclature.load(column(6), rows, |_| ());
        if changed {
            self.activities.clear();
            self.themes.clear();
        }
        let year = |date: &[u8]| {
            year_of_bytes(date)
                .and_then(|year| u16::try_from(year).ok())
                .unwrap_or(NO_YEAR)
        };
        self.created.load(column(7), rows, year);
        self.changed.load(column(8), rows, year);
        self.commune.gather(rows, &mut self.communes);
        self.created.gather(rows, &mut self.creations);
        self.changed.gather(rows, &mut self.changes);
        self.all_text = self.commune.all_text()
            && self.state.all_text()
            && self.employer.all_text()
            && self.band.all_text()
            && self.naf.all_text()
            && self.nomenclature.all_text()
            && self.created.all_text()
            && self.changed.all_text();
    }

    /// The section and themes of row `row`'s activity.
    fn activity(
        &mut self,
        batch: &Batch,
        at: &[usize; 9],
        row: usize,
        themes: &ThemeTable,
    ) -> (usize, Range<usize>) {
        let key = (self.naf.code(row), self.nomenclature.code(row));
        if let Some((section, range)) = self.activities.get(&key) {
            return (*section, range.clone());
        }
        let field = |index: usize| text(batch.columns[at[index]].field(row).unwrap_or_default());
        let (naf, nomenclature) = (field(5), field(6));
        let start = self.themes.len();
        self.themes.extend(themes.theme_indices(naf, nomenclature));
        let classes = (section_index(naf, nomenclature), start..self.themes.len());
        self.activities.insert(key, classes.clone());
        classes
    }
}

/// The estimated jobs of an establishment, doubled: its band's midpoint when active.
fn jobs_x2(active: bool, band: Option<usize>) -> u32 {
    match band {
        Some(slot) if active => BANDS[slot].1,
        _ => 0,
    }
}

impl<'a> Worker<'a> {
    /// The entry of the unit of `siren` when it can belong to the ESS; a unit the units file
    /// lacks is counted.
    fn unit(&mut self, siren: u32) -> Option<&'a UnitEntry> {
        let units = self.context.units;
        if units.exists(siren) {
            units.candidate(siren, &mut self.hint)
        } else {
            self.counts.missing_unit += 1;
            None
        }
    }

    fn new(context: &'a Context<'a>, columns: &Columns, aggregates: &'a Mutex<Aggregates>) -> Self {
        Self {
            context,
            columns: columns.clone(),
            hint: 0,
            pending: Pending::new(context.themes.len()),
            aggregates,
            directory: Vec::new(),
            counts: Counts::default(),
            rejections: Rejections::default(),
            tables: Tables::default(),
            kept: Vec::new(),
        }
    }

    fn row(&mut self, record: &Record<'_>, seq: u64) {
        let columns = &self.columns;
        let Some((fields, siren)) = accept(
            record,
            columns.len,
            &columns.required,
            seq,
            &mut self.rejections,
        ) else {
            return;
        };
        let [
            _,
            commune,
            state,
            employer,
            band,
            naf,
            nomenclature,
            created,
            changed,
        ] = fields;
        let context = self.context;
        let active = state == b"A";
        let employer = active && employer == b"O";
        let band_slot = band_index_bytes(band);
        let jobs_x2 = jobs_x2(active, band_slot);
        let unit = self.unit(siren);
        let ess_unit = unit.filter(|unit| {
            unit.flag_o() || (unit.family().is_some() && !is_excluded_activity(text(naf)))
        });
        let counts = &mut self.counts;
        if ess_unit.is_some() {
            counts.ess += 1;
            counts.ess_active += u64::from(active);
        }
        let Some(commune_index) = context.communes.index(commune) else {
            counts.outside_referential += 1;
            counts.without_commune += u64::from(commune.iter().all(u8::is_ascii_whitespace));
            return;
        };
        counts.in_referential += 1;
        let family = ess_unit
            .and_then(UnitEntry::family)
            .unwrap_or(Family::SocieteCommercialeEss);
        let classified = ess_unit.is_some() && active;
        let section = if classified {
            section_index(text(naf), text(nomenclature))
        } else {
            0
        };
        let row = Row {
            commune: commune_index,
            active,
            employer,
            jobs_x2,
            ess: ess_unit.is_some(),
            creation_year: year_of_bytes(created),
            closure_year: if state == b"F" {
                year_of_bytes(changed)
            } else {
                None
            },
            family,
            section,
            band: band_slot.ok_or_else(|| text(band)),
        };
        let themes = classified
            .then(|| context.themes.theme_indices(text(naf), text(nomenclature)))
            .into_iter()
            .flatten();
        self.pending.add(&row, themes);
        if ess_unit.is_some() && context.keep[commune_index] && self.columns.identifies() {
            let classes = Classes {
                active,
                employer,
                family,
                jobs_x2,
            };
            let row = self.directory_row(record, siren, &fields, classes);
            self.directory.push(row);
        }
    }

    /// What the directory record of an ESS establishment is made of.
    fn directory_row(
        &self,
        record: &Record<'_>,
        siren: u32,
        fields: &[&[u8]; 9],
        classes: Classes,
    ) -> DirectoryRow {
        let required = fields.map(|field| text(field).to_owned());
        let mut directory = self
            .columns
            .directory
            .map(|column| optional_text(record, column).to_owned());
        if directory[0].is_empty() {
            directory[0] = format!("{}{}", required[0], optional_text(record, self.columns.nic));
        }
        DirectoryRow {
            siren,
            required,
            directory,
            classes,
        }
    }
}

impl ChunkWorker for Worker<'_> {
    type Piece = ();

    fn projection(&self) -> &Projection {
        &self.columns.projection
    }

    fn process(&mut self, seq: u64, records: &mut Records<'_>) -> Option<()> {
        self.hint = 0;
        while let Some(record) = records.next_record() {
            self.counts.rows += 1;
            self.row(&record, seq);
        }
        self.pending.flush(self.aggregates);
        None
    }

    /// The rules of [`Worker::row`], column by column: rows rejected for the same reasons, in
    /// the same order, and counted and aggregated the same. The rows selected are those `row`
    /// makes a directory record of: ESS establishments of a kept commune.
    fn fold_batch(&mut self, batch: &Batch) -> Vec<usize> {
        let at = self.columns.required;
        let context = self.context;
        self.hint = 0;
        self.kept.clear();
        self.tables.load(batch, &at, context);
        let identifies = self.columns.identifies();
        let mut selected = Vec::new();
        for row in 0..batch.rows {
            self.counts.rows += 1;
            let Some(siren) = self.checked_siren(batch, row) else {
                continue;
            };
            let tables = &self.tables;
            let state = tables.state.get(row);
            let active = state == STATE_ACTIVE;
            let employer = active && tables.employer.get(row);
            let band_slot = tables.band.get(row).map(usize::from);
            let jobs_x2 = jobs_x2(active, band_slot);
            let unit = self.unit(siren);
            let tables = &self.tables;
            let ess_unit = unit
                .filter(|unit| unit.flag_o() || (unit.family().is_some() && !tables.naf.get(row)));
            let counts = &mut self.counts;
            if ess_unit.is_some() {
                counts.ess += 1;
                counts.ess_active += u64::from(active);
            }
            let commune = tables.communes[row];
            if commune >= BLANK {
                counts.outside_referential += 1;
                counts.without_commune += u64::from(commune == BLANK);
                continue;
            }
            counts.in_referential += 1;
            let commune = usize::from(commune);
            let family = ess_unit
                .and_then(UnitEntry::family)
                .unwrap_or(Family::SocieteCommercialeEss);
            let (section, themes) = if ess_unit.is_some() && active {
                self.tables.activity(batch, &at, row, context.themes)
            } else {
                (0, 0..0)
            };
            let tables = &self.tables;
            let row_facts = Row {
                commune,
                active,
                employer,
                jobs_x2,
                ess: ess_unit.is_some(),
                creation_year: year(tables.creations[row]),
                closure_year: if state == STATE_CLOSED {
                    year(tables.changes[row])
                } else {
                    None
                },
                family,
                section,
                band: band_slot
                    .ok_or_else(|| text(batch.columns[at[4]].field(row).unwrap_or_default())),
            };
            self.pending
                .add(&row_facts, tables.themes[themes].iter().copied());
            if ess_unit.is_some() && context.keep[commune] && identifies {
                selected.push(row);
                self.kept.push(Kept {
                    row,
                    siren,
                    classes: Classes {
                        active,
                        employer,
                        family,
                        jobs_x2,
                    },
                });
            }
        }
        self.pending.flush(self.aggregates);
        selected
    }

    fn finish_batch(&mut self, batch: &Batch) -> Option<()> {
        for kept in std::mem::take(&mut self.kept) {
            let record = Record::at(batch, kept.row);
            let fields = self.columns.required.map(|column| record.get(column));
            let row = self.directory_row(&record, kept.siren, &fields, kept.classes);
            self.directory.push(row);
        }
        None
    }
}

impl Worker<'_> {
    /// Row `row`'s SIREN, its required fields checked to be UTF-8 first, as [`accept`] does;
    /// `None` when the row is rejected (and counted so).
    #[inline]
    fn checked_siren(&mut self, batch: &Batch, row: usize) -> Option<u32> {
        let at = self.columns.required;
        let tables = &self.tables;
        self.rejections.batch_siren(batch, row, at[0], || {
            if tables.all_text {
                return None;
            }
            [
                tables.commune.invalid(row),
                tables.state.invalid(row),
                tables.employer.invalid(row),
                tables.band.invalid(row),
                tables.naf.invalid(row),
                tables.nomenclature.invalid(row),
                tables.created.invalid(row),
                tables.changed.invalid(row),
            ]
            .iter()
            .position(|invalid| *invalid)
            .map(|index| at[index + 1])
        })
    }
}

/// The directory record of an ESS establishment, its unit's identity known.
fn directory_record(
    row: &DirectoryRow,
    unit: &UnitEntry,
    units: &UnitsIndex,
    themes: &ThemeTable,
) -> EstablishmentRecord {
    let [
        siren_text,
        commune,
        _,
        _,
        band,
        naf,
        nomenclature,
        created,
        _,
    ] = row.required.each_ref().map(String::as_str);
    let [
        siret,
        diffusion,
        head_office,
        enseigne,
        usual_name,
        numero,
        indice,
        type_voie,
        libelle_voie,
        postcode,
        lambert_x,
        lambert_y,
    ] = row.directory.each_ref().map(String::as_str);
    let row = row.classes;
    let partial = unit.partial() || diffusion == "P";
    let protected = unit.category() == NATURAL_PERSON_CATEGORY && partial;
    let owned = |value: &str| public(value).map(str::to_owned);
    EstablishmentRecord {
        siret: siret.to_owned(),
        siren: siren_text.to_owned(),
        commune: commune.to_owned(),
        active: row.active,
        employer: row.employer,
        head_office: head_office == "true",
        diffusion_partial: partial,
        name: if protected {
            None
        } else {
            units.name(unit).map(str::to_owned)
        },
        acronym: if protected {
            None
        } else {
            units.acronym(unit).map(str::to_owned)
        },
        sign: sign(enseigne, usual_name, protected),
        address_line: address_line(partial, numero, indice, type_voie, libelle_voie),
        postcode: owned(postcode),
        naf: owned(naf),
        naf_nomenclature: owned(nomenclature),
        band: owned(band),
        family: row.family,
        legal_category: unit.category().to_owned(),
        ess_flag: unit.flag_o(),
        created: year_of_bytes(created.as_bytes()).map(|_| created.to_owned()),
        lambert_x: lambert(lambert_x),
        lambert_y: lambert(lambert_y),
        section: SECTION_KEYS[section_index(naf, nomenclature)].to_owned(),
        themes: themes
            .themes_of(naf, nomenclature)
            .map(str::to_owned)
            .collect(),
        jobs_x2: row.jobs_x2,
    }
}

/// The directory records of the rows kept, sorted by SIRET, their units' identities known.
pub(crate) fn records(
    rows: &[DirectoryRow],
    units: &UnitsIndex,
    themes: &ThemeTable,
) -> Vec<EstablishmentRecord> {
    let mut records: Vec<EstablishmentRecord> = rows
        .iter()
        .filter_map(|row| {
            let mut hint = 0;
            let unit = units.candidate(row.siren, &mut hint)?;
            Some(directory_record(row, unit, units, themes))
        })
        .collect();
    records.sort_by(|a, b| a.siret.cmp(&b.siret));
    records
}

/// The outcome of the establishments pass.
pub(crate) struct EstablishmentsPass {
    pub(crate) streamed: Streamed<()>,
    pub(crate) aggregates: Aggregates,
    /// The rows that become directory records (see [`records`]).
    pub(crate) directory: Vec<DirectoryRow>,
    pub(crate) counts: Counts,
    pub(crate) rejections: Rejections,
    pub(crate) missing_columns: Vec<&'static str>,
    /// No SIRET nor NIC column: no record could be identified.
    pub(crate) unidentified: bool,
}

pub(crate) fn read(
    path: &Path,
    threads: usize,
    context: &Context<'_>,
    aggregates: Aggregates,
    on_bytes: &(dyn Fn(u64, &SourceInfo) + Sync),
) -> Result<EstablishmentsPass, ImportError> {
    let aggregates = Mutex::new(aggregates);
    let (columns, streamed, _) = stream(
        path,
        threads,
        on_bytes,
        &WANTED,
        Columns::new,
        |columns| Worker::new(context, columns, &aggregates),
        |()| {},
    )?;
    let Streamed {
        info,
        header,
        workers,
        lines,
    } = streamed;
    if workers.is_empty() {
        return Err(ImportError::Internal("aucun fil de lecture".into()));
    }
    let mut directory = Vec::new();
    let mut counts = Counts::default();
    let mut rejections = Rejections::default();
    for worker in workers {
        directory.extend(worker.directory);
        counts.add(&worker.counts);
        rejections.merge(worker.rejections);
    }
    Ok(EstablishmentsPass {
        streamed: Streamed {
            info,
            header,
            workers: Vec::new(),
            lines,
        },
        aggregates: aggregates
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
        directory,
        counts,
        rejections,
        unidentified: !columns.identifies(),
        missing_columns: columns.missing,
    })
}
