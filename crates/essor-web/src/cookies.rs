//! The few cookies essor sets: the session, the CSRF token and the single sign-on round trip.
//! All are `HttpOnly`, `SameSite=Lax`, path `/`, and `Secure` when essor is served over HTTPS.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

pub(crate) const SESSION: &str = "essor_session";
pub(crate) const CSRF: &str = "essor_csrf";
pub(crate) const OIDC: &str = "essor_sso";

/// The value of the cookie `name` of the request, if any.
pub(crate) fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` header value; `max_age` in seconds, `None` for a browser-session cookie.
pub(crate) fn set(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(seconds) = max_age {
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    HeaderValue::from_str(&cookie.build().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// A `Set-Cookie` header value removing the cookie.
pub(crate) fn clear(name: &str, secure: bool) -> HeaderValue {
    set(name, "", Some(0), secure)
}
