//! The second pass: establishments (`StockEtablissement`), classified and aggregated by commune;
//! ESS establishments of the kept communes become directory records.

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
use crate::communes::Communes;
use crate::pipeline::{
    ChunkWorker, Rejections, Streamed, Wanted, accept, optional_text, stream, text,
};
use crate::records::{Projection, Record, Records};
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

/// Columns the directory needs, in the order of [`Directory`].
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
    records: Vec<EstablishmentRecord>,
    counts: Counts,
    rejections: Rejections,
}

impl<'a> Worker<'a> {
    fn new(context: &'a Context<'a>, columns: &Columns, aggregates: &'a Mutex<Aggregates>) -> Self {
        Self {
            context,
            columns: columns.clone(),
            hint: 0,
            pending: Pending::new(context.themes.len()),
            aggregates,
            records: Vec::new(),
            counts: Counts::default(),
            rejections: Rejections::default(),
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
        let jobs_x2 = match band_slot {
            Some(slot) if active => BANDS[slot].1,
            _ => 0,
        };
        let unit = if context.units.exists(siren) {
            context.units.candidate(siren, &mut self.hint)
        } else {
            self.counts.missing_unit += 1;
            None
        };
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
        if let Some(unit) = ess_unit
            && context.keep[commune_index]
            && columns.identifies()
        {
            let record = self.directory_record(record, unit, &fields, &row);
            self.records.push(record);
        }
    }

    /// The directory record of an ESS establishment.
    fn directory_record(
        &self,
        record: &Record<'_>,
        unit: &UnitEntry,
        fields: &[&[u8]; 9],
        row: &Row<'_>,
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
        ] = fields.map(text);
        let units = self.context.units;
        let [
            siret_field,
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
        ] = self
            .columns
            .directory
            .map(|column| optional_text(record, column));
        let siret = if siret_field.is_empty() {
            format!("{siren_text}{}", optional_text(record, self.columns.nic))
        } else {
            siret_field.to_owned()
        };
        let partial = unit.partial() || diffusion == "P";
        let protected = unit.category() == NATURAL_PERSON_CATEGORY && partial;
        let owned = |value: &str| public(value).map(str::to_owned);
        EstablishmentRecord {
            siret,
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
            themes: self
                .context
                .themes
                .themes_of(naf, nomenclature)
                .map(str::to_owned)
                .collect(),
            jobs_x2: row.jobs_x2,
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

    /// The rows [`Worker::row`] makes a directory record of: ESS establishments of a kept
    /// commune (the same tests, in the same order; rejections are left to `row`).
    fn detail_rows(&mut self, records: &mut Records<'_>) -> Option<Vec<usize>> {
        let columns = &self.columns;
        let context = self.context;
        let mut selected = Vec::new();
        if !columns.identifies() {
            return Some(selected);
        }
        let mut ignored = Rejections::default();
        let mut hint = 0;
        let mut row = 0;
        while let Some(record) = records.next_record() {
            // The commune first: most rows are not in a kept one, and need no other test.
            let kept = |code: &[u8]| {
                context
                    .communes
                    .index(code)
                    .is_some_and(|commune| context.keep[commune])
            };
            if kept(record.get(columns.required[1]))
                && let Some((fields, siren)) =
                    accept(&record, columns.len, &columns.required, 0, &mut ignored)
                && context.units.exists(siren)
                && context
                    .units
                    .candidate(siren, &mut hint)
                    .is_some_and(|unit| {
                        unit.flag_o()
                            || (unit.family().is_some() && !is_excluded_activity(text(fields[5])))
                    })
            {
                selected.push(row);
            }
            row += 1;
        }
        Some(selected)
    }
}

/// The outcome of the establishments pass.
pub(crate) struct EstablishmentsPass {
    pub(crate) streamed: Streamed<()>,
    pub(crate) aggregates: Aggregates,
    pub(crate) records: Vec<EstablishmentRecord>,
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
    let mut records = Vec::new();
    let mut counts = Counts::default();
    let mut rejections = Rejections::default();
    for worker in workers {
        records.extend(worker.records);
        counts.add(&worker.counts);
        rejections.merge(worker.rejections);
    }
    records.sort_by(|a, b| a.siret.cmp(&b.siret));
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
        records,
        counts,
        rejections,
        unidentified: !columns.identifies(),
        missing_columns: columns.missing,
    })
}
