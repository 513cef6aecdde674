//! The public site's context (the default territory and its current plan) and the pages rendered
//! from it, kept in memory.
//!
//! Public pages change only when the plan or the territory does, so each is rendered once per
//! context and served from memory. The context is read again from the store when it is older than
//! [`REFRESH_AFTER`], so that a change made by another essor process (sharing a PostgreSQL
//! database) or by the CLI shows within seconds; a change made through this process calls
//! [`SiteCache::invalidate`] and shows at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use essor_domain::Plan;
use essor_domain::panorama::Panorama;
use essor_domain::referential::Referential;
use essor_domain::territory::{Territory, TerritoryRef};
use essor_store::Store;

use crate::error::AppError;

/// How long a context is trusted before it is read again from the store.
pub const REFRESH_AFTER: Duration = Duration::from_secs(5);

/// What a context was built from: when none of it changed, the context (and the pages rendered
/// from it) stays, so a refresh costs three light queries and no rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    territory: String,
    plan: Option<(String, chrono::DateTime<chrono::Utc>)>,
    snapshot: Option<i64>,
}

impl Version {
    async fn read(store: &dyn Store) -> Result<Self, AppError> {
        let territory = store
            .default_territory()
            .await?
            .ok_or(AppError::NotConfigured("aucun territoire par défaut"))?
            .reference;
        let plan = store
            .plans(&territory)
            .await?
            .into_iter()
            .next()
            .map(|p| (p.key.to_string(), p.updated_at));
        let snapshot = store.latest_snapshot().await?.map(|s| s.id);
        Ok(Self {
            territory,
            plan,
            snapshot,
        })
    }
}

/// The default territory, resolved against the referential, and its current plan.
pub struct SiteContext {
    version: Version,
    pub territory: Territory,
    pub plan: Plan,
    /// The last SIRENE import when the context was read: pages built from it are cached too.
    pub snapshot: Option<essor_store::SnapshotSummary>,
    /// The territory's panorama in that import, for the home page.
    pub panorama: Option<Panorama>,
    pages: Mutex<HashMap<&'static str, Bytes>>,
}

impl SiteContext {
    async fn load(
        store: &dyn Store,
        referential: &Referential,
        version: Version,
    ) -> Result<Self, AppError> {
        let configured = store
            .default_territory()
            .await?
            .ok_or(AppError::NotConfigured("aucun territoire par défaut"))?;
        let reference: TerritoryRef = configured
            .reference
            .parse()
            .map_err(|_| AppError::NotConfigured("territoire par défaut illisible"))?;
        let territory = reference
            .resolve(referential)
            .map_err(|_| AppError::NotConfigured("territoire par défaut inconnu"))?;
        let plan = store
            .current_plan(&configured.reference)
            .await?
            .ok_or(AppError::NotConfigured("aucun plan pour le territoire"))?;
        let snapshot = store.latest_snapshot().await?;
        let panorama = match &snapshot {
            Some(s) => Some(essor_store::observatory::panorama(store, &territory, s).await?),
            None => None,
        };
        Ok(Self {
            version,
            territory,
            plan,
            snapshot,
            panorama,
            pages: Mutex::new(HashMap::new()),
        })
    }

    /// The page at `path`, rendered by `render` the first time it is asked for.
    pub fn page(
        &self,
        path: &'static str,
        render: impl FnOnce(&Self) -> Result<String, AppError>,
    ) -> Result<Bytes, AppError> {
        if let Some(page) = self.lock_pages().get(path) {
            return Ok(page.clone());
        }
        let page = Bytes::from(render(self)?);
        self.lock_pages().insert(path, page.clone());
        Ok(page)
    }

    /// The page at `path` if it was rendered already.
    pub fn cached(&self, path: &'static str) -> Option<Bytes> {
        self.lock_pages().get(path).cloned()
    }

    /// Keeps a page rendered elsewhere (asynchronously) for later requests.
    pub fn keep(&self, path: &'static str, page: Bytes) {
        self.lock_pages().insert(path, page);
    }

    fn lock_pages(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Bytes>> {
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
pub struct SiteCache {
    current: RwLock<Option<(Instant, Arc<SiteContext>)>>,
    /// Held by the one request that refreshes; the others keep serving the current context.
    refreshing: tokio::sync::Mutex<()>,
}

impl SiteCache {
    fn current(&self) -> Option<(Instant, Arc<SiteContext>)> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current context. When it is older than [`REFRESH_AFTER`], one request checks
    /// whether the territory, its plan or the last import changed (and rebuilds the context
    /// only then) while concurrent requests are served the current one.
    pub async fn context(
        &self,
        store: &dyn Store,
        referential: &Referential,
    ) -> Result<Arc<SiteContext>, AppError> {
        self.context_within(store, referential, REFRESH_AFTER).await
    }

    /// The context checked against the store now (after a change this process made or saw,
    /// such as an import): rebuilt only if what it was built from changed.
    pub async fn checked_context(
        &self,
        store: &dyn Store,
        referential: &Referential,
    ) -> Result<Arc<SiteContext>, AppError> {
        self.context_within(store, referential, Duration::ZERO)
            .await
    }

    async fn context_within(
        &self,
        store: &dyn Store,
        referential: &Referential,
        max_age: Duration,
    ) -> Result<Arc<SiteContext>, AppError> {
        let stale = match self.current() {
            Some((loaded_at, context)) if loaded_at.elapsed() < max_age => {
                return Ok(context);
            }
            other => other.map(|(_, context)| context),
        };
        let _refreshing = match &stale {
            Some(context) if !max_age.is_zero() => match self.refreshing.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(Arc::clone(context)),
            },
            _ => self.refreshing.lock().await,
        };
        // Another request may have refreshed while this one waited.
        if let Some((loaded_at, context)) = self.current()
            && loaded_at.elapsed() < max_age
        {
            return Ok(context);
        }
        let version = match (Version::read(store).await, &stale) {
            (Ok(version), _) => version,
            (Err(e), Some(context)) => {
                tracing::warn!(error = %e, "site context not refreshed; serving the current one");
                return Ok(Arc::clone(context));
            }
            (Err(e), None) => return Err(e),
        };
        let context = match stale {
            Some(context) if context.version == version => context,
            _ => Arc::new(SiteContext::load(store, referential, version).await?),
        };
        *self.current.write().unwrap_or_else(PoisonError::into_inner) =
            Some((Instant::now(), Arc::clone(&context)));
        Ok(context)
    }

    /// Forgets the context: the next request reads the store again.
    pub fn invalidate(&self) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
