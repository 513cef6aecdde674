//! The demonstration dossiers a new deployment starts with: about forty a year over the last
//! five years of the plan's envelopes, from structures of the (synthetic) directory, in every
//! state, with their threads. Generated from a fixed seed (the same data on every machine),
//! loaded once, in one transaction, and marked (`demo_dossiers`) so that pages label them;
//! their titles say « (démonstration) » too, wherever they are listed or exported.
//!
//! Every path follows the domain's state machine ([`transition`]), and the amounts granted in a
//! year never exceed its envelope. No account is created: the dossiers have no creator, and
//! staff reach them through the back office.
//!
//! What followed the dossiers is loaded with them ([`DemoFollowUp`]): fictional members of
//! every committee of the plan (qualities marked « (démonstration) »); the *comité de
//! pilotage*'s sessions every two or three months, held, each deciding the dossiers whose
//! decision falls on its day (histories are moved so that they do), a few postponed once, with
//! the minutes drafted by [`draft_minutes`]; the next session, planned, with the dossiers now
//! on the agenda; for accepted dossiers with a signed agreement, the default schedule (half at
//! signature, half on the final report), the reports sent and accepted before today, the
//! instalments whose condition was met paid, each payment checked by [`pay`], and most of the
//! dossiers whose final report was accepted evaluated some days later (the others wait for
//! their evaluation, as in a real back office).

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use essor_domain::Money;
use essor_domain::Plan;
use essor_domain::committee::{ItemDecision, MemberRole, MinutesInput, MinutesItem, draft_minutes};
use essor_domain::dossier::{
    Action, Application, CorrectionReason, Decision, District, INSTRUCTION_CHECKS, State,
    transition,
};
use essor_domain::establishment::EstablishmentRecord;
use essor_domain::funding::{Budget, BudgetLine, Condition, Instalment, pay, schedule};
use essor_domain::plan::{Committee, Key};
use essor_domain::referential::Referential;
use essor_domain::reports::{
    Achievement, Evaluation, FinancialReport, ReportContent, ReportKind, ReportStatus, dues,
};
use essor_domain::territory::TerritoryRef;

use crate::dossiers::EventKind;
use crate::{Result, Store, StoreError};

/// Meta key recording that the demonstration dossiers were loaded (set in their transaction).
pub const DEMO_DOSSIERS_KEY: &str = "demo.dossiers";

/// The fixed seed of the generator.
pub const SEED: u64 = 0x00E5_5012_2026;

/// How many years of dossiers, ending with the current one.
pub const YEARS: i32 = 5;

/// Marks every demonstration title.
pub const TITLE_MARK: &str = " (démonstration)";

/// One entry of a demonstration dossier's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEvent {
    pub kind: EventKind,
    pub from: Option<State>,
    pub to: Option<State>,
    pub body: String,
    pub shared: bool,
    pub at: DateTime<Utc>,
}

/// A demonstration dossier, with its dates and thread, as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDossier {
    pub siret: String,
    pub siren: String,
    pub year: i32,
    pub state: State,
    pub application: Application,
    pub granted: Option<Money>,
    pub checks: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub agreement_signed_on: Option<NaiveDate>,
    pub events: Vec<DemoEvent>,
}

/// The storage of the demonstration dossiers.
#[async_trait]
pub trait DemoDossiers: Send + Sync {
    /// Stores the dossiers, their threads, their marks, what followed them (committee members
    /// and sessions, schedules, reports, payments), the meta key [`DEMO_DOSSIERS_KEY`] and an
    /// audit entry, all in one transaction. `None` (and nothing written) when they were loaded
    /// before.
    async fn load_demo(
        &self,
        dossiers: &[DemoDossier],
        follow_up: &DemoFollowUp,
    ) -> Result<Option<usize>>;
    /// [`DemoDossiers::load_demo`] with the dossiers alone.
    async fn load_demo_dossiers(&self, dossiers: &[DemoDossier]) -> Result<Option<usize>> {
        self.load_demo(dossiers, &DemoFollowUp::default()).await
    }
    /// The ids of the demonstration dossiers, in order.
    async fn demo_dossier_ids(&self) -> Result<Vec<i64>>;
    async fn is_demo_dossier(&self, id: i64) -> Result<bool>;
}

macro_rules! impl_demo_dossiers {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::demo::DemoDossiers for $store {
            async fn load_demo(
                &self,
                dossiers: &[$crate::demo::DemoDossier],
                follow_up: &$crate::demo::DemoFollowUp,
            ) -> $crate::Result<Option<usize>> {
                let mut tx = self
                    .pool
                    .begin_with(<$db as $crate::audit::AuditDatabase>::BEGIN)
                    .await?;
                let marked = sqlx::query(
                    "INSERT INTO app_meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind($crate::demo::DEMO_DOSSIERS_KEY)
                .bind(chrono::Utc::now().to_rfc3339())
                .execute(&mut *tx)
                .await?;
                if marked.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let mut granted = 0_i64;
                let mut ids = Vec::with_capacity(dossiers.len());
                for dossier in dossiers {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO dossiers (siret, siren, year, state, application, \
                         asked_cents, granted_cents, checks, created_at, updated_at, \
                         submitted_at, decided_at, agreement_signed_on) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                         RETURNING id",
                    )
                    .bind(&dossier.siret)
                    .bind(&dossier.siren)
                    .bind(dossier.year)
                    .bind(dossier.state.code())
                    .bind($crate::dossiers::application_document(
                        &dossier.application,
                    )?)
                    .bind(dossier.application.asked.cents())
                    .bind(dossier.granted.map(essor_domain::Money::cents))
                    .bind($crate::demo::checks_document(&dossier.checks)?)
                    .bind(dossier.created_at)
                    .bind(dossier.updated_at)
                    .bind(dossier.submitted_at)
                    .bind(dossier.decided_at)
                    .bind(dossier.agreement_signed_on)
                    .fetch_one(&mut *tx)
                    .await?;
                    granted += dossier.granted.map_or(0, essor_domain::Money::cents);
                    for event in &dossier.events {
                        sqlx::query(
                            "INSERT INTO dossier_events (dossier_id, kind, from_state, \
                             to_state, body, author_id, shared, created_at) \
                             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)",
                        )
                        .bind(id)
                        .bind(event.kind.code())
                        .bind(event.from.map(essor_domain::dossier::State::code))
                        .bind(event.to.map(essor_domain::dossier::State::code))
                        .bind(&event.body)
                        .bind(event.shared)
                        .bind(event.at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    sqlx::query("INSERT INTO demo_dossiers (dossier_id) VALUES ($1)")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    ids.push(id);
                }
                demo_insert_sessions(&mut tx, &ids, follow_up).await?;
                let paid = demo_insert_funding(&mut tx, &ids, follow_up).await?;
                let event = $crate::demo::loaded_event(dossiers.len(), granted, paid);
                $crate::audit::append_in_transaction(&mut tx, &event).await?;
                tx.commit().await?;
                Ok(Some(dossiers.len()))
            }

            async fn demo_dossier_ids(&self) -> $crate::Result<Vec<i64>> {
                let ids: Vec<i64> =
                    sqlx::query_scalar("SELECT dossier_id FROM demo_dossiers ORDER BY dossier_id")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(ids)
            }

            async fn is_demo_dossier(&self, id: i64) -> $crate::Result<bool> {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT dossier_id FROM demo_dossiers WHERE dossier_id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.is_some())
            }
        }

        $crate::demo::impl_demo_follow_up!($db);
    };
}

pub(crate) use impl_demo_dossiers;

