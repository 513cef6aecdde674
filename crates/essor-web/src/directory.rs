//! The directory's catalogue: every actor of the default territory in the last SIRENE import, as
//! the directory shows it (public fields only), with the profiles structures wrote, and the search
//! index built from them.
//!
//! The catalogue is derived data. It is built when the process starts, then follows the store:
//! at most every [`REFRESH_AFTER`], a request checks the last import and the last profile
//! revision; a new import rebuilds everything, a new profile revision (written by this process or
//! another one sharing the database) updates that actor only.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use essor_domain::actor::{self, Profile};
use essor_domain::ess::{self, Family};
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::geo::{LatLon, lambert93_to_wgs84};
use essor_domain::referential::Referential;
use essor_domain::territory::Territory;
use essor_search::{ActorDocument, ActorIndex};
use essor_store::Store;
use essor_store::directory::{ManualActor, RequestStatus, StoredProfile};
use serde::Serialize;

use crate::error::AppError;
use crate::site::SiteContext;

/// How long the catalogue is trusted before the store is asked whether it changed.
pub const REFRESH_AFTER: Duration = Duration::from_secs(5);

/// A position on the map; `approximate` when the establishment is placed at its commune's
/// centre (no public coordinates, or partial dissemination).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    pub approximate: bool,
}

/// An actor as every public view shows it: SIRENE's public facts and the structure's profile.
/// Nothing here is masked data: the import dropped `[ND]` values, and [`Actor::from_record`]
/// drops the address, the sign and the coordinates of every unit under partial dissemination.
// The flags are SIRENE's own yes/no facts; an enum would not read better.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    pub siret: String,
    pub siren: String,
    pub name: String,
    pub sign: Option<String>,
    pub acronym: Option<String>,
    pub legal_category: String,
    pub legal_form: String,
    pub family: &'static str,
    pub family_label: &'static str,
    pub naf: Option<String>,
    pub activity: Option<String>,
    pub section: String,
    pub section_label: &'static str,
    pub size_band: Option<&'static str>,
    /// ISO date.
    pub created: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub commune: String,
    pub commune_name: String,
    pub head_office: bool,
    pub active: bool,
    pub employer: bool,
    /// The unit is under partial dissemination: no address, sign nor position is shown.
    pub partial_dissemination: bool,
    /// Theme keys: from the activity, and from the profile's offers.
    pub themes: Vec<String>,
    /// The themes of the activity alone, before the profile's offers add theirs.
    #[serde(skip)]
    activity_themes: Vec<String>,
    pub position: Option<Position>,
    #[serde(skip)]
    pub profile: Option<Profile>,
    /// The profile's revision, when there is one.
    #[serde(skip)]
    pub revision: Option<i64>,
}

impl Actor {
    /// The public view of an establishment record. Protected persons get no name; units under
    /// partial dissemination get no address, no sign and a position at the commune's centre.
    #[must_use]
    pub fn from_record(record: &EstablishmentRecord, referential: &Referential) -> Self {
        let partial = record.diffusion_partial;
        let exact = if partial {
            None
        } else {
            record
                .lambert_x
                .zip(record.lambert_y)
                .and_then(|(x, y)| lambert93_to_wgs84(x, y))
        };
        let position = exact
            .map(|LatLon { lat, lon }| Position {
                lat,
                lon,
                approximate: false,
            })
            .or_else(|| commune_position(&record.commune));
        let family = record.family;
        let naf = record.naf.clone();
        let activity = naf
            .as_deref()
            .filter(|_| {
                record.naf_nomenclature.as_deref().unwrap_or(ess::NAF_REV2) == ess::NAF_REV2
            })
            .and_then(|code| referential.naf_label(code))
            .map(str::to_owned);
        Self {
            siret: record.siret.clone(),
            siren: record.siren.clone(),
            name: actor::display_name(record),
            sign: if partial {
                None
            } else {
                actor::distinct_sign(record)
            },
            acronym: if partial
                && record.legal_category == essor_domain::establishment::NATURAL_PERSON_CATEGORY
            {
                None
            } else {
                record.acronym.clone()
            },
            legal_category: record.legal_category.clone(),
            legal_form: actor::legal_form(&record.legal_category),
            family: family.key(),
            family_label: family.label(),
            naf,
            activity,
            section: record.section.clone(),
            section_label: ess::section_label(&record.section),
            size_band: record
                .band
                .as_deref()
                .map(|b| ess::band_label(ess::band_key(b))),
            created: record.created.clone(),
            address: if partial {
                None
            } else {
                record.address_line.as_deref().map(actor::readable_address)
            },
            postcode: if partial {
                None
            } else {
                record.postcode.clone()
            },
            commune: record.commune.clone(),
            commune_name: commune_name(referential, &record.commune),
            head_office: record.head_office,
            active: record.active,
            employer: record.employer,
            partial_dissemination: partial,
            themes: record.themes.clone(),
            activity_themes: record.themes.clone(),
            position,
            profile: None,
            revision: None,
        }
    }

