//! Actors added by hand to the directory: structures of the ESS that the SIRENE import does not
//! keep (not registered yet, or a legal category outside the perimeter).
//!
//! Staff add one at once, from the back office. Any signed-in account proposes one: the proposal
//! waits for a *chargée de mission*, who sees it beside the actors it may duplicate, approves or
//! refuses it (with a reason), and the proposer is told by e-mail. Both forms first compare the
//! directory (and the proposals waiting) with the name and commune given; an actor alike must be
//! confirmed as different. The structure an actor belongs to, when it has one, is the one whose
//! members edit its page; without one, its page is staff's to edit.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use essor_domain::actor::{self, FieldError};
use essor_domain::dates::format_datetime;
use essor_domain::ess::Family;
use essor_domain::territory::Territory;
use essor_domain::{Siren, Siret};
use essor_mail::Compose as _;
use essor_store::directory::{ManualActor, NewManualActor, RequestStatus};

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::directory::Actors;
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, field};
use crate::{AppState, csrf, page_layout};

/// Longest message of a proposal, in characters.
const MAX_MESSAGE: usize = 2000;
/// Shortest message of a proposal: enough to say who one is and what the actor does.
const MIN_MESSAGE: usize = 10;
/// Actors listed as possible duplicates, at most.
const MAX_SIMILAR: usize = 10;

/// Who adds the actor, hence where the form posts and what happens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Staff: published at once.
    Staff,
    /// Any account: published once approved.
    Proposal,
}

impl Mode {
    fn action(self) -> &'static str {
        match self {
            Self::Staff => "/administration/annuaire/nouvel-acteur",
            Self::Proposal => "/acteurs/proposer",
        }
    }
}

/// An actor the one described may duplicate.
pub(crate) struct SimilarView {
    /// Its page, for an actor of the directory (a proposal waiting has none yet).
    pub url: Option<String>,
    pub name: String,
    pub commune: String,
    pub why: String,
}

/// One of the account's proposals.
struct MyProposal {
    name: String,
    commune: String,
    created: String,
    status: &'static str,
    reason: Option<String>,
    url: Option<String>,
}

#[derive(Template)]
#[template(path = "actor_new.html")]
struct NewActorPage {
    layout: Layout,
    csrf: String,
    staff: bool,
    action: &'static str,
    name: String,
    siret: String,
    family: String,
    commune: String,
    address: String,
    postcode: String,
    message: String,
    structure: String,
    /// The structures the account acts for: SIREN and name.
    structures: Vec<(String, String)>,
    families: Vec<(&'static str, &'static str)>,
    communes: Vec<(String, String)>,
    errors: Vec<FieldError>,
    similar: Vec<SimilarView>,
    proposals: Vec<MyProposal>,
    sent: bool,
}

crate::profiles::form_errors!(NewActorPage);

/// A name for a structure the account acts for: one of its actors' names, else its SIREN.
fn structure_name(actors: &Actors, siren: &str) -> String {
    actors
        .values()
        .filter(|a| a.siren == siren)
        .min_by_key(|a| (!a.head_office, a.siret.clone()))
        .map_or_else(|| format!("SIREN {siren}"), |a| a.name.clone())
}

struct Adding<'a> {
    state: &'a AppState,
    user: &'a CurrentUser,
    headers: &'a HeaderMap,
    mode: Mode,
}

