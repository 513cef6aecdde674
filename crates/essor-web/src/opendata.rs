//! The subsidies granted, as open data in the national schema SCDL « subventions » 2.1.1
//! (`essor_domain::opendata`): `GET /opendata/subventions.csv?annee=` for everyone, and
//! [`subsidies_csv`] for `essor export subventions`, so both give the same bytes.
//!
//! One row per accepted dossier (every amount, not only those above 23 000 € that the law
//! requires). `dateConvention` is the day the agreement was signed, or, while it is not, the
//! day of the decision. The beneficiary's name is its name in the last SIRENE import (never
//! the name of a protected person); its RNA number is not known to essor, so `rnaBeneficiaire`
//! stays empty and the SIRET identifies every beneficiary. `conditionsVersement` and
//! `datesPeriodeVersement` come from the payment schedule staff set (« unique » on its date, or
//! « échelonné » from the first due date to the last); a dossier without a schedule yet is
//! « échelonné » from the convention's date to twelve months later.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Months, NaiveDate, Utc};
use essor_domain::dates::format_date;
use essor_domain::dossier::State as DossierState;
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::opendata::{self, ConventionDate, Grantor, Subsidy};
use essor_domain::referential::Referential;
use essor_domain::territory::{Territory, TerritoryRef};
use essor_domain::{Money, Siret};
use essor_store::Store;
use essor_store::dossiers::Dossier;

use crate::{AppError, AppState};