/// The loader's parts that write what followed the dossiers, inside its transaction.
macro_rules! impl_demo_follow_up {
    ($db:ty) => {
        /// The committee members, the sessions, their attendance and agendas.
        async fn demo_insert_sessions(
            tx: &mut sqlx::Transaction<'_, $db>,
            ids: &[i64],
            follow_up: &$crate::demo::DemoFollowUp,
        ) -> $crate::Result<()> {
            let mut members = Vec::with_capacity(follow_up.members.len());
            let seated = follow_up
                .sessions
                .first()
                .map_or_else(chrono::Utc::now, |s| s.created_at);
            for member in &follow_up.members {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO committee_members (committee, name, quality, role, active, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&member.committee)
                .bind(&member.name)
                .bind(&member.quality)
                .bind(member.role.code())
                .bind(true)
                .bind(seated)
                .fetch_one(&mut **tx)
                .await?;
                members.push(id);
            }
            for session in &follow_up.sessions {
                let status = if session.held_at.is_some() {
                    essor_domain::committee::SessionStatus::Held
                } else {
                    essor_domain::committee::SessionStatus::Planned
                };
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO committee_sessions (committee, held_on, place, status, minutes, \
                     created_by, created_at, updated_at, held_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8) RETURNING id",
                )
                .bind(&session.committee)
                .bind(session.date)
                .bind(&session.place)
                .bind(status.code())
                .bind(&session.minutes)
                .bind(session.created_at)
                .bind(session.held_at.unwrap_or(session.created_at))
                .bind(session.held_at)
                .fetch_one(&mut **tx)
                .await?;
                for &member in &session.present {
                    sqlx::query(
                        "INSERT INTO committee_attendance (session_id, member_id) VALUES ($1, $2)",
                    )
                    .bind(id)
                    .bind(members[member])
                    .execute(&mut **tx)
                    .await?;
                }
                for (position, item) in (1_i32..).zip(&session.items) {
                    let decision = item.decision.as_ref();
                    sqlx::query(
                        "INSERT INTO committee_agenda (session_id, dossier_id, position, \
                         proposal, proposed_cents, outcome, amount_cents, decision_text, \
                         decided_by, decided_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)",
                    )
                    .bind(id)
                    .bind(ids[item.dossier])
                    .bind(position)
                    .bind(&item.proposal)
                    .bind(item.proposed.map(essor_domain::Money::cents))
                    .bind(decision.map(|d| d.outcome().code()))
                    .bind(
                        decision
                            .and_then(essor_domain::committee::ItemDecision::amount)
                            .map(essor_domain::Money::cents),
                    )
                    .bind(decision.map_or("", essor_domain::committee::ItemDecision::text))
                    .bind(item.decided_at)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            Ok(())
        }

        /// The schedules, the payments, the reports and the evaluations; the total paid, in cents.
        async fn demo_insert_funding(
            tx: &mut sqlx::Transaction<'_, $db>,
            ids: &[i64],
            follow_up: &$crate::demo::DemoFollowUp,
        ) -> $crate::Result<i64> {
            let mut paid = 0_i64;
            for schedule in &follow_up.schedules {
                let dossier = ids[schedule.dossier];
                for (position, (instalment, paid_on)) in (1_i32..).zip(&schedule.instalments) {
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO dossier_instalments (dossier_id, position, amount_cents, \
                         condition, due_on) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(dossier)
                    .bind(position)
                    .bind(instalment.amount.cents())
                    .bind($crate::funding::condition_code(instalment.condition))
                    .bind(instalment.due)
                    .fetch_one(&mut **tx)
                    .await?;
                    let Some(paid_on) = paid_on else {
                        continue;
                    };
                    sqlx::query(
                        "INSERT INTO dossier_payments (dossier_id, instalment_id, paid_on, \
                         amount_cents, recorded_by, recorded_at) \
                         VALUES ($1, $2, $3, $4, NULL, $5)",
                    )
                    .bind(dossier)
                    .bind(id)
                    .bind(*paid_on)
                    .bind(instalment.amount.cents())
                    .bind($crate::demo::recorded_at(*paid_on))
                    .execute(&mut **tx)
                    .await?;
                    paid += instalment.amount.cents();
                }
            }
            for report in &follow_up.reports {
                sqlx::query(
                    "INSERT INTO dossier_reports (dossier_id, kind, due_on, status, content, \
                     submitted_at, reviewed_at, reviewed_by, updated_at) \
                     VALUES ($1, $2, NULL, $3, $4, $5, $6, NULL, $6)",
                )
                .bind(ids[report.dossier])
                .bind(report.kind.code())
                .bind(essor_domain::reports::ReportStatus::Accepted.code())
                .bind($crate::reports::content_document(&report.content)?)
                .bind(report.submitted_at)
                .bind(report.reviewed_at)
                .execute(&mut **tx)
                .await?;
            }
            for evaluation in &follow_up.evaluations {
                let e = &evaluation.evaluation;
                sqlx::query(
                    "INSERT INTO dossier_evaluations (dossier_id, jobs_created, \
                     jobs_consolidated, outcomes, achievement, themes, evaluated_by, \
                     evaluated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
                )
                .bind(ids[evaluation.dossier])
                .bind(i64::from(e.jobs_created))
                .bind(i64::from(e.jobs_consolidated))
                .bind(&e.outcomes)
                .bind(e.achievement.code())
                .bind($crate::reports::themes_document(&e.themes)?)
                .bind(evaluation.evaluated_at)
                .execute(&mut **tx)
                .await?;
            }
            Ok(paid)
        }
    };
}

pub(crate) use impl_demo_follow_up;

/// When a demonstration payment is recorded: the morning of its day.
pub(crate) fn recorded_at(paid_on: NaiveDate) -> DateTime<Utc> {
    at_hour(paid_on, 10)
}

pub(crate) fn checks_document(checks: &[String]) -> Result<String> {
    serde_json::to_string(checks).map_err(|e| StoreError::Corrupt {
        what: "contrôles d’instruction",
        detail: e.to_string(),
    })
}

/// The audit entry of the load: how many dossiers, the total granted and the total paid.
pub(crate) fn loaded_event(
    count: usize,
    granted_cents: i64,
    paid_cents: i64,
) -> essor_domain::audit::AuditEvent {
    use essor_domain::audit::{Action as AuditAction, Actor, AuditEvent, SystemActor};
    AuditEvent::now(
        Actor::System(SystemActor::Server),
        AuditAction::DOSSIER_DEMO_LOADED,
    )
    .after(&serde_json::json!({
        "count": count,
        "granted_cents": granted_cents,
        "paid_cents": paid_cents,
    }))
}

/// What [`ensure_demo_dossiers`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    AlreadyDone,
    /// Nothing to build them from: no default territory, plan, envelope, or synthetic import.
    Skipped(&'static str),
    Loaded {
        dossiers: usize,
        /// Committee sessions, held and planned.
        sessions: usize,
        payments: usize,
    },
}

/// On a database whose directory comes from a synthetic SIRENE stock, loads the demonstration
/// dossiers once. A real import never gets invented dossiers.
pub async fn ensure_demo_dossiers(
    store: &dyn Store,
    referential: &Referential,
    today: NaiveDate,
) -> Result<DemoOutcome> {
    if store.meta(DEMO_DOSSIERS_KEY).await?.is_some() {
        return Ok(DemoOutcome::AlreadyDone);
    }
    let Some(snapshot) = store.latest_snapshot().await? else {
        return Ok(DemoOutcome::Skipped("aucun import SIRENE"));
    };
    if !snapshot.synthetic {
        return Ok(DemoOutcome::Skipped(
            "l’import SIRENE n’est pas synthétique",
        ));
    }
    let Some(configured) = store.default_territory().await? else {
        return Ok(DemoOutcome::Skipped("aucun territoire par défaut"));
    };
    let Some(plan) = store.current_plan(&configured.reference).await? else {
        return Ok(DemoOutcome::Skipped("aucun plan"));
    };
    let territory = configured
        .reference
        .parse::<TerritoryRef>()
        .map_err(|e| StoreError::UnknownTerritory(e.to_string()))?
        .resolve(referential)
        .map_err(|e| StoreError::UnknownTerritory(e.to_string()))?;
    let mut places: Vec<Place> = territory
        .communes
        .iter()
        .map(|c| Place {
            code: c.code.to_string(),
            name: c.name.clone(),
            population: c.population,
        })
        .collect();
    let rows = store
        .snapshot_establishments(snapshot.id, &territory.commune_codes_with_arrondissements())
        .await?;
    let structures: Vec<Structure> = rows
        .iter()
        .filter_map(|row| serde_json::from_str::<EstablishmentRecord>(&row.record).ok())
        .filter(|r| r.active && !r.diffusion_partial && r.name.is_some() && r.head_office)
        .map(|r| Structure {
            siret: r.siret,
            siren: r.siren,
            name: r.name.unwrap_or_default(),
            themes: r.themes,
        })
        .collect();
    places.sort_by(|a, b| b.population.cmp(&a.population).then(a.code.cmp(&b.code)));
    let demo = generate(&Input {
        plan: &plan,
        grantor: &territory.name,
        structures: &structures,
        places: &places,
        today,
    });
    if demo.dossiers.is_empty() {
        return Ok(DemoOutcome::Skipped("aucune structure ou aucune enveloppe"));
    }
    Ok(
        match store.load_demo(&demo.dossiers, &demo.follow_up).await? {
            Some(n) => DemoOutcome::Loaded {
                dossiers: n,
                sessions: demo.follow_up.sessions.len(),
                payments: demo.follow_up.payment_count(),
            },
            None => DemoOutcome::AlreadyDone,
        },
    )
}

/// A structure that may apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure {
    pub siret: String,
    pub siren: String,
    /// Its name in the directory, for the committees' minutes.
    pub name: String,
    /// Its themes (keys of the plan), from its activity.
    pub themes: Vec<String>,
}

