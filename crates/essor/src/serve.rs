//! `essor serve`: the web application, until Ctrl-C or SIGTERM.

use std::sync::Arc;

use anyhow::{Context, Result};
use essor_domain::referential::Referential;
use essor_store::Store;
use essor_store::seed::{SeedOutcome, ensure_reference_data};
use tokio::net::TcpListener;

use crate::settings::Settings;

/// Opens the configured store and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>> {
    let target = settings.database()?;
    tracing::info!(database = %target.redacted(), "ouverture de la base de données");
    let store = essor_store::open(&target)
        .await
        .with_context(|| format!("base de données {}", target.redacted()))?;
    let applied = store.migrate().await?;
    if applied > 0 {
        tracing::info!(applied, "migrations appliquées");
    }
    Ok(store)
}

/// Opens the store and, on a new database, loads the reference territory and its plan.
pub async fn prepare(settings: &Settings) -> Result<Arc<dyn Store>> {
    let store = open_store(settings).await?;
    match ensure_reference_data(store.as_ref(), Referential::embedded()).await? {
        SeedOutcome::Loaded { territory, plan } => {
            tracing::info!(%territory, %plan, "premier démarrage : territoire de référence et plan chargés");
        }
        SeedOutcome::AlreadyDone => {}
    }
    Ok(store)
}

pub async fn run(settings: Settings) -> Result<()> {
    let store = prepare(&settings).await?;
    if settings.demo {
        crate::observatory::ensure_demo(store.as_ref(), &settings.data_dir).await?;
        let today = chrono::Utc::now().date_naive();
        match essor_store::demo::ensure_demo_dossiers(
            store.as_ref(),
            Referential::embedded(),
            today,
        )
        .await?
        {
            essor_store::demo::DemoOutcome::Loaded {
                dossiers,
                sessions,
                payments,
            } => {
                tracing::info!(
                    dossiers,
                    sessions,
                    payments,
                    "premier démarrage : dossiers de démonstration chargés, avec les séances du comité et les versements"
                );
            }
            essor_store::demo::DemoOutcome::Skipped(why) => {
                tracing::info!(raison = why, "dossiers de démonstration non chargés");
            }
            essor_store::demo::DemoOutcome::AlreadyDone => {}
        }
    }
    let listener = TcpListener::bind(settings.addr).await.with_context(|| {
        format!(
            "impossible d’écouter sur {} (adresse déjà utilisée ? essayez --addr 127.0.0.1:8081)",
            settings.addr
        )
    })?;
    let addr = listener.local_addr()?;
    let accounts = account_config(&settings).await?;
    let state = essor_web::AppState::new(Arc::clone(&store), Referential::embedded(), accounts)
        .with_catalogue(open_catalogue(&settings)?)
        .with_map(essor_web::MapSettings {
            tiles_url: settings.map.tiles_url.clone(),
            attribution: settings.map.attribution.clone(),
        })
        .with_webhooks(essor_web::webhooks::WebhookSettings {
            allow_private_targets: settings.webhooks.allow_private_targets,
            ..essor_web::webhooks::WebhookSettings::default()
        })
        .with_grantor_siret(settings.opendata.grantor_siret()?)
        .with_limiter(essor_web::ratelimit::Limiter::per_minute(
            settings.attempts_per_minute,
        ));
    state
        .refresh_directory()
        .await
        .context("construction de l’annuaire")?;
    let webhooks = essor_web::webhooks::spawn_dispatcher(state.clone());
    let reminders = tokio::spawn(remind_periodically(state.clone()));
    let app =
        essor_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let purge = tokio::spawn(purge_periodically(
        Arc::clone(&store),
        settings.unconfirmed_days,
    ));
    tracing::info!(%addr, "essor est prêt");
    println!("essor est prêt : http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("le serveur web s’est arrêté sur une erreur")?;
    purge.abort();
    webhooks.abort();
    reminders.abort();
    tracing::info!("arrêt : connexions terminées, fermeture de la base");
    store.close().await;
    Ok(())
}

/// The directory's catalogue over its search index in `data_dir/index` (derived data: a missing
/// or outdated index is rebuilt from the store).
pub fn open_catalogue(settings: &Settings) -> Result<essor_web::directory::Catalogue> {
    let dir = settings.data_dir.join("index");
    let index = essor_search::ActorIndex::open_or_create(&dir)
        .with_context(|| format!("index de recherche « {} »", dir.display()))?;
    Ok(essor_web::directory::Catalogue::new(index))
}

/// Every hour (and at start): expired sessions and links, and accounts never confirmed within
/// `unconfirmed_days`, are erased (the retention periods of the personal data page).
async fn purge_periodically(store: Arc<dyn Store>, unconfirmed_days: i64) {
    let mut every = tokio::time::interval(std::time::Duration::from_hours(1));
    loop {
        every.tick().await;
        let now = chrono::Utc::now();
        match store
            .purge_expired(now, now - chrono::Duration::days(unconfirmed_days))
            .await
        {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "données personnelles expirées effacées"),
            Err(e) => tracing::warn!(error = %e, "effacement des données expirées impossible"),
        }
    }
}