    /// An actor added by hand: its name and place as written when it was added, placed at its
    /// commune's centre on the map; its structure (if any) is the one whose members edit it.
    #[must_use]
    pub fn from_manual(manual: &ManualActor, referential: &Referential) -> Self {
        let family = Family::parse(&manual.family).unwrap_or(Family::Association);
        Self {
            siret: manual.key(),
            siren: manual.siren.clone().unwrap_or_default(),
            name: manual.name.clone(),
            sign: None,
            acronym: None,
            legal_category: String::new(),
            legal_form: "Non renseignée (acteur absent du répertoire SIRENE)".to_owned(),
            family: family.key(),
            family_label: family.label(),
            naf: None,
            activity: None,
            section: ess::SECTION_NON_CLASSEE.to_owned(),
            section_label: ess::section_label(ess::SECTION_NON_CLASSEE),
            size_band: None,
            created: None,
            address: manual.address.clone(),
            postcode: manual.postcode.clone(),
            commune: manual.commune.clone(),
            commune_name: commune_name(referential, &manual.commune),
            head_office: true,
            active: true,
            employer: false,
            partial_dissemination: false,
            themes: Vec::new(),
            activity_themes: Vec::new(),
            position: commune_position(&manual.commune),
            profile: None,
            revision: None,
        }
    }

    /// The actor with the profile its structure published: the offers' themes join the
    /// activity's.
    #[must_use]
    pub fn with_profile(mut self, stored: Option<&StoredProfile>) -> Self {
        let mut themes = self.activity_themes.clone();
        if let Some(stored) = stored {
            for theme in stored.profile.themes() {
                if !themes.iter().any(|t| t == theme) {
                    themes.push(theme.to_owned());
                }
            }
        }
        self.themes = themes;
        self.profile = stored.map(|p| p.profile.clone());
        self.revision = stored.map(|p| p.revision);
        self
    }

    /// Whether the actor was added by hand (its key is not a SIRET).
    #[must_use]
    pub fn is_manual(&self) -> bool {
        self.siret.starts_with('m')
    }