/// A commune of the territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub code: String,
    pub name: String,
    pub population: u64,
}

/// What the generator works from.
pub struct Input<'a> {
    pub plan: &'a Plan,
    /// The authority's name, in the budgets' resources.
    pub grantor: &'a str,
    pub structures: &'a [Structure],
    /// The territory's communes, most populated first.
    pub places: &'a [Place],
    pub today: NaiveDate,
}

/// `SplitMix64`: a small, fixed pseudo-random sequence, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }

    /// In `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A kind of project: theme (a key of the plan, or none), axis, title (`{c}`: a commune),
/// summary, whether it serves priority districts.
struct Project {
    theme: Option<&'static str>,
    axis: &'static str,
    title: &'static str,
    summary: &'static str,
    districts: bool,
}

const PROJECTS: &[Project] = &[
    Project {
        theme: Some("dechets"),
        axis: "axe-1",
        title: "Ressourcerie de quartier à {c}",
        summary: "Collecter, trier, réparer et revendre à petits prix les objets du quotidien dans un local de quartier, avec des salariés en parcours d’insertion.",
        districts: true,
    },
    Project {
        theme: Some("dechets"),
        axis: "axe-1",
        title: "Atelier de réparation d’électroménager et de petits appareils",
        summary: "Ouvrir un atelier où techniciens et bénévoles réparent l’électroménager et apprennent aux habitants à réparer eux-mêmes.",
        districts: false,
    },
    Project {
        theme: Some("dechets"),
        axis: "axe-1",
        title: "Matériauthèque : réemploi des matériaux du bâtiment à {c}",
        summary: "Récupérer les matériaux des chantiers de déconstruction, les stocker et les revendre aux artisans et aux particuliers.",
        districts: false,
    },
    Project {
        theme: Some("dechets"),
        axis: "axe-3",
        title: "Atelier textile de réemploi et de couture solidaire",
        summary: "Transformer les textiles collectés en vêtements et accessoires, avec des couturières en insertion.",
        districts: true,
    },
    Project {
        theme: Some("dechets"),
        axis: "axe-1",
        title: "Collecte et compostage des biodéchets des restaurants de {c}",
        summary: "Collecter à vélo les biodéchets des restaurateurs et les composter sur une plateforme de proximité.",
        districts: false,
    },
    Project {
        theme: Some("dechets"),
        axis: "axe-1",
        title: "Recyclerie sportive : réemploi d’équipements de sport",
        summary: "Collecter les équipements de sport inutilisés, les remettre en état et les vendre à prix solidaires.",
        districts: false,
    },
    Project {
        theme: Some("circuits_courts"),
        axis: "axe-1",
        title: "Épicerie solidaire et participative à {c}",
        summary: "Ouvrir une épicerie où les familles aux revenus modestes achètent des produits locaux à prix adaptés, tenue par ses adhérents.",
        districts: true,
    },
    Project {
        theme: Some("circuits_courts"),
        axis: "axe-3",
        title: "Légumerie d’insertion pour la restauration collective",
        summary: "Laver, éplucher et découper les légumes des producteurs locaux pour les cantines, avec des salariés en insertion.",
        districts: false,
    },
    Project {
        theme: Some("circuits_courts"),
        axis: "axe-1",
        title: "Cuisine partagée et traiteur solidaire à {c}",
        summary: "Aménager une cuisine professionnelle partagée entre porteurs de projets culinaires et un service traiteur d’insertion.",
        districts: true,
    },
    Project {
        theme: Some("circuits_courts"),
        axis: "axe-1",
        title: "Groupement d’achats de produits locaux pour les familles de {c}",
        summary: "Organiser des commandes groupées auprès des producteurs du territoire pour les familles du quartier.",
        districts: true,
    },
    Project {
        theme: Some("circuits_courts"),
        axis: "axe-3",
        title: "Jardins partagés et maraîchage d’insertion à {c}",
        summary: "Cultiver des légumes biologiques avec des personnes éloignées de l’emploi et ouvrir des parcelles aux habitants.",
        districts: false,
    },
    Project {
        theme: Some("mobilites"),
        axis: "axe-1",
        title: "Atelier vélo participatif et solidaire à {c}",
        summary: "Apprendre aux habitants à entretenir leur vélo, remettre en circulation des vélos abandonnés et les revendre.",
        districts: true,
    },
    Project {
        theme: Some("mobilites"),
        axis: "axe-3",
        title: "Garage solidaire pour les personnes en parcours d’insertion",
        summary: "Entretenir et réparer à prix coûtant les véhicules des personnes qui en ont besoin pour accéder à l’emploi.",
        districts: false,
    },
    Project {
        theme: Some("mobilites"),
        axis: "axe-3",
        title: "Auto-école sociale pour l’accès à l’emploi",
        summary: "Préparer au permis de conduire des demandeurs d’emploi, avec une pédagogie adaptée et un tarif solidaire.",
        districts: true,
    },
    Project {
        theme: Some("mobilites"),
        axis: "axe-1",
        title: "Livraison à vélo-cargo pour les commerces de {c}",
        summary: "Créer une coopérative de livreurs à vélo-cargo au service des commerces du centre-ville.",
        districts: false,
    },
    Project {
        theme: Some("transition_energetique"),
        axis: "axe-1",
        title: "Accompagnement des ménages contre la précarité énergétique à {c}",
        summary: "Visiter les logements, conseiller les ménages et installer de petits équipements d’économie d’énergie.",
        districts: true,
    },
    Project {
        theme: Some("transition_energetique"),
        axis: "axe-1",
        title: "Coopérative citoyenne de production d’électricité solaire",
        summary: "Installer des centrales solaires sur des toits publics, financées par l’épargne des habitants réunis en coopérative.",
        districts: false,
    },
    Project {
        theme: Some("transition_energetique"),
        axis: "axe-3",
        title: "Chantier d’insertion en rénovation énergétique",
        summary: "Former des salariés en insertion aux métiers de l’isolation sur des chantiers de rénovation de logements sociaux.",
        districts: false,
    },
    Project {
        theme: Some("transition_energetique"),
        axis: "axe-2",
        title: "Défi des familles à énergie positive à {c}",
        summary: "Animer un défi où des équipes de familles réduisent leur consommation d’énergie et d’eau pendant un hiver.",
        districts: false,
    },
    Project {
        theme: Some("habitat"),
        axis: "axe-1",
        title: "Habitat participatif intergénérationnel à {c}",
        summary: "Accompagner un groupe d’habitants de tous âges dans la conception et la gestion d’un immeuble partagé.",
        districts: false,
    },
    Project {
        theme: Some("habitat"),
        axis: "axe-1",
        title: "Services aux habitants du quartier en renouvellement urbain de {c}",
        summary: "Créer des services de proximité (petites réparations, conciergerie, lien social) pendant les travaux du quartier.",
        districts: true,
    },
    Project {
        theme: Some("habitat"),
        axis: "axe-3",
        title: "Auto-réhabilitation accompagnée de logements",
        summary: "Aider des locataires et propriétaires modestes à rénover eux-mêmes leur logement, encadrés par des compagnons.",
        districts: true,
    },
    Project {
        theme: None,
        axis: "axe-1",
        title: "Tiers-lieu de l’économie sociale et solidaire à {c}",
        summary: "Ouvrir un lieu de travail partagé, de rencontres et d’activités pour les structures de l’ESS et les habitants.",
        districts: false,
    },
    Project {
        theme: None,
        axis: "axe-3",
        title: "Création d’une SCIC de services à la personne",
        summary: "Transformer l’association en société coopérative d’intérêt collectif et consolider les emplois d’aide à domicile.",
        districts: false,
    },
    Project {
        theme: None,
        axis: "axe-1",
        title: "Couveuse d’activités pour entrepreneurs de l’ESS",
        summary: "Héberger et accompagner pendant dix-huit mois des porteurs de projets qui testent leur activité.",
        districts: false,
    },
    Project {
        theme: None,
        axis: "axe-2",
        title: "Programme d’animations du Mois de l’ESS à {c}",
        summary: "Organiser visites d’entreprises, forums et projections pour faire connaître l’ESS aux habitants et aux scolaires.",
        districts: false,
    },
    Project {
        theme: None,
        axis: "axe-3",
        title: "Poste de coordination mutualisé entre trois associations",
        summary: "Créer un emploi de coordinateur partagé par trois associations voisines pour la gestion et la recherche de financements.",
        districts: false,
    },
    Project {
        theme: None,
        axis: "axe-3",
        title: "Formation des bénévoles dirigeants d’associations",
        summary: "Former les bénévoles aux responsabilités d’employeur, à la gestion financière et à la gouvernance.",
        districts: false,
    },
    Project {
        theme: None,
        axis: "axe-1",
        title: "Café associatif et lieu de vie à {c}",
        summary: "Ouvrir un café associatif qui accueille ateliers, concerts et permanences d’associations.",
        districts: true,
    },
    Project {
        theme: None,
        axis: "axe-4",
        title: "Étude des besoins d’emploi des structures de l’ESS du territoire",
        summary: "Enquêter auprès des employeurs de l’ESS sur leurs besoins de recrutement et de compétences à cinq ans.",
        districts: false,
    },
];