/// Every hour (and at start): the reminders due to partners whose opinion is awaited, as
/// `essor dossiers relancer` sends them (each once, whoever sends it).
async fn remind_periodically(state: essor_web::AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_hours(1));
    loop {
        every.tick().await;
        match essor_web::instruction::send_reminders(&state, chrono::Utc::now()).await {
            Ok(report) if report.sent == 0 && report.failed == 0 => {}
            Ok(report) => {
                tracing::info!(
                    sent = report.sent,
                    failed = report.failed,
                    "relances d’avis"
                );
            }
            Err(e) => tracing::warn!(error = %e, "relances d’avis impossibles"),
        }
    }
}

/// Mail, password hashing and single sign-on, from the settings.
pub async fn account_config(settings: &Settings) -> Result<essor_web::AccountConfig> {
    let public_url = essor_mail::PublicUrl::parse(&settings.public_url)
        .map_err(|e| anyhow::anyhow!("public_url : {e}"))?;
    let secure = public_url.as_url().scheme() == "https";
    let site = essor_mail::Site::new(public_url, "essor");
    let mailer = essor_mail::Mailer::from_settings(&settings.mail, &settings.data_dir)?;
    if settings.mail.smtp_url.is_none() {
        tracing::warn!(
            outbox = %settings.mail.outbox_dir_in(&settings.data_dir).display(),
            "aucun serveur SMTP configuré : les courriels sont écrits dans le dossier d’envoi"
        );
    }
    let passwords = essor_auth::Passwords::new(essor_auth::password::PasswordParams::default())
        .map_err(|e| anyhow::anyhow!("hachage des mots de passe : {e}"))?;
    let mut config = essor_web::AccountConfig::new(site, mailer, passwords);
    config.secure_cookies = secure;
    config.session_hours = settings.session_hours;
    config.unconfirmed_days = settings.unconfirmed_days;
    config.audit_years = settings.audit_years;
    if let Some(sso) = &settings.sso {
        let mut oidc = essor_auth::OidcSettings::new(
            &sso.issuer_url,
            &sso.client_id,
            &sso.client_secret,
            &sso.display_name,
        );
        oidc.extra_authorize_params
            .clone_from(&sso.extra_authorize_params);
        let client = essor_auth::OidcClient::discover(oidc)
            .await
            .with_context(|| format!("fournisseur d’identité {}", sso.issuer_url))?;
        config.oidc = Some(Arc::new(client));
    }
    Ok(config)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "écoute de Ctrl-C impossible");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "écoute de SIGTERM impossible");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C reçu"),
        () = terminate => tracing::info!("SIGTERM reçu"),
    }
}
