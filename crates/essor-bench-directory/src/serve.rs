//! `serve`: essor's real router on the folder's data, plus the FTS5 baseline at `/bench/fts5`
//! answering the same query strings with the same JSON shape, so that wrk measures both over
//! HTTP in one run, in one process.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::app;
use crate::fts5::{self, Pool};
use crate::queries::Search;

pub async fn run(dir: &Path, addr: SocketAddr, connections: usize) -> Result<()> {
    let (state, built) = app::state(dir).await?;
    let actors = state.catalogue.len();
    let pool = Arc::new(Pool::open(&dir.join(fts5::FILE), connections)?);
    let baseline = Router::new()
        .route("/bench/fts5", get(fts5_search))
        .with_state(pool);
    let app = essor_web::router(state).merge(baseline);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("impossible d’écouter sur {addr}"))?;
    println!(
        "prêt : http://{} ({actors} acteurs, annuaire construit en {:.1} s ; \
         FTS5 sur /bench/fts5, {connections} connexions)",
        listener.local_addr()?,
        built.as_secs_f64()
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("le serveur s’est arrêté sur une erreur")
}

/// `GET /bench/fts5?q=…&commune=…`: the API's answer computed by FTS5.
async fn fts5_search(State(pool): State<Arc<Pool>>, RawQuery(raw): RawQuery) -> Response {
    let search = Search::parse(raw.as_deref().unwrap_or(""));
    match pool.answer(search).await {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("recherche FTS5 impossible : {error:#}"),
        )
            .into_response(),
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        // Without a handler the process just dies on the signal, which is fine here too.
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