/// Communes with priority districts (QPV) in Grenoble-Alpes-Métropole.
const QPV_COMMUNES: [&str; 5] = ["38185", "38151", "38421", "38169", "38317"];

const COFINANCERS: [&str; 6] = [
    "Région Auvergne-Rhône-Alpes",
    "Banque des Territoires",
    "France Active Isère (GAIA)",
    "Département de l’Isère",
    "Fondation de France",
    "Commune",
];

const CORRECTIONS: [(CorrectionReason, &str); 4] = [
    (
        CorrectionReason::Incomplete,
        "Merci de joindre le budget prévisionnel signé par le président ou la présidente.",
    ),
    (
        CorrectionReason::Incorrect,
        "Le total des ressources ne correspond pas au plan de financement présenté : merci de le vérifier.",
    ),
    (
        CorrectionReason::Outdated,
        "L’attestation d’assurance jointe a expiré : merci d’envoyer celle de cette année.",
    ),
    (
        CorrectionReason::Incomplete,
        "Précisez le calendrier des recrutements prévus et les postes concernés.",
    ),
];

const REFUSALS: [&str; 4] = [
    "Le projet relève d’un autre dispositif de la Métropole ; le porteur est orienté vers le service compétent.",
    "Le modèle économique n’est pas assez consolidé ; le comité invite le porteur à redéposer après un accompagnement du DLA.",
    "Le projet ne s’inscrit pas dans les axes prioritaires du plan.",
    "Le plan de financement repose sur des cofinancements qui ne sont pas encore confirmés.",
];

const CLOSURES: [&str; 3] = [
    "Le porteur a renoncé au projet.",
    "Le projet a été financé par un autre partenaire ; la demande est retirée.",
    "Les pièces demandées n’ont pas été transmises.",
];

/// The states of the current year's dossiers: every state, decided ones most.
const CURRENT_YEAR: [(State, usize); 9] = [
    (State::Accepted, 14),
    (State::Refused, 4),
    (State::Closed, 3),
    (State::OnAgenda, 5),
    (State::OpinionsRequested, 3),
    (State::UnderInstruction, 4),
    (State::CorrectionRequested, 3),
    (State::Submitted, 2),
    (State::Draft, 2),
];

fn at(day: NaiveDate, rng: &mut Rng) -> DateTime<Utc> {
    let seconds = rng.between(8 * 3600, 17 * 3600);
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN)) + Duration::seconds(seconds)
}

/// Rounds down to a multiple of `step` euros.
fn round_down(amount: Money, step: i64) -> Money {
    let cents = step * 100;
    Money::from_cents(amount.cents() / cents * cents)
}

/// The dossiers of every year with an envelope among the last [`YEARS`], in order, and what
/// followed them: committee sessions, schedules, reports and payments.
#[must_use]
pub fn generate(input: &Input<'_>) -> Demo {
    let mut rng = Rng(SEED);
    let mut out = Vec::new();
    let mut extras = Vec::new();
    if input.structures.is_empty() || input.places.is_empty() {
        return Demo::default();
    }
    let current = input.today.year();
    // Structures in a fixed, shuffled order; some apply in several years, as in life.
    let mut structures: Vec<&Structure> = input.structures.iter().collect();
    structures.sort_by(|a, b| a.siret.cmp(&b.siret));
    for i in (1..structures.len()).rev() {
        let j = rng.below(i + 1);
        structures.swap(i, j);
    }
    let pool = structures.len().min(140);
    let mut next_structure = 0;
    for year in (current - YEARS + 1)..=current {
        let Some(envelope) = input
            .plan
            .budgets
            .iter()
            .find(|b| b.year == year)
            .map(|b| b.amount)
        else {
            continue;
        };
        let mut states: Vec<State> = if year == current {
            CURRENT_YEAR
                .iter()
                .flat_map(|(s, n)| std::iter::repeat_n(*s, *n))
                .collect()
        } else {
            let n = rng.between(38, 43);
            (0..n)
                .map(|_| match rng.below(100) {
                    0..68 => State::Accepted,
                    68..85 => State::Refused,
                    _ => State::Closed,
                })
                .collect()
        };
        for i in (1..states.len()).rev() {
            let j = rng.below(i + 1);
            states.swap(i, j);
        }
        let mut committed = Money::ZERO;
        for state in states {
            let structure = structures[next_structure % pool];
            next_structure += 1;
            let (mut dossier, motivation) =
                one(input, &mut rng, structure, year, state, envelope, committed);
            pull_back(&mut dossier, input.today);
            committed = committed + dossier.granted.unwrap_or(Money::ZERO);
            out.push(dossier);
            extras.push(Extra {
                structure: structure.name.clone(),
                motivation,
            });
        }
    }
    let follow_up = follow_up(input, &mut out, &extras);
    Demo {
        dossiers: out,
        follow_up,
    }
}

/// The application of a project: its title marked as a demonstration, a budget that balances.
fn application(
    input: &Input<'_>,
    rng: &mut Rng,
    structure: &Structure,
    asked: Money,
) -> Application {
    let matching: Vec<&Project> = PROJECTS
        .iter()
        .filter(|p| {
            p.theme
                .is_some_and(|t| structure.themes.iter().any(|s| s == t))
        })
        .collect();
    let project = if !matching.is_empty() && rng.chance(70) {
        *rng.pick(&matching)
    } else {
        rng.pick(PROJECTS)
    };
    // The most populated communes apply most.
    let place = &input.places[rng.below(input.places.len().min(12))];
    let title = format!("{}{TITLE_MARK}", project.title.replace("{c}", &place.name));
    let jobs_created = u32::try_from(rng.between(0, 3)).unwrap_or(0);
    let jobs_consolidated = u32::try_from(rng.between(0, 4)).unwrap_or(0);
    let mut communes = vec![place.code.clone()];
    if rng.chance(25) {
        let other = &input.places[rng.below(input.places.len())];
        if other.code != place.code {
            communes.push(other.code.clone());
        }
    }
    let mut districts = Vec::new();
    if project.districts && QPV_COMMUNES.contains(&place.code.as_str()) {
        districts.push(District::Qpv);
        if project.title.contains("renouvellement urbain") || rng.chance(20) {
            districts.push(District::Npnru);
        }
    }
    let axis = Key::parse(project.axis)
        .ok()
        .filter(|k| input.plan.axis(k).is_some())
        .or_else(|| input.plan.axes.first().map(|a| a.key.clone()));
    let themes = project
        .theme
        .and_then(|t| Key::parse(t).ok())
        .filter(|k| input.plan.theme(k).is_some())
        .into_iter()
        .collect();
    let (budget, cofinancers) = budget(input, rng, asked, &place.name);
    Application {
        title,
        summary: format!("Dossier de démonstration. {}", project.summary),
        description: format!(
            "Dossier de démonstration, généré au premier démarrage d’essor : la structure et \
             le projet n’existent pas. {} Le projet prévoit {jobs_created} création(s) et \
             {jobs_consolidated} consolidation(s) d’emploi ; il est porté avec {}.",
            project.summary,
            if cofinancers.is_empty() {
                "les ressources propres de la structure".to_owned()
            } else {
                cofinancers.join(", ")
            }
        ),
        communes,
        districts,
        axis,
        themes,
        jobs_created,
        jobs_consolidated,
        budget,
        asked,
        cofinancers,
    }
}