/// Why the file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("aucun territoire par défaut n’est configuré")]
    NoTerritory,
    #[error(
        "le SIRET de la collectivité qui attribue les subventions n’est pas connu pour le \
         territoire {0} : renseignez le réglage [opendata] siret_attribuant"
    )]
    NoGrantorSiret(String),
    #[error("territoire du site : {0}")]
    Territory(String),
    #[error(transparent)]
    Store(#[from] essor_store::StoreError),
    #[error("écriture du CSV : {0}")]
    Csv(#[from] csv::Error),
    #[error("annuaire : {0}")]
    Directory(String),
}

/// Who grants: the default territory's name, and the configured SIRET or the one essor knows
/// for it.
pub async fn grantor(
    store: &dyn Store,
    referential: &Referential,
    configured: Option<&Siret>,
) -> Result<Grantor, ExportError> {
    let territory = store
        .default_territory()
        .await?
        .ok_or(ExportError::NoTerritory)?;
    let resolved = territory
        .reference
        .parse::<TerritoryRef>()
        .map_err(|e| ExportError::Territory(e.to_string()))?
        .resolve(referential)
        .map_err(|e| ExportError::Territory(e.to_string()))?;
    grantor_of(&resolved, configured)
}

/// The territory's authority as the grantor: its name, and the configured SIRET or the one
/// essor knows for it.
fn grantor_of(territory: &Territory, configured: Option<&Siret>) -> Result<Grantor, ExportError> {
    let siret = configured
        .cloned()
        .or_else(|| opendata::known_authority_siret(&territory.code))
        .ok_or_else(|| ExportError::NoGrantorSiret(territory.name.clone()))?;
    Ok(Grantor {
        name: territory.name.clone(),
        siret,
    })
}

/// The names of the establishments of the last SIRENE import among `sirets`, as the directory
/// shows them.
async fn names(
    store: &dyn Store,
    referential: &Referential,
    sirets: &BTreeSet<&str>,
) -> Result<HashMap<String, String>, ExportError> {
    let mut names = HashMap::new();
    let Some(snapshot) = store.latest_snapshot().await? else {
        return Ok(names);
    };
    let mut communes = Vec::new();
    for configured in store.territories().await? {
        if let Ok(territory) = configured
            .reference
            .parse::<TerritoryRef>()
            .map_err(|e| e.to_string())
            .and_then(|r| r.resolve(referential).map_err(|e| e.to_string()))
        {
            communes.extend(territory.commune_codes_with_arrondissements());
        }
    }
    for row in store
        .snapshot_establishments(snapshot.id, &communes)
        .await?
    {
        if !sirets.contains(row.siret.as_str()) {
            continue;
        }
        if let Ok(record) = serde_json::from_str::<EstablishmentRecord>(&row.record) {
            names.insert(row.siret, essor_domain::actor::display_name(&record));
        }
    }
    Ok(names)
}

/// The subsidies of the accepted dossiers (of `year`'s envelope, or all), oldest agreement
/// first.
#[must_use]
pub fn subsidies<S: std::hash::BuildHasher, T: std::hash::BuildHasher>(
    dossiers: &[Dossier],
    year: Option<i32>,
    names: &HashMap<String, String, S>,
    schedules: &HashMap<i64, Vec<NaiveDate>, T>,
) -> Vec<Subsidy> {
    let mut out: Vec<(Subsidy, i64)> = dossiers
        .iter()
        .filter(|d| d.state == DossierState::Accepted && year.is_none_or(|y| d.year == y))
        .filter_map(|d| {
            let amount = d.granted.filter(|g| *g > Money::ZERO)?;
            let siret = Siret::parse(&d.siret).ok()?;
            let convention = match (d.agreement_signed_on, d.decided_at) {
                (Some(signed), _) => ConventionDate::Signed(signed),
                (None, Some(decided)) => ConventionDate::Decided(decided.date_naive()),
                (None, None) => return None,
            };
            let beneficiary = names
                .get(&d.siret)
                .filter(|n| !n.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| format!("Établissement SIRET {}", d.siret));
            Some((
                Subsidy {
                    reference: format!("essor-{}-{}", d.year, d.id),
                    beneficiary,
                    siret,
                    rna: None,
                    object: d.application.title.clone(),
                    amount,
                    convention,
                    instalments: schedules.get(&d.id).cloned().unwrap_or_default(),
                },
                d.id,
            ))
        })
        .collect();
    out.sort_by_key(|(s, id)| (s.convention.date(), *id));
    out.into_iter().map(|(s, _)| s).collect()
}

/// The whole file: header and rows, the names read from the last SIRENE import (the command
/// line; the web reads them from the directory's catalogue, the same names).
pub async fn subsidies_csv(
    store: &dyn Store,
    referential: &Referential,
    configured: Option<&Siret>,
    year: Option<i32>,
) -> Result<Vec<u8>, ExportError> {
    let grantor = grantor(store, referential, configured).await?;
    let dossiers = store.dossiers(Some(DossierState::Accepted)).await?;
    let sirets: BTreeSet<&str> = dossiers.iter().map(|d| d.siret.as_str()).collect();
    let names = names(store, referential, &sirets).await?;
    let schedules = schedules(store).await?;
    write(&grantor, &dossiers, year, &names, &schedules)
}

/// The due dates of every dossier's payment schedule, by dossier (one query).
async fn schedules(store: &dyn Store) -> Result<HashMap<i64, Vec<NaiveDate>>, ExportError> {
    let mut out: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    for (dossier, due) in store.instalment_dates().await? {
        out.entry(dossier).or_default().push(due);
    }
    Ok(out)
}

fn write(
    grantor: &Grantor,
    dossiers: &[Dossier],
    year: Option<i32>,
    names: &HashMap<String, String>,
    schedules: &HashMap<i64, Vec<NaiveDate>>,
) -> Result<Vec<u8>, ExportError> {
    let rows = subsidies(dossiers, year, names, schedules);
    let mut out = Vec::new();
    opendata::write_csv(&mut out, grantor, &rows)?;
    Ok(out)
}

/// What the served files were written from: the dossiers (their number and last change), and
/// the directory and site context in memory (names, territory), held so that a later one is
/// recognised by identity.
struct Basis {
    dossiers: (i64, Option<DateTime<Utc>>),
    actors: crate::directory::Actors,
    context: Arc<crate::site::SiteContext>,
}

impl Basis {
    fn same(&self, other: &Self) -> bool {
        self.dossiers == other.dossiers
            && Arc::ptr_eq(&self.actors, &other.actors)
            && Arc::ptr_eq(&self.context, &other.context)
    }
}

/// The files last served, by year asked (`None`: every year), all written from one basis:
/// served again while nothing they depend on changed, so a download costs one light query;
/// dropped together as soon as it changed.
#[derive(Default)]
pub struct SubsidiesFiles {
    files: Mutex<Files>,
}

/// The file as the web serves it: the beneficiaries' names from the directory in memory, the
/// grantor from the site's territory.
async fn web_csv(state: &AppState, year: Option<i32>) -> Result<Bytes, ExportError> {
    let (context, actors) = match state.directory(false).await {
        Ok(found) => found,
        Err(AppError::Store(e)) => return Err(ExportError::Store(e)),
        Err(e) => return Err(ExportError::Directory(e.to_string())),
    };
    let basis = Basis {
        dossiers: state.store.dossiers_version().await?,
        actors,
        context,
    };
    if let Some((kept, files)) = lock(&state.subsidies).as_ref()
        && kept.same(&basis)
        && let Some(bytes) = files.get(&year)
    {
        return Ok(bytes.clone());
    }
    let grantor = grantor_of(&basis.context.territory, state.grantor_siret.as_ref())?;
    let dossiers = state.store.dossiers(Some(DossierState::Accepted)).await?;
    let names: HashMap<String, String> = dossiers
        .iter()
        .filter_map(|d| {
            basis
                .actors
                .get(&d.siret)
                .map(|a| (d.siret.clone(), a.name.clone()))
        })
        .collect();
    let schedules = schedules(state.store.as_ref()).await?;
    let bytes = Bytes::from(write(&grantor, &dossiers, year, &names, &schedules)?);
    let mut files = lock(&state.subsidies);
    match files.as_mut() {
        Some((kept, by_year)) if kept.same(&basis) => {
            by_year.insert(year, bytes.clone());
        }
        _ => *files = Some((basis, HashMap::from([(year, bytes.clone())]))),
    }
    Ok(bytes)
}

type Files = Option<(Basis, HashMap<Option<i32>, Bytes>)>;

fn lock(files: &SubsidiesFiles) -> std::sync::MutexGuard<'_, Files> {
    files
        .files
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `GET /opendata/subventions.csv?annee=2025`: the subsidies granted (on the envelope of that
/// year, or all), for everyone.
pub(crate) async fn csv_download(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let year = match query
        .get("annee")
        .map(|y| y.trim())
        .filter(|y| !y.is_empty())
    {
        None => None,
        Some(raw) => match raw.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "Paramètre annee : indiquez une année sur quatre chiffres, par exemple 2025.",
                )
                    .into_response());
            }
        },
    };
    let bytes = match web_csv(&state, year).await {
        Ok(bytes) => bytes,
        Err(ExportError::Store(e)) => return Err(AppError::Store(e)),
        Err(ExportError::NoTerritory | ExportError::NoGrantorSiret(_)) => {
            return Err(AppError::NotConfigured(
                "le territoire ou le SIRET de la collectivité (réglage [opendata])",
            ));
        }
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    let file = year.map_or_else(
        || "subventions.csv".to_owned(),
        |y| format!("subventions-{y}.csv"),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// What the dossier page says of the open data: whether the dossier is a demonstration one,
/// and how its subsidy is published.
pub(crate) struct DossierOpenData {
    pub demo: bool,
    pub publication: Option<Publication>,
}

/// How a granted subsidy is published.
pub(crate) struct Publication {
    pub year: i32,
    /// The `dateConvention` published, `28/11/2026`.
    pub date: String,
    pub signed: bool,
    /// Above 23 000 €: publication is a legal duty.
    pub mandatory: bool,
    /// Three months after the signature, when signed.
    pub deadline: Option<String>,
}

/// The dossier page's open-data part.
pub(crate) async fn for_dossier(
    state: &AppState,
    dossier: &Dossier,
) -> Result<DossierOpenData, AppError> {
    let demo = state.store.is_demo_dossier(dossier.id).await?;
    let publication = dossier
        .granted
        .filter(|_| dossier.state == DossierState::Accepted)
        .and_then(|granted| {
            let (date, signed) = match (dossier.agreement_signed_on, dossier.decided_at) {
                (Some(signed), _) => (signed, true),
                (None, Some(decided)) => (decided.date_naive(), false),
                (None, None) => return None,
            };
            Some(Publication {
                year: dossier.year,
                date: format_date(date),
                signed,
                mandatory: granted > opendata::AGREEMENT_THRESHOLD,
                deadline: dossier
                    .agreement_signed_on
                    .and_then(|d| d.checked_add_months(Months::new(3)))
                    .map(format_date),
            })
        });
    Ok(DossierOpenData { demo, publication })
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use essor_domain::dossier::Application;

    use super::*;

    fn dossier(id: i64, state: DossierState, granted: Option<i64>) -> Dossier {
        let at = Utc.with_ymd_and_hms(2025, 6, 12, 10, 0, 0).unwrap();
        Dossier {
            id,
            siret: "73282932000074".into(),
            siren: "732829320".into(),
            year: 2025,
            state,
            application: Application {
                title: "Atelier vélo".into(),
                ..Application::default()
            },
            granted: granted.map(Money::from_cents),
            checks: Vec::new(),
            assigned_to: None,
            created_by: None,
            created_at: at,
            updated_at: at,
            submitted_at: Some(at),
            decided_at: state.is_decided().then_some(at),
            agreement_signed_on: None,
        }
    }

    #[test]
    fn only_accepted_dossiers_become_rows_dated_by_their_agreement_or_decision() {
        let mut signed = dossier(2, DossierState::Accepted, Some(1_000_000));
        signed.agreement_signed_on = NaiveDate::from_ymd_opt(2025, 7, 1);
        let all = [
            dossier(1, DossierState::Accepted, Some(500_050)),
            signed,
            dossier(3, DossierState::Refused, None),
            dossier(4, DossierState::OnAgenda, None),
        ];
        let names = HashMap::from([("73282932000074".to_owned(), "VÉLO SOLIDAIRE".to_owned())]);
        let rows = subsidies(&all, Some(2025), &names, &HashMap::new());
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].convention,
            ConventionDate::Decided(NaiveDate::from_ymd_opt(2025, 6, 12).unwrap())
        );
        assert_eq!(rows[0].amount, Money::from_cents(500_050));
        assert_eq!(rows[0].beneficiary, "VÉLO SOLIDAIRE");
        assert_eq!(rows[0].reference, "essor-2025-1");
        assert!(matches!(rows[1].convention, ConventionDate::Signed(_)));
        assert!(subsidies(&all, Some(2024), &names, &HashMap::new()).is_empty());
        let unnamed = subsidies(&all, None, &HashMap::new(), &HashMap::new());
        assert_eq!(unnamed[0].beneficiary, "Établissement SIRET 73282932000074");
    }
}
