//! `latency`: the query set answered in process, round after round, by essor's API handler
//! (the whole router through `oneshot`: parsing, search, JSON), by essor's index alone, and by
//! SQLite FTS5 (the same answer computed in SQL, then written as the same JSON).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::app;
use crate::fts5::{self, Fts5};
use crate::queries::{QUERIES, Search};

/// Searches per engine measured by default (rounds over the query set, rounded up).
pub const DEFAULT_SEARCHES: usize = 2000;

/// The engines, in the order of the table's columns.
const ENGINES: usize = 3;

pub async fn run(dir: &Path, rounds: Option<usize>, warmup: usize) -> Result<()> {
    let (state, built) = app::state(dir).await?;
    let actors = state.catalogue.actors();
    let active = actors.values().filter(|a| a.active).count();
    let router = essor_web::router(state.clone());
    let mut fts = Fts5::open(&dir.join(fts5::FILE))?;
    let fts_actors = fts.len()?;
    if actors.is_empty() {
        bail!(
            "l’annuaire est vide : préparez d’abord le dossier (essor-bench-directory prepare --dir {})",
            dir.display()
        );
    }
    let searches: Vec<Search> = QUERIES
        .iter()
        .map(|q| Search::parse(q.query_string))
        .collect();
    let rounds = rounds.unwrap_or_else(|| DEFAULT_SEARCHES.div_ceil(QUERIES.len()));

    // What each engine answers, checked once: the API and the index must agree.
    let mut answers = Vec::with_capacity(QUERIES.len());
    for (query, search) in QUERIES.iter().zip(&searches) {
        let body = api(&router, query.query_string).await?;
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        let api_total = json["total"].as_u64().unwrap_or(u64::MAX);
        let relaxed = json["relaxed"].as_bool().unwrap_or(false);
        let index = state.catalogue.index().search(&search.to_index_query())?;
        if u64::try_from(index.total)? != api_total {
            bail!(
                "« {} » : l’API compte {api_total} résultats, l’index {}",
                query.query_string,
                index.total
            );
        }
        let fts_answer = fts.search(search)?;
        let fts_json = fts5::to_json(&fts_answer, search)?;
        answers.push(Answers {
            essor_total: index.total,
            essor_relaxed: relaxed,
            essor_bytes: body.len(),
            fts_total: fts_answer.total,
            fts_relaxed: fts_answer.relaxed,
            fts_bytes: fts_json.len(),
        });
    }

    for _ in 0..warmup {
        for (query, search) in QUERIES.iter().zip(&searches) {
            black_box(api(&router, query.query_string).await?);
            black_box(state.catalogue.index().search(&search.to_index_query())?);
            black_box(fts.answer_json(search)?);
        }
    }

    let mut samples: Vec<[Vec<Duration>; ENGINES]> = (0..QUERIES.len())
        .map(|_| std::array::from_fn(|_| Vec::with_capacity(rounds)))
        .collect();
    let measuring = Instant::now();
    for _ in 0..rounds {
        for ((query, search), times) in QUERIES.iter().zip(&searches).zip(&mut samples) {
            let started = Instant::now();
            black_box(api(&router, query.query_string).await?);
            times[0].push(started.elapsed());

            let started = Instant::now();
            black_box(state.catalogue.index().search(&search.to_index_query())?);
            times[1].push(started.elapsed());

            let started = Instant::now();
            black_box(fts.answer_json(search)?);
            times[2].push(started.elapsed());
        }
    }
    let elapsed = measuring.elapsed();

    print_report(&mut Report {
        actors: actors.len(),
        active,
        fts_actors,
        built,
        rounds,
        warmup,
        elapsed,
        answers: &answers,
        samples: &mut samples,
    });
    Ok(())
}

/// `GET /api/v1/acteurs?…` through the router; the body.
async fn api(router: &Router, query_string: &str) -> Result<axum::body::Bytes> {
    let request = Request::get(format!("/api/v1/acteurs?{query_string}")).body(Body::empty())?;
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .context("réponse de l’API")?
        .to_bytes();
    if status != StatusCode::OK {
        bail!(
            "/api/v1/acteurs?{query_string} : statut {status} : {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(body)
}

struct Answers {
    essor_total: usize,
    essor_relaxed: bool,
    essor_bytes: usize,
    fts_total: usize,
    fts_relaxed: bool,
    fts_bytes: usize,
}

struct Report<'a> {
    actors: usize,
    active: usize,
    fts_actors: usize,
    built: Duration,
    rounds: usize,
    warmup: usize,
    elapsed: Duration,
    answers: &'a [Answers],
    samples: &'a mut [[Vec<Duration>; ENGINES]],
}

/// The nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Ranks are small positive numbers: the casts are exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

fn kb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1000.0)
}