impl Adding<'_> {
    async fn page(
        &self,
        fields: &[(String, String)],
        errors: Vec<FieldError>,
        similar: Vec<SimilarView>,
        sent: bool,
    ) -> Result<Response, AppError> {
        let (context, actors) = self.state.directory(false).await?;
        let proposals = match (self.mode, self.user.principal.account) {
            (Mode::Proposal, Some(account)) => self
                .state
                .store
                .manual_actors_of_account(account)
                .await?
                .into_iter()
                .rev()
                .map(|p| MyProposal {
                    commune: commune_name(self.state, &p.commune),
                    created: format_datetime(p.created_at),
                    status: match p.status {
                        RequestStatus::Pending => "en attente de vérification",
                        RequestStatus::Approved => "publiée",
                        RequestStatus::Rejected => "refusée",
                    },
                    url: (p.status == RequestStatus::Approved && actors.contains_key(&p.key()))
                        .then(|| format!("/acteurs/{}", p.key())),
                    reason: p.reason.filter(|r| !r.is_empty()),
                    name: p.name,
                })
                .collect(),
            _ => Vec::new(),
        };
        let (csrf, cookie) = csrf::token(self.headers, self.state.accounts.secure_cookies);
        let status = if errors.is_empty() && similar.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = NewActorPage {
            layout: page_layout(
                self.state,
                if self.mode == Mode::Staff {
                    ""
                } else {
                    "/acteurs"
                },
            )
            .await?,
            csrf,
            staff: self.mode == Mode::Staff,
            action: self.mode.action(),
            name: field(fields, "nom").trim().to_owned(),
            siret: field(fields, "siret").trim().to_owned(),
            family: field(fields, "famille").to_owned(),
            commune: field(fields, "commune").to_owned(),
            address: field(fields, "adresse").trim().to_owned(),
            postcode: field(fields, "code_postal").trim().to_owned(),
            message: field(fields, "message").trim().to_owned(),
            structure: field(fields, "structure").to_owned(),
            structures: self
                .user
                .principal
                .structures
                .iter()
                .map(|s| (s.to_string(), structure_name(&actors, s.as_str())))
                .collect(),
            families: Family::ALL.iter().map(|f| (f.key(), f.label())).collect(),
            communes: context
                .territory
                .communes
                .iter()
                .map(|c| (c.code.to_string(), c.name.clone()))
                .collect(),
            errors,
            similar,
            proposals,
            sent,
        };
        Ok(csrf::form_page(status, page.render()?, cookie))
    }

    /// Checks the fields: the structure the actor will belong to (its SIRET's, else the one
    /// chosen), or a message per wrong field.
    fn check(
        &self,
        fields: &[(String, String)],
        territory: &Territory,
        actors: &Actors,
    ) -> Result<Option<Siren>, Vec<FieldError>> {
        let name = field(fields, "nom").trim();
        let siret = field(fields, "siret").trim();
        let family = field(fields, "famille");
        let commune = field(fields, "commune");
        let structure = field(fields, "structure");
        let message = field(fields, "message").trim();
        let mut errors = Vec::new();
        let error = |field: &str, message: &str| FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        };
        if name.chars().count() < 2 || name.chars().count() > 200 {
            errors.push(error(
                "nom",
                "Nom : indiquez le nom de la structure (2 à 200 caractères).",
            ));
        }
        let mut siret_siren = None;
        if !siret.is_empty() {
            match Siret::parse(siret) {
                Err(e) => errors.push(error("siret", &format!("SIRET : {e}"))),
                Ok(parsed) if actors.contains_key(parsed.as_str()) => errors.push(error(
                    "siret",
                    "SIRET : cet établissement est déjà dans l’annuaire, d’après le répertoire \
                     SIRENE.",
                )),
                Ok(parsed) => siret_siren = Some(parsed.siren()),
            }
        }
        if Family::parse(family).is_none() {
            errors.push(error(
                "famille",
                "Famille : choisissez une famille de l’ESS.",
            ));
        }
        if !territory.contains(commune) {
            errors.push(error(
                "commune",
                "Commune : choisissez une commune du territoire.",
            ));
        }
        let postcode = field(fields, "code_postal").trim();
        if !(postcode.is_empty()
            || (postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit())))
        {
            errors.push(error(
                "code_postal",
                "Code postal : 5 chiffres, par exemple 38000.",
            ));
        }
        if field(fields, "adresse").trim().chars().count() > 200 {
            errors.push(error("adresse", "Adresse : 200 caractères au plus."));
        }
        let mine = &self.user.principal.structures;
        let chosen = if structure.is_empty() {
            None
        } else {
            let known = Siren::parse(structure)
                .ok()
                .filter(|s| self.mode == Mode::Proposal && mine.contains(s));
            if known.is_none() {
                errors.push(error(
                    "structure",
                    "Structure : choisissez l’une des structures pour lesquelles vous agissez.",
                ));
            }
            known
        };
        if let (Some(chosen), Some(owner)) = (&chosen, &siret_siren)
            && chosen != owner
        {
            errors.push(error(
                "structure",
                &format!(
                    "Structure : le SIRET indiqué est celui d’une autre structure (SIREN {owner}) ; \
                     choisissez « Aucune » ou corrigez le SIRET."
                ),
            ));
        }
        if self.mode == Mode::Proposal {
            let length = message.chars().count();
            if !(MIN_MESSAGE..=MAX_MESSAGE).contains(&length) {
                errors.push(error(
                    "message",
                    "Message : dites en quelques mots (10 à 2 000 caractères) ce que fait la \
                     structure et quel est votre lien avec elle, pour que l’équipe puisse \
                     vérifier la proposition.",
                ));
            }
        }
        if errors.is_empty() {
            // Its SIRET's structure (its members, and only they, are who the register says),
            // else the proposer's structure chosen.
            Ok(siret_siren.or(chosen))
        } else {
            Err(errors)
        }
    }

    /// Checks the fields, then the directory and the proposals waiting for actors the new one
    /// may duplicate; creates it only when none, or once the author confirms.
    async fn submit(&self, fields: &[(String, String)]) -> Result<Response, AppError> {
        let (context, actors) = self.state.directory(false).await?;
        let siren = match self.check(fields, &context.territory, &actors) {
            Ok(siren) => siren,
            Err(errors) => return self.page(fields, errors, Vec::new(), false).await,
        };
        let name = field(fields, "nom").trim();
        let siret = field(fields, "siret").trim();
        let family = field(fields, "famille");
        let commune = field(fields, "commune");
        let message = field(fields, "message").trim();
        let pending = self
            .state
            .store
            .manual_actors(Some(RequestStatus::Pending))
            .await?;
        let similar = similar_actors(self.state, &actors, &pending, name, commune, None);
        if !similar.is_empty() && field(fields, "confirmer") != "1" {
            return self.page(fields, Vec::new(), similar, false).await;
        }
        let account = account_id(self.user)?;
        let optional = |name: &str| Some(field(fields, name).trim()).filter(|v| !v.is_empty());
        let created = self
            .state
            .store
            .create_manual_actor(&NewManualActor {
                name,
                siret: Some(siret).filter(|s| !s.is_empty()),
                siren: siren.as_ref().map(Siren::as_str),
                family,
                commune,
                address: optional("adresse"),
                postcode: optional("code_postal"),
                message: if self.mode == Mode::Proposal {
                    message
                } else {
                    ""
                },
                created_by: Some(account),
                status: match self.mode {
                    Mode::Staff => RequestStatus::Approved,
                    Mode::Proposal => RequestStatus::Pending,
                },
            })
            .await?;
        audit::record(
            self.state,
            AuditActor::Account(account),
            match self.mode {
                Mode::Staff => "actor.created",
                Mode::Proposal => "actor.proposed",
            },
            "actor",
            &created.key(),
            Some(serde_json::json!({"similar_confirmed": !similar.is_empty()})),
        )
        .await;
        match self.mode {
            Mode::Staff => {
                self.state.refresh_directory().await?;
                Ok(Redirect::to(&format!("/acteurs/{}/modifier", created.key())).into_response())
            }
            Mode::Proposal => Ok(Redirect::to("/acteurs/proposer?fait=1").into_response()),
        }
    }
}

