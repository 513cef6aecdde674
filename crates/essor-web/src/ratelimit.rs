//! Rate limits on the forms an attacker would hammer (sign-in, sign-up, reset, second factor):
//! a number of attempts per minute and per client address, refused beyond with a French page.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::error_page;

/// Attempts per minute and client address unless configured otherwise.
pub const DEFAULT_ATTEMPTS_PER_MINUTE: u32 = 10;

/// Attempts per minute and client address, shared by every limited form.
#[derive(Clone)]
pub struct Limiter {
    inner: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limiter {
    #[must_use]
    pub fn per_minute(attempts: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(attempts.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            inner: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    fn allow(&self, ip: IpAddr) -> bool {
        // Keys of clients gone quiet are dropped now and then, so memory stays bounded.
        if self.inner.len() > 10_000 {
            self.inner.retain_recent();
        }
        self.inner.check_key(&ip).is_ok()
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Self::per_minute(DEFAULT_ATTEMPTS_PER_MINUTE)
    }
}

/// The client's address: the connection's peer. (Behind a reverse proxy, every client shares
/// the proxy's address; a trusted-proxy setting will come with deployment documentation.)
fn client(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

pub(crate) async fn limit(limiter: Limiter, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || limiter.allow(client(&request)) {
        return next.run(request).await;
    }
    let mut response = error_page(StatusCode::TOO_MANY_REQUESTS);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}