fn total(count: usize, relaxed: bool) -> String {
    let count = thousands(count);
    if relaxed {
        format!("{count} (élargie)")
    } else {
        count
    }
}

/// A count with spaces between thousands, as French writes it.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn print_report(report: &mut Report<'_>) {
    let per_engine = report.rounds * QUERIES.len();
    println!("## Latence en processus");
    println!();
    println!(
        "Annuaire : {} acteurs ({} actifs), construit en {:.1} s au démarrage (lecture de la \
         base, fiches, index) ; base FTS5 : {} acteurs.",
        thousands(report.actors),
        thousands(report.active),
        report.built.as_secs_f64(),
        thousands(report.fts_actors)
    );
    println!(
        "{} passages sur {} requêtes, soit {} recherches par moteur, après {} passages \
         d’échauffement ; mesure de {:.1} s, une recherche à la fois.",
        report.rounds,
        QUERIES.len(),
        thousands(per_engine),
        report.warmup,
        report.elapsed.as_secs_f64()
    );
    println!();
    println!(
        "« essor API » : `GET /api/v1/acteurs?…` par le routeur complet (`oneshot`, JSON compris) ; \
         « essor index » : `ActorIndex::search` seul ; « FTS5 » : la même réponse en SQL \
         (total, page de 20 par bm25, facettes par `GROUP BY`) puis écrite en JSON. Temps en ms."
    );
    println!();
    println!(
        "| requête | type | résultats essor | résultats FTS5 | essor API p50 | essor API p99 | \
         essor index p50 | essor index p99 | FTS5 p50 | FTS5 p99 | JSON essor (ko) | JSON FTS5 (ko) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut all: [Vec<Duration>; ENGINES] = std::array::from_fn(|_| Vec::new());
    for ((query, answers), times) in QUERIES
        .iter()
        .zip(report.answers)
        .zip(report.samples.iter_mut())
    {
        let mut cells = Vec::new();
        for (engine, samples) in times.iter_mut().enumerate() {
            samples.sort_unstable();
            all[engine].extend_from_slice(samples);
            cells.push(ms(percentile(samples, 0.50)));
            cells.push(ms(percentile(samples, 0.99)));
        }
        println!(
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            query.query_string,
            query.label,
            total(answers.essor_total, answers.essor_relaxed),
            total(answers.fts_total, answers.fts_relaxed),
            cells.join(" | "),
            kb(answers.essor_bytes),
            kb(answers.fts_bytes)
        );
    }
    let mut overall = Vec::new();
    for samples in &mut all {
        samples.sort_unstable();
        overall.push((percentile(samples, 0.50), percentile(samples, 0.99)));
    }
    let cells: Vec<String> = overall
        .iter()
        .flat_map(|(p50, p99)| [format!("**{}**", ms(*p50)), format!("**{}**", ms(*p99))])
        .collect();
    println!("| **toutes** | | | | {} | | |", cells.join(" | "));
    println!();
    let (api_p50, api_p99) = overall[0];
    let (index_p50, index_p99) = overall[1];
    let (fts_p50, fts_p99) = overall[2];
    let verdict = |ok: bool| if ok { "atteinte" } else { "**MANQUÉE**" };
    println!(
        "- p99 dans le serveur (API en processus) : {} ms ; index seul : {} ms ; cible < 10 ms : {}.",
        ms(api_p99),
        ms(index_p99),
        verdict(api_p99 < Duration::from_millis(10))
    );
    println!(
        "- essor devant FTS5 : p50 {} ms contre {} ms, p99 {} ms contre {} ms : {}.",
        ms(api_p50),
        ms(fts_p50),
        ms(api_p99),
        ms(fts_p99),
        verdict(api_p50 < fts_p50 && api_p99 < fts_p99)
    );
    println!(
        "- index seul contre FTS5 : p50 {} ms contre {} ms, p99 {} ms contre {} ms.",
        ms(index_p50),
        ms(fts_p50),
        ms(index_p99),
        ms(fts_p99)
    );
}