/// A budget that balances to the cent, the authority asked for 20 to 40 % of it; and the
/// co-financers named in it.
fn budget(input: &Input<'_>, rng: &mut Rng, asked: Money, commune: &str) -> (Budget, Vec<String>) {
    // The authority's share of the budget: 20 to 40 %.
    let share = rng.between(20, 40);
    let total = round_down(Money::from_cents(asked.cents() * 100 / share), 100);
    let line = |label: &str, amount: Money| BudgetLine {
        label: label.to_owned(),
        amount,
    };
    let part = |percent: i64| round_down(Money::from_cents(total.cents() * percent / 100), 100);
    let (salaries, supplies, rent) = (part(55), part(15), part(10));
    let expenses = vec![
        line("Salaires et charges sociales", salaries),
        line("Achats de matériel et de fournitures", supplies),
        line("Loyer et charges locatives", rent),
        line(
            "Prestations, honoraires et communication",
            total - salaries - supplies - rent,
        ),
    ];
    let mut cofinancers = Vec::new();
    let mut resources = vec![line(
        &format!("{} (subvention demandée)", input.grantor),
        asked,
    )];
    for _ in 0..rng.between(1, 3) {
        let name = match *rng.pick(&COFINANCERS) {
            "Commune" => format!("Commune de {commune}"),
            other => other.to_owned(),
        };
        if cofinancers.contains(&name) {
            continue;
        }
        resources.push(line(&name, part(rng.between(8, 18))));
        cofinancers.push(name);
    }
    let others: Money = resources.iter().map(|l| l.amount).sum();
    resources.push(line("Recettes d’activité et fonds propres", total - others));
    (
        Budget {
            expenses,
            resources,
        },
        cofinancers,
    )
}

/// The thread being written: the state reached, the day, the events.
struct Thread {
    state: State,
    day: NaiveDate,
    events: Vec<DemoEvent>,
    submitted_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    /// The motivation of a refusal or a closure.
    motivation: Option<String>,
}

impl Thread {
    /// Takes a step after `min..=max` days, as the state machine allows it.
    fn step(&mut self, rng: &mut Rng, action: &Action, min: i64, max: i64) {
        self.day += Duration::days(rng.between(min, max));
        let when = at(self.day, rng);
        let step = transition(self.state, action, action.party())
            .expect("demonstration paths follow the state machine");
        if step.to == State::Submitted {
            self.submitted_at = Some(when);
        }
        if step.to.is_decided() {
            self.decided_at = Some(when);
        }
        self.events.push(DemoEvent {
            kind: EventKind::Transition,
            from: Some(step.from),
            to: Some(step.to),
            body: step.message,
            shared: true,
            at: when,
        });
        self.state = step.to;
    }

    /// Instruction: a question and its answer sometimes, a correction asked (and, unless the
    /// path stops there, sent) sometimes.
    fn instruct(&mut self, rng: &mut Rng, outcome: State) {
        self.step(rng, &Action::Instruct, 2, 12);
        if rng.chance(30) {
            self.write(
                rng,
                EventKind::Message,
                "Bonjour, nous avons bien reçu votre dossier. Pouvez-vous nous préciser la \
                 date de démarrage du projet ?",
            );
            self.write(
                rng,
                EventKind::Message,
                "Bonjour, le projet démarrera dès la signature de la convention ; les \
                 recrutements suivront dans les deux mois.",
            );
        }
        let corrected = outcome == State::CorrectionRequested || rng.chance(25);
        if corrected {
            let (reason, message) = *rng.pick(&CORRECTIONS);
            self.step(
                rng,
                &Action::RequestCorrection {
                    reason,
                    message: message.to_owned(),
                },
                3,
                15,
            );
            if outcome != State::CorrectionRequested {
                self.step(rng, &Action::SendCorrections { missing: vec![] }, 4, 20);
            }
        }
    }

    /// The committee's decision, or the closure, that ends the path to `outcome`; a dossier
    /// meant to be accepted that the envelope could not fund is refused for that reason.
    fn decide(
        &mut self,
        rng: &mut Rng,
        outcome: State,
        target: State,
        amount: Money,
        asked: Money,
    ) {
        match outcome {
            State::Accepted => self.step(
                rng,
                &Action::Decide {
                    decision: Decision::Accept { amount, asked },
                    unchecked: vec![],
                },
                5,
                25,
            ),
            State::Refused => {
                let motivation = if target == State::Accepted {
                    "L’enveloppe annuelle est épuisée : le comité ne peut pas engager ce montant \
                     cette année."
                } else {
                    *rng.pick(&REFUSALS)
                };
                self.motivation = Some(motivation.to_owned());
                self.step(
                    rng,
                    &Action::Decide {
                        decision: Decision::Refuse {
                            motivation: motivation.to_owned(),
                        },
                        unchecked: vec![],
                    },
                    5,
                    25,
                );
            }
            State::Closed => {
                let motivation = (*rng.pick(&CLOSURES)).to_owned();
                self.motivation = Some(motivation.clone());
                self.step(rng, &Action::Close { motivation }, 5, 40);
            }
            _ => {}
        }
    }

    fn write(&mut self, rng: &mut Rng, kind: EventKind, body: &str) {
        self.day += Duration::days(rng.between(0, 3));
        self.events.push(DemoEvent {
            kind,
            from: None,
            to: None,
            body: body.to_owned(),
            shared: kind != EventKind::Note,
            at: at(self.day, rng),
        });
    }
}

/// The steps from a draft to `target`; and the motivation of a refusal or a closure.
#[allow(clippy::too_many_arguments)]
fn one(
    input: &Input<'_>,
    rng: &mut Rng,
    structure: &Structure,
    year: i32,
    target: State,
    envelope: Money,
    committed: Money,
) -> (DemoDossier, Option<String>) {
    let asked = Money::from_euros(rng.between(6, 60) * 500);
    let application = application(input, rng, structure, asked);
    // The committee grants 70 to 100 % of the amount asked, within what the envelope has left.
    let mut outcome = target;
    let mut granted = None;
    if target == State::Accepted {
        let wanted = round_down(
            Money::from_cents(asked.cents() * rng.between(70, 100) / 100),
            500,
        )
        .max(Money::from_euros(1_000));
        let left = if committed < envelope {
            envelope - committed
        } else {
            Money::ZERO
        };
        let amount = wanted.min(round_down(left, 100));
        if amount >= Money::from_euros(1_500) {
            granted = Some(amount);
        } else {
            outcome = State::Refused;
        }
    }
    let start = NaiveDate::from_ymd_opt(year, 1, 5).unwrap_or(input.today)
        + Duration::days(rng.between(0, 250));
    let created_at = at(start, rng);
    let mut thread = Thread {
        state: State::Draft,
        day: start,
        events: Vec::new(),
        submitted_at: None,
        decided_at: None,
        motivation: None,
    };
    let all_checks: Vec<String> = INSTRUCTION_CHECKS
        .iter()
        .map(|(k, _)| (*k).to_owned())
        .collect();
    let mut checks = Vec::new();
    if outcome != State::Draft {
        thread.step(rng, &Action::Submit { missing: vec![] }, 3, 25);
    }
    if !matches!(outcome, State::Draft | State::Submitted) {
        let closed_early = outcome == State::Closed && rng.chance(40);
        if !closed_early {
            thread.instruct(rng, outcome);
            checks = all_checks[..2].to_vec();
        }
        let far = matches!(outcome, State::OnAgenda | State::Accepted | State::Refused);
        if outcome == State::OpinionsRequested || (far && rng.chance(50)) {
            thread.step(rng, &Action::RequestOpinions, 3, 10);
        }
        if far {
            checks.clone_from(&all_checks);
            if rng.chance(25) {
                thread.write(
                    rng,
                    EventKind::Note,
                    "Note interne : projet cohérent avec le plan ; le budget a été vérifié avec \
                     la structure, à présenter au prochain comité de pilotage.",
                );
            }
            thread.step(rng, &Action::PutOnAgenda { unchecked: vec![] }, 7, 25);
        }
        thread.decide(rng, outcome, target, granted.unwrap_or(asked), asked);
    }
    // Most agreements are signed within weeks of the decision.
    let agreement_signed_on = (outcome == State::Accepted && rng.chance(90))
        .then(|| thread.day + Duration::days(rng.between(10, 50)));
    let updated_at = thread.events.last().map_or(created_at, |e| e.at);
    let dossier = DemoDossier {
        siret: structure.siret.clone(),
        siren: structure.siren.clone(),
        year,
        state: thread.state,
        application,
        granted,
        checks,
        created_at,
        updated_at,
        submitted_at: thread.submitted_at,
        decided_at: thread.decided_at,
        agreement_signed_on,
        events: thread.events,
    };
    (dossier, thread.motivation)
}