fn commune_name(state: &AppState, code: &str) -> String {
    crate::directory::commune_name(state.referential, code)
}

/// The actors of the directory, and the proposals waiting (but `except`), that the one described
/// may duplicate, most alike first.
pub(crate) fn similar_actors(
    state: &AppState,
    actors: &Actors,
    pending: &[ManualActor],
    name: &str,
    commune: &str,
    except: Option<i64>,
) -> Vec<SimilarView> {
    let centre = crate::map::commune_centre(commune);
    let place = |same_commune: bool, distance: Option<f64>| {
        if same_commune {
            "même commune".to_owned()
        } else {
            distance.map_or_else(
                || "autre commune".to_owned(),
                |d| format!("à {} km", essor_domain::money::format_number(d, 1)),
            )
        }
    };
    let why = |similarity: f64, place: String| {
        format!(
            "nom semblable à {} %, {place}",
            (similarity * 100.0).round()
        )
    };
    let mut found: Vec<(f64, SimilarView)> = actors
        .values()
        .filter_map(|actor| {
            let similarity = [Some(&actor.name), actor.sign.as_ref()]
                .into_iter()
                .flatten()
                .map(|candidate| actor::name_similarity(name, candidate))
                .fold(0.0, f64::max);
            let same_commune = actor.commune == commune;
            let distance = centre.zip(actor.position).map(|(c, p)| {
                actor::distance_km(
                    c,
                    essor_domain::geo::LatLon {
                        lat: p.lat,
                        lon: p.lon,
                    },
                )
            });
            actor::may_be_duplicate(similarity, same_commune, distance).then(|| {
                (
                    similarity,
                    SimilarView {
                        url: Some(actor.url()),
                        name: actor.name.clone(),
                        commune: actor.commune_name.clone(),
                        why: why(similarity, place(same_commune, distance)),
                    },
                )
            })
        })
        .collect();
    for proposal in pending.iter().filter(|p| Some(p.id) != except) {
        let similarity = actor::name_similarity(name, &proposal.name);
        let same_commune = proposal.commune == commune;
        let distance = centre
            .zip(crate::map::commune_centre(&proposal.commune))
            .map(|(a, b)| actor::distance_km(a, b));
        if actor::may_be_duplicate(similarity, same_commune, distance) {
            found.push((
                similarity,
                SimilarView {
                    url: None,
                    name: proposal.name.clone(),
                    commune: commune_name(state, &proposal.commune),
                    why: format!(
                        "{}, proposition en attente",
                        why(similarity, place(same_commune, distance))
                    ),
                },
            ));
        }
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    found
        .into_iter()
        .take(MAX_SIMILAR)
        .map(|(_, view)| view)
        .collect()
}

/// `GET /administration/annuaire/nouvel-acteur`.
pub(crate) async fn staff_form(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let form = Adding {
        state: &state,
        user: &user,
        headers: &headers,
        mode: Mode::Staff,
    };
    form.page(&[], Vec::new(), Vec::new(), false).await
}

/// `POST /administration/annuaire/nouvel-acteur`: published at once.
pub(crate) async fn staff_create(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = Adding {
        state: &state,
        user: &user,
        headers: &headers,
        mode: Mode::Staff,
    };
    form.submit(&fields).await
}

/// `GET /acteurs/proposer`: the form, and the account's proposals.
pub(crate) async fn proposal_form(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let form = Adding {
        state: &state,
        user: &user,
        headers: &headers,
        mode: Mode::Proposal,
    };
    let sent = query.get("fait").is_some_and(|v| v == "1");
    form.page(&[], Vec::new(), Vec::new(), sent).await
}

/// `POST /acteurs/proposer`: recorded, waiting for staff.
pub(crate) async fn propose(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = Adding {
        state: &state,
        user: &user,
        headers: &headers,
        mode: Mode::Proposal,
    };
    form.submit(&fields).await
}

// ---------------------------------------------------------------------------------------------
// Staff's decision

/// A proposal waiting, as the review page lists it.
pub(crate) struct ProposalReview {
    pub id: i64,
    pub name: String,
    pub family: &'static str,
    pub commune: String,
    pub address: String,
    pub siret: Option<String>,
    pub structure: Option<String>,
    pub proposer: String,
    pub message: String,
    pub created: String,
    pub similar: Vec<SimilarView>,
}

/// The proposals waiting for a decision, oldest first, each with the actors it may duplicate.
pub(crate) async fn pending_reviews(
    state: &AppState,
    actors: &Actors,
) -> Result<Vec<ProposalReview>, AppError> {
    let pending = state
        .store
        .manual_actors(Some(RequestStatus::Pending))
        .await?;
    let mut reviews = Vec::with_capacity(pending.len());
    for p in &pending {
        let proposer = match p.created_by {
            Some(id) => state.store.account(id).await?.map_or_else(
                || format!("compte n° {id}"),
                |a| format!("{} <{}>", a.display_name, a.email),
            ),
            None => "compte supprimé".to_owned(),
        };
        reviews.push(ProposalReview {
            id: p.id,
            name: p.name.clone(),
            family: Family::parse(&p.family).map_or("", Family::label),
            commune: commune_name(state, &p.commune),
            address: [p.address.as_deref(), p.postcode.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            siret: p.siret.clone(),
            structure: p.siren.as_ref().map(|s| structure_name(actors, s)),
            proposer,
            message: p.message.clone(),
            created: format_datetime(p.created_at),
            similar: similar_actors(state, actors, &pending, &p.name, &p.commune, Some(p.id)),
        });
    }
    Ok(reviews)
}

/// `POST /administration/annuaire/propositions/{id}`: `decision` = `accepter` or `refuser` (a
/// refusal needs its reason, sent to the proposer).
pub(crate) async fn decide(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let approve = match field(&fields, "decision") {
        "accepter" => true,
        "refuser" => false,
        _ => {
            return crate::profiles::review(
                &state,
                &headers,
                Some((id, "Décision : choisissez « accepter » ou « refuser ».")),
            )
            .await;
        }
    };
    let reason = field(&fields, "motif").trim();
    if !approve && reason.is_empty() {
        return crate::profiles::review(
            &state,
            &headers,
            Some((
                id,
                "Motif : dites au demandeur pourquoi la proposition est refusée.",
            )),
        )
        .await;
    }
    let staff = account_id(&user)?;
    let Some(decided) = state
        .store
        .decide_manual_actor(id, approve, staff, reason, Utc::now())
        .await?
    else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &state,
        AuditActor::Account(staff),
        "actor.proposal_decided",
        "actor",
        &decided.key(),
        Some(serde_json::json!({"status": decided.status.code()})),
    )
    .await;
    if approve {
        state.refresh_directory().await?;
    }
    notify(&state, &decided, reason).await?;
    Ok(Redirect::to("/administration/annuaire").into_response())
}

/// Tells the proposer what was decided.
async fn notify(state: &AppState, decided: &ManualActor, reason: &str) -> Result<(), AppError> {
    let Some(account) = (match decided.created_by {
        Some(id) => state.store.account(id).await?,
        None => None,
    }) else {
        return Ok(());
    };
    let approved = decided.status == RequestStatus::Approved;
    let (subject, mut paragraphs, path) = if approved {
        (
            "Votre proposition d’acteur est publiée",
            vec![format!(
                "« {} » figure désormais dans l’annuaire des acteurs de l’ESS.",
                decided.name
            )],
            format!("/acteurs/{}", decided.key()),
        )
    } else {
        (
            "Votre proposition d’acteur n’est pas retenue",
            vec![format!(
                "« {} » n’a pas été ajouté à l’annuaire. Motif : {reason}",
                decided.name
            )],
            "/acteurs/proposer".to_owned(),
        )
    };
    if approved {
        paragraphs.push(if decided.siren.is_some() {
            "Les membres de la structure à laquelle il est rattaché peuvent compléter sa fiche."
                .to_owned()
        } else {
            "Il n’est rattaché à aucune structure : pour compléter sa fiche, écrivez à l’équipe."
                .to_owned()
        });
    }
    let mail = essor_mail::Notification {
        name: Some(account.display_name.clone()),
        subject: subject.to_owned(),
        paragraphs,
        link: Some(essor_mail::Link {
            label: if approved {
                "Voir la fiche".to_owned()
            } else {
                "Voir mes propositions".to_owned()
            },
            url: state.accounts.site.link(&path, &[]),
        }),
    }
    .compose(&state.accounts.site);
    crate::account::send(state, &account.email, &account.display_name, mail).await;
    Ok(())
}
