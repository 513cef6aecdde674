//! The public site's context (the default territory and its current plan) and the pages rendered
//! from it, kept in memory.
//!
//! Public pages change only when the plan or the territory does, so each is rendered once per
//! context and served from memory. The context is read again from the store when it is older than
//! [`REFRESH_AFTER`], so that a change made by another essor process (sharing a PostgreSQL
//! database) or by the CLI shows within seconds; a change made through this process calls
//! [`SiteCache::invalidate`] and shows at once.
//!
//! A kept page is also kept compressed ([`CachedPage`]): brotli or gzip, each made on its first
//! request, so that serving a page to a browser costs no compression per request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
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
    pages: Mutex<HashMap<&'static str, Arc<CachedPage>>>,
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
    ) -> Result<Arc<CachedPage>, AppError> {
        if let Some(page) = self.lock_pages().get(path) {
            return Ok(Arc::clone(page));
        }
        let page = Arc::new(CachedPage::new(Bytes::from(render(self)?)));
        self.lock_pages().insert(path, Arc::clone(&page));
        Ok(page)
    }

    /// The page at `path` if it was rendered already.
    pub fn cached(&self, path: &'static str) -> Option<Arc<CachedPage>> {
        self.lock_pages().get(path).cloned()
    }

    /// Keeps a page rendered elsewhere (asynchronously) for later requests.
    pub fn keep(&self, path: &'static str, page: Bytes) {
        self.lock_pages()
            .insert(path, Arc::new(CachedPage::new(page)));
    }

    fn lock_pages(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Arc<CachedPage>>> {
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A rendered HTML page, served plain or compressed as the request accepts. Each compressed form
/// is made once, on its first request; the response then carries `Content-Encoding`, which the
/// router's compression layer leaves as it is.
pub struct CachedPage {
    html: Bytes,
    brotli: OnceLock<Option<Bytes>>,
    gzip: OnceLock<Option<Bytes>>,
}

/// Brotli's quality for a kept page. The page is compressed on the request's async worker, so
/// the cost counts: on the observatory's page (109 kB) quality 5 takes 3 ms for 25.5 kB, while
/// 10 takes 58 ms for 22.2 kB and 11 takes 137 ms.
const BROTLI_QUALITY: i32 = 5;

/// The content codings essor serves pages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl CachedPage {
    #[must_use]
    pub fn new(html: Bytes) -> Self {
        Self {
            html,
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// The response to a request with these headers: brotli when it accepts it, gzip otherwise
    /// when it accepts that, the plain page otherwise.
    #[must_use]
    pub fn response(&self, request: &HeaderMap) -> Response {
        let compressed = match accepted_coding(request) {
            Coding::Brotli => self
                .brotli
                .get_or_init(|| brotli(&self.html))
                .clone()
                .map(|body| (body, "br")),
            Coding::Gzip => self
                .gzip
                .get_or_init(|| gzip(&self.html))
                .clone()
                .map(|body| (body, "gzip")),
            Coding::Identity => None,
        };
        let (body, coding) = compressed.map_or((self.html.clone(), None), |(body, coding)| {
            (body, Some(coding))
        });
        let mut response = Html(body).into_response();
        let headers = response.headers_mut();
        if let Some(coding) = coding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    }
}

/// The best coding of those essor serves that the request's `Accept-Encoding` allows (a coding
/// with `q=0` is refused).
fn accepted_coding(request: &HeaderMap) -> Coding {
    let (mut brotli, mut gzip) = (false, false);
    for value in request.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|parameter| {
                parameter
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            if name.eq_ignore_ascii_case("br") {
                brotli = true;
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                gzip = true;
            }
        }
    }
    if brotli {
        Coding::Brotli
    } else if gzip {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// `html` compressed with brotli; `None` should the encoder fail (the page is then served plain).
fn brotli(html: &[u8]) -> Option<Bytes> {
    let mut out = Vec::with_capacity(html.len() / 4);
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        ..Default::default()
    };
    ::brotli::BrotliCompress(&mut &html[..], &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

/// `html` compressed with gzip at its best level; `None` should the encoder fail.
fn gzip(html: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(html.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(html).ok()?;
    encoder.finish().ok().map(Bytes::from)
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_best_accepted_coding_is_chosen() {
        assert_eq!(accepted_coding(&accepting("br, gzip")), Coding::Brotli);
        assert_eq!(
            accepted_coding(&accepting("gzip, deflate, br;q=0.5")),
            Coding::Brotli
        );
        assert_eq!(accepted_coding(&accepting("gzip, deflate")), Coding::Gzip);
        assert_eq!(accepted_coding(&accepting("GZIP")), Coding::Gzip);
        assert_eq!(accepted_coding(&accepting("br;q=0, gzip")), Coding::Gzip);
        assert_eq!(accepted_coding(&accepting("br; q=0.0")), Coding::Identity);
        assert_eq!(
            accepted_coding(&accepting("deflate, zstd")),
            Coding::Identity
        );
        assert_eq!(accepted_coding(&HeaderMap::new()), Coding::Identity);
    }

    fn coding(response: &Response) -> Option<&str> {
        response
            .headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
    }

    #[test]
    fn a_page_is_served_compressed_as_accepted_and_decompresses_to_itself() {
        let html = "<!doctype html><html lang=\"fr\"><p>Économie sociale et solidaire</p></html>"
            .repeat(50);
        let page = CachedPage::new(Bytes::from(html.clone()));

        let brotli = page.response(&accepting("br, gzip"));
        assert_eq!(coding(&brotli), Some("br"));
        assert_eq!(brotli.headers()[header::VARY], "accept-encoding");
        let compressed = page.brotli.get().cloned().flatten().unwrap();
        assert!(compressed.len() < html.len() / 10);
        let mut plain = String::new();
        ::brotli::Decompressor::new(&compressed[..], 4096)
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, html);

        let gzip = page.response(&accepting("gzip"));
        assert_eq!(coding(&gzip), Some("gzip"));
        let compressed = page.gzip.get().cloned().flatten().unwrap();
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, html);

        let identity = page.response(&HeaderMap::new());
        assert_eq!(coding(&identity), None);
        assert_eq!(identity.headers()[header::VARY], "accept-encoding");
        assert_eq!(page.html, html.as_bytes());
    }
}