/// A dossier of the current year ends before today: its whole history is moved back when its
/// last step would fall later; a signature still to come is left out.
fn pull_back(dossier: &mut DemoDossier, today: NaiveDate) {
    let last = dossier.updated_at.date_naive();
    let limit = today - Duration::days(1);
    if last > limit {
        shift(dossier, limit - last);
    }
    if dossier.agreement_signed_on.is_some_and(|d| d >= today) {
        dossier.agreement_signed_on = None;
    }
}

/// Moves a dossier's whole history by `by` (its intervals kept).
fn shift(dossier: &mut DemoDossier, by: Duration) {
    dossier.created_at += by;
    dossier.updated_at += by;
    dossier.submitted_at = dossier.submitted_at.map(|t| t + by);
    dossier.decided_at = dossier.decided_at.map(|t| t + by);
    dossier.agreement_signed_on = dossier.agreement_signed_on.map(|d| d + by);
    for event in &mut dossier.events {
        event.at += by;
    }
}

// ---------------------------------------------------------------------------------------------
// What followed the dossiers: committees, schedules, reports, payments.

/// A member of one of the plan's committees, as the demonstration seats them: a fictional name
/// and a quality marked « (démonstration) », no contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMember {
    /// The key of the plan's committee.
    pub committee: String,
    pub name: String,
    pub quality: String,
    pub role: MemberRole,
}

/// A dossier on a demonstration session's agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoItem {
    /// Its dossier: an index into the dossiers loaded with it.
    pub dossier: usize,
    pub proposal: String,
    pub proposed: Option<Money>,
    /// `None` on the agenda of a planned session.
    pub decision: Option<ItemDecision>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A session of a committee: held (past), or planned (the next one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSession {
    /// The key of the plan's committee.
    pub committee: String,
    pub date: NaiveDate,
    pub place: String,
    /// When it was marked held; `None` while planned.
    pub held_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub minutes: String,
    /// Who attended: indices into the members.
    pub present: Vec<usize>,
    pub items: Vec<DemoItem>,
}

/// The payment schedule of an accepted dossier with a signed agreement, and what was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSchedule {
    /// An index into the dossiers loaded with it.
    pub dossier: usize,
    /// Each instalment, with the day it was paid (in full) if it was.
    pub instalments: Vec<(Instalment, Option<NaiveDate>)>,
}

/// A report the structure sent and staff accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// An index into the dossiers loaded with it.
    pub dossier: usize,
    pub kind: ReportKind,
    pub content: ReportContent,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_at: DateTime<Utc>,
}

/// Staff's evaluation of a dossier whose final report was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEvaluation {
    /// An index into the dossiers loaded with it.
    pub dossier: usize,
    pub evaluation: Evaluation,
    pub evaluated_at: DateTime<Utc>,
}

/// What followed the demonstration dossiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoFollowUp {
    pub members: Vec<DemoMember>,
    pub sessions: Vec<DemoSession>,
    pub schedules: Vec<DemoSchedule>,
    pub reports: Vec<DemoReport>,
    pub evaluations: Vec<DemoEvaluation>,
}

impl DemoFollowUp {
    /// How many payments it records.
    #[must_use]
    pub fn payment_count(&self) -> usize {
        self.schedules
            .iter()
            .flat_map(|s| &s.instalments)
            .filter(|(_, paid)| paid.is_some())
            .count()
    }
}

/// Everything a first start loads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Demo {
    pub dossiers: Vec<DemoDossier>,
    pub follow_up: DemoFollowUp,
}

/// What the generator knows of a dossier beyond what is stored with it.
struct Extra {
    structure: String,
    motivation: Option<String>,
}

/// The seed of what follows the dossiers (its own sequence: the dossiers stay as they were).
const FOLLOW_UP_SEED: u64 = SEED ^ 0x000C_0411_7EE5;

/// The months the *comité de pilotage* meets in, every two or three months.
const SESSION_MONTHS: [u32; 5] = [3, 5, 7, 10, 12];

/// Fictional members: name, quality, role; the *comité de pilotage*'s first.
const STEERING_MEMBERS: [(&str, &str, MemberRole); 6] = [
    (
        "Hélène Fictive",
        "Vice-présidente chargée de l’ESS",
        MemberRole::Chair,
    ),
    (
        "Marc Exemple",
        "Conseiller métropolitain",
        MemberRole::Member,
    ),
    (
        "Sophie Modèle",
        "Adjointe au maire de la ville-centre",
        MemberRole::Member,
    ),
    ("Karim Fictif", "Maire d’une commune", MemberRole::Member),
    (
        "Claire Témoin",
        "Conseillère déléguée à l’emploi",
        MemberRole::Member,
    ),
    (
        "Paul Illustratif",
        "Directeur du développement économique",
        MemberRole::Guest,
    ),
];

const LOCAL_MEMBERS: [(&str, &str, MemberRole); 4] = [
    (
        "Anne Spécimen",
        "Chambre régionale de l’ESS",
        MemberRole::Chair,
    ),
    ("Louis Démo", "Banque des Territoires", MemberRole::Member),
    ("Nadia Exemple", "France Active Isère", MemberRole::Member),
    (
        "Jean Fictif",
        "Réseau des ressourceries",
        MemberRole::Member,
    ),
];

const CONDITIONS: &str = "Convention à signer ; versement de 50 % à la signature et de 50 % \
                          à la réception du rapport final.";

const POSTPONEMENT: &str = "Le comité demande des précisions sur le plan de financement ; le \
                            dossier est ajourné à une prochaine séance.";

/// The days the *comité de pilotage* meets (the second Thursday of [`SESSION_MONTHS`]), from
/// `first` to the year after `last`.
fn session_days(first: i32, last: i32) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    for year in first..=last + 1 {
        for month in SESSION_MONTHS {
            let Some(start) = NaiveDate::from_ymd_opt(year, month, 1) else {
                continue;
            };
            let to_thursday = (7 + 3 - i64::from(start.weekday().num_days_from_monday())) % 7;
            days.push(start + Duration::days(to_thursday + 7));
        }
    }
    days
}

fn at_hour(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(chrono::NaiveTime::MIN);
    Utc.from_utc_datetime(&day.and_time(time))
}

/// Moves a committee-decided dossier's whole history so that its decision falls on a session
/// day (the nearest one that keeps it in its year and before today); the index of that day.
fn align_decision(
    dossier: &mut DemoDossier,
    past: &[NaiveDate],
    today: NaiveDate,
) -> Option<usize> {
    let decided = dossier.decided_at?.date_naive();
    let first = dossier.created_at.date_naive();
    let last = dossier.updated_at.date_naive();
    let year_start = NaiveDate::from_ymd_opt(dossier.year, 1, 1)?;
    let mut candidates: Vec<usize> = (0..past.len()).collect();
    candidates.sort_by_key(|&i| ((past[i] - decided).num_days().abs(), i));
    let fits = |i: usize, strict: bool| {
        let by = past[i] - decided;
        last + by < today
            && (!strict || (past[i].year() == dossier.year && first + by >= year_start))
    };
    let chosen = candidates
        .iter()
        .copied()
        .find(|&i| fits(i, true))
        .or_else(|| candidates.iter().copied().find(|&i| fits(i, false)))?;
    shift(dossier, past[chosen] - decided);
    if dossier.agreement_signed_on.is_some_and(|d| d >= today) {
        dossier.agreement_signed_on = None;
    }
    Some(chosen)
}

