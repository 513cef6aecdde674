//! Protection against cross-site request forgery, on every state-changing request.
//!
//! Double submit: a random token lives in an `HttpOnly` cookie and every form carries it in a
//! hidden `_csrf` field (or, for scripts, the `X-CSRF-Token` header; for multipart uploads, the
//! `_csrf` query parameter). A request whose token is missing or differs is refused before any
//! handler runs, as is any state-changing request a browser marks as cross-site.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::cookies;
use crate::error::error_page;

/// The field and header names.
pub(crate) const FIELD: &str = "_csrf";
const HEADER: &str = "x-csrf-token";

/// Largest form read to find the token; larger bodies must send the header or query parameter.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The token for the forms of a page: the browser's own, or a new one with the `Set-Cookie`
/// header to send with the page.
pub(crate) fn token(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    if let Some(existing) = cookies::get(headers, cookies::CSRF).filter(|t| t.len() >= 32) {
        (existing, None)
    } else {
        let (token, _) = essor_auth::Token::generate();
        let value = token.as_str().to_owned();
        let cookie = cookies::set(cookies::CSRF, &value, None, secure);
        (value, Some(cookie))
    }
}

/// A page holding forms: its status and HTML, the token's cookie when [`token`] just issued
/// one, and no caching (the page carries the token).
pub(crate) fn form_page(status: StatusCode, html: String, cookie: Option<HeaderValue>) -> Response {
    let mut response =
        axum::response::IntoResponse::into_response((status, axum::response::Html(html)));
    let headers = response.headers_mut();
    if let Some(cookie) = cookie {
        headers.append(axum::http::header::SET_COOKIE, cookie);
    }
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn refused() -> Response {
    error_page(StatusCode::FORBIDDEN)
}

/// The middleware: lets safe methods through; checks the token of every other request.
pub(crate) async fn verify(request: Request, next: Next) -> Response {
    if is_safe(request.method()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site")
    {
        return refused();
    }
    // An API request carrying a personal token: a browser never adds that header by itself
    // (a cross-site script would need a CORS preflight, which essor never grants), and its
    // identity comes from the token only, never from the cookies, so there is nothing for a
    // forged request to borrow.
    if crate::api_tokens::bearer(&request).is_some() && request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let headers = request.headers();
    let Some(expected) = cookies::get(headers, cookies::CSRF).filter(|t| t.len() >= 32) else {
        return refused();
    };
    if let Some(sent) = headers.get(HEADER).and_then(|v| v.to_str().ok()) {
        return if same(sent, &expected) {
            next.run(request).await
        } else {
            refused()
        };
    }
    if let Some(sent) = request
        .uri()
        .query()
        .and_then(|q| form_field(q.as_bytes(), FIELD))
    {
        return if same(&sent, &expected) {
            next.run(request).await
        } else {
            refused()
        };
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refused();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return error_page(StatusCode::PAYLOAD_TOO_LARGE);
    };
    match form_field(&bytes, FIELD) {
        Some(sent) if same(&sent, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => refused(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
        assert!(!same("", "a"));
    }

    #[test]
    fn the_field_is_found_in_a_form() {
        assert_eq!(
            form_field(b"email=a%40b.fr&_csrf=xyz&x=1", FIELD).as_deref(),
            Some("xyz")
        );
        assert_eq!(form_field(b"email=a", FIELD), None);
    }
}
