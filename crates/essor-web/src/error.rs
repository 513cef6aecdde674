//! One error type for handlers; users read a French message, never internals.

use std::any::Any;

use askama::Template;
use axum::body::Body;
use axum::http::{Response, StatusCode};
use axum::response::{Html, IntoResponse};

use crate::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page introuvable")]
    NotFound,
    /// Let through by the route guard, refused by a finer rule of the handler (a staff member
    /// who is not one of the structure's members, say).
    #[error("accès refusé")]
    Forbidden,
    #[error("le service n’est pas configuré : {0}")]
    NotConfigured(&'static str),
    #[error(transparent)]
    Store(#[from] essor_store::StoreError),
    #[error("rendu de la page impossible : {0}")]
    Template(#[from] askama::Error),
    #[error("erreur interne : {0}")]
    Internal(String),
    #[error("index de recherche : {0}")]
    Search(#[from] essor_search::SearchError),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotConfigured(_) | Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Template(_) | Self::Internal(_) | Self::Search(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: &'static str,
}

/// The French page for an HTTP error status; nothing of the cause is shown.
pub(crate) fn error_page(status: StatusCode) -> Response<Body> {
    let (heading, message) = match status {
        StatusCode::NOT_FOUND => (
            "Page introuvable",
            "La page que vous cherchez n’existe pas ou a été déplacée. Vérifiez l’adresse saisie.",
        ),
        StatusCode::UNAUTHORIZED => (
            "Connexion nécessaire",
            "Cette action demande d’être connecté·e. Connectez-vous, puis recommencez.",
        ),
        StatusCode::FORBIDDEN => (
            "Accès refusé",
            "Vous n’avez pas le droit d’accéder à cette page ou d’effectuer cette action. Si vous venez d’envoyer un formulaire, il a peut-être expiré : rechargez la page et recommencez.",
        ),
        StatusCode::BAD_REQUEST => (
            "Demande invalide",
            "La demande reçue est incomplète ou mal formée. Rechargez la page et recommencez.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Envoi trop volumineux",
            "Les données envoyées dépassent la taille acceptée. Réduisez-les, puis recommencez.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Trop de tentatives",
            "Trop de tentatives ont été faites depuis votre connexion. Patientez une minute, puis recommencez.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "Service momentanément indisponible",
            "Le service ne peut pas répondre pour le moment. Veuillez réessayer dans quelques minutes.",
        ),
        _ => (
            "Erreur du serveur",
            "Une erreur inattendue est survenue de notre côté. Elle a été enregistrée ; veuillez réessayer plus tard.",
        ),
    };
    let page = ErrorPage {
        layout: Layout::plain(),
        heading,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, heading).into_response(),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response<Body> {
        let status = self.status();
        if status.is_server_error() {
            // The cause chain is logged once, here; the user sees only the French page.
            tracing::error!(error = %self, source = ?std::error::Error::source(&self), "request failed");
        }
        error_page(status)
    }
}

#[allow(clippy::needless_pass_by_value)] // the signature CatchPanicLayer requires
pub(crate) fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(inconnu)");
    tracing::error!(panic = detail, "handler panicked");
    error_page(StatusCode::INTERNAL_SERVER_ERROR)
}