/// Moves a dossier's decision, and what followed it, from one session to a later one, with
/// the postponement told in its thread; `false` (nothing changed) when it would end after
/// `today`.
fn postpone(dossier: &mut DemoDossier, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> bool {
    let by = to - from;
    let Some(decision) = dossier
        .events
        .iter()
        .position(|e| e.to.is_some_and(State::is_decided))
    else {
        return false;
    };
    if (dossier.updated_at + by).date_naive() >= today
        || dossier.agreement_signed_on.is_some_and(|d| d + by >= today)
    {
        return false;
    }
    for event in &mut dossier.events[decision..] {
        event.at += by;
    }
    dossier.decided_at = dossier.decided_at.map(|t| t + by);
    dossier.updated_at += by;
    dossier.agreement_signed_on = dossier.agreement_signed_on.map(|d| d + by);
    dossier.events.insert(
        decision,
        DemoEvent {
            kind: EventKind::Message,
            from: None,
            to: None,
            body: format!("Le comité de pilotage a ajourné l’examen du dossier. {POSTPONEMENT}"),
            shared: true,
            at: at_hour(from, 17),
        },
    );
    true
}

/// Moves a dossier waiting on the agenda so that it was put there after the last session held
/// (when its year allows it); the day it was put there.
fn place_on_agenda(
    dossier: &mut DemoDossier,
    rng: &mut Rng,
    last_held: Option<NaiveDate>,
    today: NaiveDate,
) -> NaiveDate {
    let put = dossier.updated_at.date_naive();
    let Some(held) = last_held else {
        return put;
    };
    let (low, high) = (held + Duration::days(1), today - Duration::days(1));
    if put > held || low > high {
        return put;
    }
    let target = low + Duration::days(rng.between(0, (high - low).num_days().min(20)));
    let by = target - put;
    let year_start = NaiveDate::from_ymd_opt(dossier.year, 1, 1).unwrap_or(target);
    if dossier.created_at.date_naive() + by < year_start {
        return put;
    }
    shift(dossier, by);
    target
}

/// Aligns the dossiers with the committee's sessions and writes what followed them.
fn follow_up(input: &Input<'_>, dossiers: &mut [DemoDossier], extras: &[Extra]) -> DemoFollowUp {
    let mut rng = Rng(FOLLOW_UP_SEED);
    let members = members(input.plan);
    let Some(steering) = input
        .plan
        .committees
        .iter()
        .find(|c| c.key.as_str().contains("pilotage"))
        .or(input.plan.committees.last())
    else {
        return DemoFollowUp {
            members,
            ..DemoFollowUp::default()
        };
    };
    let today = input.today;
    let current = today.year();
    let days = session_days(current - YEARS + 1, current);
    let past: Vec<NaiveDate> = days.iter().copied().filter(|d| *d < today).collect();
    let next = days.iter().copied().find(|d| *d >= today);
    // Per past session: the items (dossier, postponed).
    let mut agenda: Vec<Vec<(usize, bool)>> = vec![Vec::new(); past.len()];
    let mut waiting = Vec::new();
    for (n, dossier) in dossiers.iter_mut().enumerate() {
        match dossier.state {
            State::Accepted | State::Refused => {
                let Some(mut k) = align_decision(dossier, &past, today) else {
                    continue;
                };
                if rng.chance(6)
                    && past.get(k + 1).is_some_and(|d| d.year() == dossier.year)
                    && postpone(dossier, past[k], past[k + 1], today)
                {
                    agenda[k].push((n, true));
                    k += 1;
                }
                agenda[k].push((n, false));
            }
            State::OnAgenda => {
                let put = place_on_agenda(dossier, &mut rng, past.last().copied(), today);
                for (k, day) in past.iter().enumerate() {
                    if put < *day {
                        agenda[k].push((n, true));
                    }
                }
                waiting.push(n);
            }
            _ => {}
        }
    }
    let dossiers: &[DemoDossier] = dossiers;
    let sitting = Sitting {
        committee: steering,
        place: format!("{}, siège de {}", input.places[0].name, input.grantor),
        seats: members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.committee == steering.key.as_str())
            .map(|(i, _)| i)
            .collect(),
        members: &members,
    };
    let mut sessions: Vec<DemoSession> = agenda
        .iter()
        .zip(&past)
        .filter(|(items, _)| !items.is_empty())
        .map(|(items, day)| sitting.held(&mut rng, *day, items, dossiers, extras))
        .collect();
    if let Some(day) = next {
        sessions.push(sitting.next(day, today, dossiers, &waiting));
    }
    let (schedules, reports) = funding_follow_up(dossiers, &mut rng, today);
    let evaluations = evaluations(dossiers, &reports, &mut rng, today);
    DemoFollowUp {
        members,
        sessions,
        schedules,
        reports,
        evaluations,
    }
}

/// The committee that decides, where it sits, and who sits on it.
struct Sitting<'a> {
    committee: &'a Committee,
    place: String,
    members: &'a [DemoMember],
    /// Its members: indices into `members`.
    seats: Vec<usize>,
}