    /// What the search index holds of the actor.
    #[must_use]
    pub fn document(&self) -> ActorDocument {
        let profile = self.profile.as_ref();
        ActorDocument {
            siret: self.siret.clone(),
            siren: self.siren.clone(),
            name: Some(self.name.clone()),
            acronym: self.acronym.clone(),
            sign: self.sign.clone(),
            description: profile
                .map(|p| p.description.clone())
                .filter(|d| !d.is_empty()),
            offers: profile
                .map(|p| {
                    p.offers
                        .iter()
                        .map(|o| format!("{} {}", o.title, o.description))
                        .collect()
                })
                .unwrap_or_default(),
            activity: self.activity.clone(),
            commune: self.commune.clone(),
            commune_name: self.commune_name.clone(),
            postcode: self.postcode.clone(),
            family: self.family.to_owned(),
            section: self.section.clone(),
            themes: self.themes.clone(),
            offer_kinds: profile
                .map(|p| {
                    p.offer_kinds()
                        .into_iter()
                        .map(|k| k.key().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
            labels: profile
                .map(|p| p.labels.iter().map(|l| l.key().to_owned()).collect())
                .unwrap_or_default(),
            head_office: self.head_office,
            active: self.active,
            sort_name: self.name.clone(),
        }
    }

    #[must_use]
    pub fn url(&self) -> String {
        format!("/acteurs/{}", self.siret)
    }

    /// The family's key as a [`Family`].
    #[must_use]
    pub fn family(&self) -> Option<Family> {
        Family::parse(self.family)
    }
}

/// A commune's name, or its code when the referential does not know it.
pub(crate) fn commune_name(referential: &Referential, code: &str) -> String {
    referential
        .commune(code)
        .map_or_else(|| code.to_owned(), |c| c.name.clone())
}

/// The centre of a commune, as an approximate position.
fn commune_position(code: &str) -> Option<Position> {
    crate::map::commune_centre(code).map(|c| Position {
        lat: c.lat,
        lon: c.lon,
        approximate: true,
    })
}

/// Every actor of the catalogue, by SIRET (or `m<id>` for those added by hand).
pub type Actors = Arc<HashMap<String, Arc<Actor>>>;

/// What the catalogue was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Version {
    snapshot: Option<i64>,
    revision: Option<i64>,
    /// The last actor added by hand, and the last decision on one.
    manual: (Option<i64>, Option<DateTime<Utc>>),
}

struct Loaded {
    version: Version,
    territory: String,
    actors: Actors,
    checked: Instant,
}

/// The actors of the default territory and their search index, shared by every request.
pub struct Catalogue {
    index: Arc<ActorIndex>,
    loaded: RwLock<Option<Loaded>>,
    /// One refresh at a time.
    refreshing: tokio::sync::Mutex<()>,
}

impl Catalogue {
    /// A catalogue over an index (on disk in the data folder, or in memory for tests).
    #[must_use]
    pub fn new(index: ActorIndex) -> Self {
        Self {
            index: Arc::new(index),
            loaded: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// A catalogue whose index lives in memory (tests, and until the server gives it a folder).
    #[must_use]
    pub fn in_memory() -> Self {
        // A RAM directory cannot fail to open: an error here is a bug of the index's schema.
        #[allow(clippy::expect_used)]
        let index = ActorIndex::in_memory().expect("index de recherche en mémoire");
        Self::new(index)
    }

    #[must_use]
    pub fn index(&self) -> &ActorIndex {
        &self.index
    }

    /// The actors as last loaded (empty before the first load).
    #[must_use]
    pub fn actors(&self) -> Actors {
        self.loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|l| Arc::clone(&l.actors))
            .unwrap_or_default()
    }

    #[must_use]
    pub fn actor(&self, siret: &str) -> Option<Arc<Actor>> {
        self.actors().get(siret).cloned()
    }

    /// How many actors the catalogue holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.actors().len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Brings the catalogue up to date with the store and the site context (whose last import
    /// it follows), unless it was checked less than [`REFRESH_AFTER`] ago. While one request
    /// refreshes, the others are served the current catalogue; `force` checks at once and
    /// waits (after a change made by this process).
    pub async fn refresh(
        &self,
        store: &dyn Store,
        referential: &Referential,
        context: &SiteContext,
        force: bool,
    ) -> Result<(), AppError> {
        let territory = &context.territory;
        let loaded = self
            .loaded
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|l| l.territory == territory.code)
            .map(|l| (l.version, Arc::clone(&l.actors), l.checked));
        let _one = match &loaded {
            Some((_, _, checked)) if !force && checked.elapsed() < REFRESH_AFTER => return Ok(()),
            Some(_) if !force => match self.refreshing.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(()),
            },
            _ => self.refreshing.lock().await,
        };
        let latest = Version {
            snapshot: context.snapshot.as_ref().map(|s| s.id),
            revision: store.latest_profile_revision().await?,
            manual: store.manual_actors_version().await?,
        };
        let actors = match loaded {
            Some((version, actors, _)) if version == latest => actors,
            Some((version, actors, _))
                if version.snapshot == latest.snapshot
                    && version.manual == latest.manual
                    && !self.index.needs_rebuild() =>
            {
                self.apply_profiles(store, &actors, version).await?
            }
            _ => self.rebuild(store, referential, territory, latest).await?,
        };
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = Some(Loaded {
            version: latest,
            territory: territory.code.clone(),
            actors,
            checked: Instant::now(),
        });
        Ok(())
    }

    /// Reads every actor of the territory and rebuilds the index.
    async fn rebuild(
        &self,
        store: &dyn Store,
        referential: &Referential,
        territory: &Territory,
        version: Version,
    ) -> Result<Actors, AppError> {
        let started = Instant::now();
        let mut actors = HashMap::new();
        let profiles: HashMap<String, StoredProfile> = store
            .profiles()
            .await?
            .into_iter()
            .map(|p| (p.siret.clone(), p))
            .collect();
        for manual in store.manual_actors(Some(RequestStatus::Approved)).await? {
            if territory.contains(&manual.commune) {
                let actor = Actor::from_manual(&manual, referential)
                    .with_profile(profiles.get(&manual.key()));
                actors.insert(actor.siret.clone(), Arc::new(actor));
            }
        }
        if let Some(snapshot) = version.snapshot {
            let rows = store
                .snapshot_establishments(snapshot, &territory.commune_codes_with_arrondissements())
                .await?;
            for row in rows {
                let record: EstablishmentRecord =
                    serde_json::from_str(&row.record).map_err(|e| {
                        AppError::Internal(format!("fiche {} illisible : {e}", row.siret))
                    })?;
                let actor =
                    Actor::from_record(&record, referential).with_profile(profiles.get(&row.siret));
                actors.insert(actor.siret.clone(), Arc::new(actor));
            }
        }
        let documents: Vec<ActorDocument> = actors.values().map(|a| a.document()).collect();
        let index = Arc::clone(&self.index);
        let count = tokio::task::spawn_blocking(move || index.rebuild(documents))
            .await
            .map_err(|e| AppError::Internal(format!("index de recherche : {e}")))??;
        tracing::info!(
            actors = count,
            elapsed_ms = started.elapsed().as_millis(),
            "annuaire reconstruit"
        );
        Ok(Arc::new(actors))
    }

    /// Applies the profiles published since the catalogue's version (by this process or
    /// another): the actors' SIRENE facts are unchanged, only their profiles are replaced.
    async fn apply_profiles(
        &self,
        store: &dyn Store,
        actors: &Actors,
        version: Version,
    ) -> Result<Actors, AppError> {
        let changed = store.profiles_since(version.revision.unwrap_or(0)).await?;
        let mut next = HashMap::clone(actors);
        for stored in changed {
            let Some(current) = actors.get(&stored.siret) else {
                continue;
            };
            let updated = Actor::clone(current).with_profile(Some(&stored));
            self.index.upsert(updated.document())?;
            next.insert(updated.siret.clone(), Arc::new(updated));
        }
        Ok(Arc::new(next))
    }
}