impl Sitting<'_> {
    /// A session held on `day`: its attendance, its agenda (`items`: a dossier, and whether it
    /// was postponed there) decided, its minutes.
    fn held(
        &self,
        rng: &mut Rng,
        day: NaiveDate,
        items: &[(usize, bool)],
        dossiers: &[DemoDossier],
        extras: &[Extra],
    ) -> DemoSession {
        let present: Vec<usize> = self
            .seats
            .iter()
            .copied()
            .filter(|&i| self.members[i].role == MemberRole::Chair || rng.chance(80))
            .collect();
        let items: Vec<DemoItem> = items
            .iter()
            .map(|&(n, postponed)| held_item(n, &dossiers[n], &extras[n], day, postponed))
            .collect();
        let people = |attended: bool| {
            self.seats
                .iter()
                .filter(|i| present.contains(*i) == attended)
                .map(|&i| {
                    (
                        self.members[i].name.clone(),
                        self.members[i].quality.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let minutes = minutes(
            self.committee,
            &self.place,
            day,
            (people(true), people(false)),
            dossiers,
            extras,
            &items,
        );
        DemoSession {
            committee: self.committee.key.to_string(),
            date: day,
            place: self.place.clone(),
            held_at: Some(at_hour(day, 18)),
            created_at: at_hour(day - Duration::days(45), 9),
            minutes,
            present,
            items,
        }
    }

    /// The next session, planned on `day`, with the dossiers `waiting` on its agenda.
    fn next(
        &self,
        day: NaiveDate,
        today: NaiveDate,
        dossiers: &[DemoDossier],
        waiting: &[usize],
    ) -> DemoSession {
        let created = (day - Duration::days(45)).min(today - Duration::days(1));
        DemoSession {
            committee: self.committee.key.to_string(),
            date: day,
            place: self.place.clone(),
            held_at: None,
            created_at: at_hour(created, 9),
            minutes: String::new(),
            present: Vec::new(),
            items: waiting
                .iter()
                .map(|&n| {
                    let proposed = round_down(
                        Money::from_cents(dossiers[n].application.asked.cents() * 8 / 10),
                        500,
                    );
                    DemoItem {
                        dossier: n,
                        proposal: format!(
                            "Avis favorable de la chargée de mission : le projet répond aux \
                             objectifs du plan. Proposition : {proposed}."
                        ),
                        proposed: Some(proposed),
                        decision: None,
                        decided_at: None,
                    }
                })
                .collect(),
        }
    }
}

/// The fictional members of every committee of the plan.
fn members(plan: &Plan) -> Vec<DemoMember> {
    plan.committees
        .iter()
        .flat_map(|committee| {
            let seats: &[(&str, &str, MemberRole)] = if committee.key.as_str().contains("pilotage")
            {
                &STEERING_MEMBERS
            } else {
                &LOCAL_MEMBERS
            };
            seats.iter().map(|(name, quality, role)| DemoMember {
                committee: committee.key.to_string(),
                name: (*name).to_owned(),
                quality: format!("{quality}{TITLE_MARK}"),
                role: *role,
            })
        })
        .collect()
}

/// A dossier's item on the agenda of a session held on `day`: postponed there, or decided as
/// the dossier was.
fn held_item(
    n: usize,
    dossier: &DemoDossier,
    extra: &Extra,
    day: NaiveDate,
    postponed: bool,
) -> DemoItem {
    let granted = dossier.granted;
    let proposal = match granted {
        Some(amount) => format!(
            "Avis favorable de la chargée de mission : le projet répond aux objectifs du plan et \
             son budget est équilibré. Proposition : {amount}."
        ),
        None if dossier.state == State::OnAgenda => {
            "Avis favorable de la chargée de mission, sous réserve des avis des partenaires."
                .to_owned()
        }
        None => {
            "Avis réservé de la chargée de mission, présenté au comité pour décision.".to_owned()
        }
    };
    let (decision, decided_at) = if postponed {
        (
            ItemDecision::Postpone {
                reason: POSTPONEMENT.to_owned(),
            },
            Some(at_hour(day, 17)),
        )
    } else if let Some(amount) = granted {
        (
            ItemDecision::Accept {
                amount,
                conditions: CONDITIONS.to_owned(),
            },
            dossier.decided_at,
        )
    } else {
        (
            ItemDecision::Refuse {
                motivation: extra.motivation.clone().unwrap_or_default(),
            },
            dossier.decided_at,
        )
    };
    DemoItem {
        dossier: n,
        proposal,
        proposed: granted,
        decision: Some(decision),
        decided_at,
    }
}

/// Members as the minutes name them: name and quality.
type People = Vec<(String, String)>;

/// The minutes of a session held, drafted as staff would draft them.
fn minutes(
    committee: &Committee,
    place: &str,
    day: NaiveDate,
    (present, absent): (People, People),
    dossiers: &[DemoDossier],
    extras: &[Extra],
    items: &[DemoItem],
) -> String {
    draft_minutes(&MinutesInput {
        committee: committee.name.clone(),
        date: day,
        place: place.to_owned(),
        present,
        absent,
        items: items
            .iter()
            .map(|item| {
                let dossier = &dossiers[item.dossier];
                MinutesItem {
                    title: dossier.application.title.clone(),
                    structure: extras[item.dossier].structure.clone(),
                    asked: dossier.application.asked,
                    outcome: item.decision.as_ref().map(ItemDecision::outcome),
                    amount: item.decision.as_ref().and_then(ItemDecision::amount),
                    text: item
                        .decision
                        .as_ref()
                        .map(|d| d.text().to_owned())
                        .unwrap_or_default(),
                }
            })
            .collect(),
    })
}

/// The schedules of the accepted dossiers with a signed agreement (half at signature, half on
/// the final report), the reports sent and accepted before today, and the payments each
/// instalment's condition allowed, checked by the payment rules.
fn funding_follow_up(
    dossiers: &[DemoDossier],
    rng: &mut Rng,
    today: NaiveDate,
) -> (Vec<DemoSchedule>, Vec<DemoReport>) {
    let mut schedules = Vec::new();
    let mut reports = Vec::new();
    for (n, dossier) in dossiers.iter().enumerate() {
        let (Some(granted), Some(signed), Some(decided)) = (
            dossier.granted,
            dossier.agreement_signed_on,
            dossier.decided_at.map(|t| t.date_naive()),
        ) else {
            continue;
        };
        let end = signed.checked_add_months(Months::new(12)).unwrap_or(signed);
        let instalments = schedule(
            granted,
            &[
                (50, Condition::Signature, signed),
                (50, Condition::FinalReport, end),
            ],
        );
        // The reports, each sent near its due date and accepted some days later.
        let mut received: Vec<(ReportKind, DateTime<Utc>)> = Vec::new();
        for kind in ReportKind::ALL {
            let due = kind.default_due(decided);
            let sent = at(due - Duration::days(rng.between(0, 20)), rng);
            let reviewed = at(sent.date_naive() + Duration::days(rng.between(3, 20)), rng);
            if reviewed.date_naive() >= today {
                break;
            }
            received.push((kind, reviewed));
            reports.push(DemoReport {
                dossier: n,
                kind,
                content: report_content(dossier, kind),
                submitted_at: sent,
                reviewed_at: reviewed,
            });
        }
        let final_received = received
            .iter()
            .find(|(k, _)| *k == ReportKind::Final)
            .map(|(_, t)| t.date_naive());
        let mut paid = Money::ZERO;
        let mut out = Vec::new();
        for instalment in instalments {
            let day = match instalment.condition {
                Condition::Signature => Some(signed + Duration::days(rng.between(14, 42))),
                _ => final_received.map(|d| d + Duration::days(rng.between(10, 30))),
            }
            .filter(|d| *d < today);
            let stored: Vec<_> = received
                .iter()
                .filter(|(_, t)| day.is_some_and(|d| t.date_naive() <= d))
                .map(|(k, _)| (*k, None, ReportStatus::Accepted))
                .collect();
            let day = day.filter(|d| {
                pay(
                    granted,
                    paid,
                    instalment.amount,
                    &dues(decided, &stored),
                    *d,
                )
                .is_ok()
            });
            if day.is_some() {
                paid = paid + instalment.amount;
            }
            out.push((instalment, day));
        }
        schedules.push(DemoSchedule {
            dossier: n,
            instalments: out,
        });
    }
    (schedules, reports)
}

/// Staff's evaluations: four dossiers out of five whose final report was accepted, each some
/// days after (before today); objectives mostly reached, the jobs retained those reported, or
/// half or none of them (short contracts, not retained) when the objectives were partly
/// reached or not.
fn evaluations(
    dossiers: &[DemoDossier],
    reports: &[DemoReport],
    rng: &mut Rng,
    today: NaiveDate,
) -> Vec<DemoEvaluation> {
    let mut out = Vec::new();
    for report in reports.iter().filter(|r| r.kind == ReportKind::Final) {
        let evaluated_at = at(
            report.reviewed_at.date_naive() + Duration::days(rng.between(5, 40)),
            rng,
        );
        if !rng.chance(80) || evaluated_at.date_naive() >= today {
            continue;
        }
        let dossier = &dossiers[report.dossier];
        let (achievement, share, outcomes) = match rng.below(10) {
            0 => (
                Achievement::NotReached,
                0,
                "Évaluation de démonstration. Les activités ont eu lieu, mais les emplois \
                 déclarés sont des contrats courts, non retenus : les objectifs d’emploi ne sont \
                 pas atteints.",
            ),
            1..=2 => (
                Achievement::Partly,
                50,
                "Évaluation de démonstration. Le projet a produit l’essentiel de ce qui était \
                 prévu ; la moitié des emplois déclarés est retenue, les autres étant des \
                 contrats courts.",
            ),
            _ => (
                Achievement::Reached,
                100,
                "Évaluation de démonstration. Le projet a atteint ses objectifs : activités \
                 tenues, public atteint, emplois créés et consolidés comme prévu.",
            ),
        };
        let retained = |jobs: u32| jobs * share / 100;
        out.push(DemoEvaluation {
            dossier: report.dossier,
            evaluation: Evaluation {
                jobs_created: retained(report.content.jobs_created),
                jobs_consolidated: retained(report.content.jobs_consolidated),
                outcomes: outcomes.to_owned(),
                achievement,
                themes: dossier.application.themes.clone(),
            },
            evaluated_at,
        });
    }
    out
}

/// What the structure wrote: the project carried out as planned (half of it at the
/// intermediate report).
fn report_content(dossier: &DemoDossier, kind: ReportKind) -> ReportContent {
    let budget = &dossier.application.budget;
    let part = |lines: &[BudgetLine]| -> Vec<Money> {
        lines
            .iter()
            .map(|l| match kind {
                ReportKind::Intermediate => Money::from_cents(l.amount.cents() / 2),
                ReportKind::Final => l.amount,
            })
            .collect()
    };
    let (activity, created, consolidated) = match kind {
        ReportKind::Intermediate => (
            "Rapport de démonstration. Le projet a démarré comme prévu : les locaux sont              aménagés, les premières activités ont lieu et les recrutements sont en cours.",
            dossier.application.jobs_created / 2,
            dossier.application.jobs_consolidated / 2,
        ),
        ReportKind::Final => (
            "Rapport de démonstration. Le projet a été mené à son terme : les activités prévues              ont eu lieu, le public visé a été atteint et le budget a été tenu.",
            dossier.application.jobs_created,
            dossier.application.jobs_consolidated,
        ),
    };
    ReportContent {
        activity: activity.to_owned(),
        jobs_created: created,
        jobs_consolidated: consolidated,
        financial: FinancialReport::against(
            budget,
            &part(&budget.expenses),
            &part(&budget.resources),
        ),
    }
}
