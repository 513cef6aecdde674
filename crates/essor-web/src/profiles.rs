//! What structures add to their pages, and the staff's review of it.
//!
//! A member of a structure (an account the structure's SIREN is attached to) edits the pages of
//! its establishments: the change is published at once and listed for staff, who can restore an
//! earlier version; every version is kept. An account becomes a member by claiming a page: at
//! once when its address belongs to the structure's known internet domain, else once a
//! *chargée de mission* approves. Images are decoded, bounded and re-encoded before they are
//! stored, so what is served is never the uploaded file.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use std::io::Cursor;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use essor_domain::access::{Decision, Permission};
use essor_domain::actor::{self, FieldError, Label, Offer, OfferKind, Profile};
use essor_domain::dates::format_datetime;
use essor_mail::Compose as _;
use essor_store::directory::{Author, RequestStatus};

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::directory::Actor;
use crate::error::AppError;
use crate::layout::Layout;
use crate::new_actors::{self, ProposalReview};
use crate::{AppState, csrf, page_layout};

/// Largest image accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Largest image accepted, in pixels (decoding bombs are refused before decoding).
const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// Images are scaled down to fit this box before they are stored.
const STORED_IMAGE_SIDE: u32 = 1600;
/// Blank offer rows the form adds after the existing ones.
const BLANK_OFFERS: usize = 2;

/// The actor of the path, from the directory (404 when it is not in it).
async fn actor_of(state: &AppState, siret: &str) -> Result<Arc<Actor>, AppError> {
    let (_, actors) = state.directory(false).await?;
    actors.get(siret).cloned().ok_or(AppError::NotFound)
}

pub(crate) fn is_staff(user: &CurrentUser) -> bool {
    user.principal.decide(&Permission::BackOffice) == Decision::Allow
}

pub(crate) fn account_id(user: &CurrentUser) -> Result<i64, AppError> {
    user.principal
        .account
        .ok_or_else(|| AppError::Internal("compte attendu".to_owned()))
}

// ---------------------------------------------------------------------------------------------
// Claims

#[derive(Template)]
#[template(path = "actor_claim.html")]
struct ClaimPage {
    layout: Layout,
    actor: Arc<Actor>,
    csrf: String,
    /// The claimant's address matches the structure's domain: the claim will be granted at once.
    immediate: bool,
    /// What already happened: a member, a pending claim.
    status: Option<&'static str>,
    error: Option<String>,
    message: String,
}

async fn claim_status(
    state: &AppState,
    user: &CurrentUser,
    actor: &Actor,
) -> Result<Option<&'static str>, AppError> {
    if user
        .principal
        .structures
        .iter()
        .any(|s| s.as_str() == actor.siren)
    {
        return Ok(Some("member"));
    }
    let account = account_id(user)?;
    let pending = state
        .store
        .claims_of_account(account)
        .await?
        .into_iter()
        .any(|c| c.siret == actor.siret && c.status == RequestStatus::Pending);
    Ok(pending.then_some("pending"))
}

/// Whether the account's address belongs to the structure's known domain.
async fn domain_matches(
    state: &AppState,
    user: &CurrentUser,
    actor: &Actor,
) -> Result<bool, AppError> {
    let Some(account) = state.store.account(account_id(user)?).await? else {
        return Ok(false);
    };
    let known = actor.profile.as_ref().and_then(Profile::known_domain);
    Ok(account.is_verified()
        && known.is_some_and(|domain| actor::domain_matches(&account.email, &domain)))
}

/// `GET /acteurs/{siret}/revendiquer`.
pub(crate) async fn claim_page(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(siret): Path<String>,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    if actor.is_manual() {
        return Err(AppError::NotFound);
    }
    let status = claim_status(&state, &user, &actor).await?;
    let immediate = domain_matches(&state, &user, &actor).await?;
    let (csrf, cookie) = csrf::token(&headers, state.accounts.secure_cookies);
    let page = ClaimPage {
        layout: page_layout(&state, "/acteurs").await?,
        actor,
        csrf,
        immediate,
        status,
        error: None,
        message: String::new(),
    };
    Ok(csrf::form_page(StatusCode::OK, page.render()?, cookie))
}

/// `POST /acteurs/{siret}/revendiquer`: records the claim, granted at once when the account's
/// address belongs to the structure's domain.
pub(crate) async fn claim(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(siret): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    if actor.is_manual() {
        return Err(AppError::NotFound);
    }
    let account = account_id(&user)?;
    if claim_status(&state, &user, &actor).await?.is_some() {
        return Ok(Redirect::to(&format!("/acteurs/{siret}/revendiquer")).into_response());
    }
    let message = field(&fields, "message").trim().to_owned();
    let immediate = domain_matches(&state, &user, &actor).await?;
    if !immediate && message.chars().count() < 10 || message.chars().count() > 2000 {
        let (csrf, cookie) = csrf::token(&headers, state.accounts.secure_cookies);
        let page = ClaimPage {
            layout: page_layout(&state, "/acteurs").await?,
            actor,
            csrf,
            immediate,
            status: None,
            error: Some(
                "Message : dites en quelques mots (10 à 2 000 caractères) quel est votre rôle dans \
                 la structure, pour que l’équipe puisse vérifier votre demande."
                    .to_owned(),
            ),
            message,
        };
        return Ok(csrf::form_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            page.render()?,
            cookie,
        ));
    }
    let status = if immediate {
        RequestStatus::Approved
    } else {
        RequestStatus::Pending
    };
    let claim = state
        .store
        .create_claim(&actor.siret, &actor.siren, account, &message, status)
        .await?;
    audit::record(
        &state,
        AuditActor::Account(account),
        "actor.claimed",
        "actor",
        &actor.siret,
        Some(serde_json::json!({"claim": claim.id, "status": status.code()})),
    )
    .await;
    Ok(Redirect::to(&format!("/acteurs/{siret}/revendiquer")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Editing

struct OfferRow {
    n: usize,
    title: String,
    description: String,
    kind: Option<&'static str>,
    themes: Vec<String>,
    communes: Vec<String>,
}

struct ImageView {
    id: i64,
    url: String,
    logo: bool,
}

#[derive(Template)]
#[template(path = "actor_edit.html")]
struct EditPage {
    layout: Layout,
    actor: Arc<Actor>,
    csrf: String,
    profile: Profile,
    social: String,
    offers: Vec<OfferRow>,
    kinds: Vec<(&'static str, &'static str)>,
    themes: Vec<(String, String)>,
    communes: Vec<(String, String)>,
    labels: Vec<(&'static str, &'static str, bool)>,
    images: Vec<ImageView>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
    staff: bool,
}

crate::profiles::form_errors!(EditPage);

/// Gives each page struct (with its `errors: Vec<FieldError>`) the `self.error_for(field)` its
/// template calls beside each field.
macro_rules! form_errors {
    ($($page:ty),+ $(,)?) => {$(
        impl $page {
            fn error_for(&self, field: &str) -> Option<&str> {
                $crate::profiles::error_for(&self.errors, field)
            }
        }
    )+};
}
pub(crate) use form_errors;

/// The message of a field (or of one of its parts: `offre_2` for `offre_2_titre`).
pub(crate) fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| {
            e.field == field
                || e.field
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('_'))
        })
        .map(|e| e.message.as_str())
}

async fn edit_page(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    actor: Arc<Actor>,
    profile: Profile,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let mut offers: Vec<OfferRow> = profile
        .offers
        .iter()
        .enumerate()
        .map(|(i, o)| OfferRow {
            n: i + 1,
            title: o.title.clone(),
            description: o.description.clone(),
            kind: o.kind.map(OfferKind::key),
            themes: o.themes.clone(),
            communes: o.communes.clone(),
        })
        .collect();
    let first_blank = offers.len() + 1;
    for n in first_blank..first_blank + BLANK_OFFERS {
        if n <= actor::MAX_OFFERS {
            offers.push(OfferRow {
                n,
                title: String::new(),
                description: String::new(),
                kind: None,
                themes: Vec::new(),
                communes: Vec::new(),
            });
        }
    }
    let images = profile
        .logo
        .iter()
        .map(|id| (*id, true))
        .chain(profile.photos.iter().map(|id| (*id, false)))
        .map(|(id, logo)| ImageView {
            id,
            url: format!("/acteurs/{}/images/{id}", actor.siret),
            logo,
        })
        .collect();
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let page = EditPage {
        layout: page_layout(state, "/acteurs").await?,
        csrf,
        social: profile.social.join("\n"),
        offers,
        kinds: OfferKind::ALL
            .iter()
            .map(|k| (k.key(), k.label()))
            .collect(),
        themes: context
            .plan
            .themes
            .iter()
            .map(|t| (t.key.to_string(), t.title.clone()))
            .collect(),
        communes: context
            .territory
            .communes
            .iter()
            .map(|c| (c.code.to_string(), c.name.clone()))
            .collect(),
        labels: Label::ALL
            .iter()
            .map(|l| (l.key(), l.label(), profile.labels.contains(l)))
            .collect(),
        images,
        staff: is_staff(user),
        errors,
        notice,
        profile,
        actor,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /acteurs/{siret}/modifier`: the structure's form (members and staff).
pub(crate) async fn edit_form(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(siret): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    let profile = actor.profile.clone().unwrap_or_default();
    let notice = match query.get("fait").map(String::as_str) {
        Some("image") => Some("L’image a été ajoutée à la fiche."),
        Some("image-retiree") => Some("L’image a été retirée de la fiche."),
        _ => None,
    };
    edit_page(&state, &user, &headers, actor, profile, Vec::new(), notice).await
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of a repeated form field.
pub(crate) fn all<'a>(
    fields: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    fields
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The profile the form describes; images are kept from the current profile (they change
/// through their own forms).
fn profile_from_form(fields: &[(String, String)], current: &Profile) -> Profile {
    let mut offers = Vec::new();
    for n in 1..=actor::MAX_OFFERS + BLANK_OFFERS {
        let title = field(fields, &format!("offre_{n}_titre")).trim().to_owned();
        let description = field(fields, &format!("offre_{n}_description"))
            .trim()
            .to_owned();
        let themes: Vec<String> = all(fields, &format!("offre_{n}_themes"))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let communes: Vec<String> = all(fields, &format!("offre_{n}_communes"))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let kind = OfferKind::parse(field(fields, &format!("offre_{n}_type")));
        let removed = field(fields, &format!("offre_{n}_retirer")) == "1";
        if removed || (title.is_empty() && description.is_empty() && themes.is_empty()) {
            continue;
        }
        offers.push(Offer {
            title,
            description,
            kind,
            themes,
            communes,
        });
    }
    Profile {
        description: field(fields, "description").trim().to_owned(),
        offers,
        email: field(fields, "courriel").trim().to_owned(),
        phone: field(fields, "telephone").trim().to_owned(),
        website: field(fields, "site").trim().to_owned(),
        social: field(fields, "reseaux")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        hours: field(fields, "horaires").trim().to_owned(),
        labels: all(fields, "labels").filter_map(Label::parse).collect(),
        logo: current.logo,
        photos: current.photos.clone(),
    }
}

/// Publishes a new version of an actor's profile and brings the directory up to date.
async fn publish(
    state: &AppState,
    user: &CurrentUser,
    actor: &Actor,
    profile: &Profile,
    restores: Option<i64>,
    action: &str,
) -> Result<(), AppError> {
    let account = account_id(user)?;
    let saved = state
        .store
        .save_profile(
            &actor.siret,
            &actor.siren,
            profile,
            Author {
                account: Some(account),
                staff: is_staff(user),
            },
            restores,
        )
        .await?;
    audit::record(
        state,
        AuditActor::Account(account),
        action,
        "actor",
        &actor.siret,
        Some(serde_json::json!({"revision": saved.revision, "restores": restores})),
    )
    .await;
    state.refresh_directory().await
}

/// `POST /acteurs/{siret}/modifier`.
pub(crate) async fn edit(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(siret): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    let current = actor.profile.clone().unwrap_or_default();
    let profile = profile_from_form(&fields, &current);
    let context = state
        .site
        .context(state.store.as_ref(), state.referential)
        .await?;
    let checked = profile.validate(
        |theme| context.plan.themes.iter().any(|t| t.key.as_str() == theme),
        |code| state.referential.commune(code).is_some(),
    );
    if let Err(errors) = checked {
        return edit_page(&state, &user, &headers, actor, profile, errors, None).await;
    }
    if profile != current {
        publish(
            &state,
            &user,
            &actor,
            &profile,
            None,
            "actor.profile_updated",
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/acteurs/{siret}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Images

/// Why an image is refused, in French, naming the field.
fn refuse(message: &str) -> FieldError {
    FieldError {
        field: "image".to_owned(),
        message: format!("Image : {message}"),
    }
}

/// Decodes an uploaded image (PNG, JPEG, WebP or GIF, recognised by its content), refuses
/// oversized ones, scales it down and re-encodes it: PNG for a logo, JPEG for a photo.
pub(crate) fn reencode(
    bytes: &[u8],
    logo: bool,
) -> Result<(Vec<u8>, &'static str, u32, u32), FieldError> {
    if bytes.is_empty() {
        return Err(refuse("choisissez un fichier."));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(refuse("le fichier dépasse 5 Mo."));
    }
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| refuse("fichier illisible."))?;
    let accepted = matches!(
        reader.format(),
        Some(
            image::ImageFormat::Png
                | image::ImageFormat::Jpeg
                | image::ImageFormat::WebP
                | image::ImageFormat::Gif
        )
    );
    if !accepted {
        return Err(refuse(
            "ce n’est pas une image acceptée (formats acceptés : PNG, JPEG, WebP, GIF).",
        ));
    }
    // Dimensions are read from the header and checked before anything is decoded: a small file
    // cannot unfold into gigabytes.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4);
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|_| refuse("image illisible ou endommagée."))?;
    let (width, height) = image::ImageDecoder::dimensions(&decoder);
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(refuse(
            "l’image est trop grande (40 millions de pixels au plus).",
        ));
    }
    let decoded = image::DynamicImage::from_decoder(decoder)
        .map_err(|_| refuse("image illisible ou endommagée."))?;
    let scaled = if decoded.width() > STORED_IMAGE_SIDE || decoded.height() > STORED_IMAGE_SIDE {
        decoded.thumbnail(STORED_IMAGE_SIDE, STORED_IMAGE_SIDE)
    } else {
        decoded
    };
    let mut out = Cursor::new(Vec::new());
    let content_type = if logo {
        scaled
            .write_to(&mut out, image::ImageFormat::Png)
            .map_err(|_| refuse("conversion impossible."))?;
        "image/png"
    } else {
        image::DynamicImage::ImageRgb8(scaled.to_rgb8())
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .map_err(|_| refuse("conversion impossible."))?;
        "image/jpeg"
    };
    Ok((
        out.into_inner(),
        content_type,
        scaled.width(),
        scaled.height(),
    ))
}

/// `POST /acteurs/{siret}/images?_csrf=…` (multipart: `image`, `usage` = `logo` or `photo`).
pub(crate) async fn upload_image(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(siret): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    let mut bytes = Vec::new();
    let mut logo = false;
    let mut error = None;
    loop {
        let Ok(next) = multipart.next_field().await else {
            error = Some(refuse(
                "envoi interrompu ou trop volumineux (5 Mo au plus).",
            ));
            break;
        };
        let Some(mut part) = next else { break };
        match part.name() {
            Some("usage") => logo = part.text().await.unwrap_or_default() == "logo",
            Some("image") => {
                while let Ok(Some(chunk)) = part.chunk().await {
                    if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
                        error = Some(refuse("le fichier dépasse 5 Mo."));
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
            }
            _ => {}
        }
        if error.is_some() {
            break;
        }
    }
    let mut profile = actor.profile.clone().unwrap_or_default();
    if error.is_none() && !logo && profile.photos.len() >= actor::MAX_PHOTOS {
        error = Some(refuse(&format!(
            "pas plus de {} photos.",
            actor::MAX_PHOTOS
        )));
    }
    let encoded = match error {
        Some(e) => Err(e),
        None => tokio::task::spawn_blocking(move || reencode(&bytes, logo))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?,
    };
    let (data, content_type, width, height) = match encoded {
        Ok(done) => done,
        Err(e) => {
            return edit_page(&state, &user, &headers, actor, profile, vec![e], None).await;
        }
    };
    let id = state
        .store
        .save_media(
            &actor.siret,
            content_type,
            i64::from(width),
            i64::from(height),
            &data,
        )
        .await?;
    if logo {
        profile.logo = Some(id);
    } else {
        profile.photos.push(id);
    }
    publish(&state, &user, &actor, &profile, None, "actor.image_added").await?;
    Ok(Redirect::to(&format!("/acteurs/{siret}/modifier?fait=image")).into_response())
}

/// `POST /acteurs/{siret}/images/{id}/retirer`.
pub(crate) async fn remove_image(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((siret, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    let mut profile = actor.profile.clone().unwrap_or_default();
    let before = profile.clone();
    if profile.logo == Some(id) {
        profile.logo = None;
    }
    profile.photos.retain(|p| *p != id);
    if profile == before {
        return Err(AppError::NotFound);
    }
    // The file stays stored: earlier versions of the profile may be restored.
    publish(&state, &user, &actor, &profile, None, "actor.image_removed").await?;
    Ok(Redirect::to(&format!("/acteurs/{siret}/modifier?fait=image-retiree")).into_response())
}

/// `GET /acteurs/{siret}/images/{id}`: an image of the actor's profile, re-encoded at upload.
pub(crate) async fn image(
    State(state): State<AppState>,
    Path((siret, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    // Only the images of the published profile: a removed photo is no longer served, though it
    // is kept for an earlier version to be restored.
    let actor = actor_of(&state, &siret).await?;
    let published = actor
        .profile
        .as_ref()
        .is_some_and(|p| p.logo == Some(id) || p.photos.contains(&id));
    if !published {
        return Err(AppError::NotFound);
    }
    let Some(media) = state.store.media(id).await? else {
        return Err(AppError::NotFound);
    };
    if media.siret != siret || !matches!(media.content_type.as_str(), "image/png" | "image/jpeg") {
        return Err(AppError::NotFound);
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&media.content_type)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline"),
            ),
        ],
        media.bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Staff: claims, review, history

struct ClaimView {
    id: i64,
    siret: String,
    actor: String,
    account: String,
    message: String,
    created: String,
}

struct RevisionView {
    id: i64,
    siret: String,
    actor: String,
    author: String,
    created: String,
}

#[derive(Template)]
#[template(path = "admin_directory.html")]
struct ReviewPage {
    layout: Layout,
    csrf: String,
    claims: Vec<ClaimView>,
    proposals: Vec<ProposalReview>,
    /// A decision on a proposal that could not be recorded: its id and why.
    error: Option<(i64, &'static str)>,
    revisions: Vec<RevisionView>,
}

fn author_label(author: Option<i64>) -> String {
    author.map_or_else(
        || "compte supprimé".to_owned(),
        |id| format!("compte n° {id}"),
    )
}

/// `GET /administration/annuaire`: claims and proposed actors waiting for a decision, changes
/// waiting for review.
pub(crate) async fn review_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    review(&state, &headers, None).await
}

/// The review page; with `error`, the decision on that proposal was not recorded.
pub(crate) async fn review(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<(i64, &'static str)>,
) -> Result<Response, AppError> {
    let (_, actors) = state.directory(false).await?;
    let name = |siret: &str| {
        actors
            .get(siret)
            .map_or_else(|| format!("SIRET {siret}"), |a| a.name.clone())
    };
    let mut claims = Vec::new();
    for c in state.store.claims(Some(RequestStatus::Pending)).await? {
        let account = state.store.account(c.account).await?;
        claims.push(ClaimView {
            id: c.id,
            actor: name(&c.siret),
            siret: c.siret,
            account: account.map_or_else(
                || format!("compte n° {}", c.account),
                |a| format!("{} <{}>", a.display_name, a.email),
            ),
            message: c.message,
            created: format_datetime(c.created_at),
        });
    }
    let revisions = state
        .store
        .unreviewed_revisions()
        .await?
        .into_iter()
        .map(|r| RevisionView {
            id: r.id,
            actor: name(&r.siret),
            siret: r.siret,
            author: author_label(r.author),
            created: format_datetime(r.created_at),
        })
        .collect();
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let page = ReviewPage {
        layout: page_layout(state, "").await?,
        csrf,
        claims,
        proposals: new_actors::pending_reviews(state, &actors).await?,
        error,
        revisions,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `POST /administration/annuaire/revendications/{id}`: `decision` = `accepter` or `refuser`.
pub(crate) async fn decide_claim(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let approve = match field(&fields, "decision") {
        "accepter" => true,
        "refuser" => false,
        _ => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                "Décision : choisissez « accepter » ou « refuser ».",
            )
                .into_response());
        }
    };
    let staff = account_id(&user)?;
    let reason = field(&fields, "motif").trim();
    let Some(claim) = state
        .store
        .decide_claim(id, approve, staff, reason, Utc::now())
        .await?
    else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &state,
        AuditActor::Account(staff),
        "actor.claim_decided",
        "actor",
        &claim.siret,
        Some(serde_json::json!({"claim": claim.id, "status": claim.status.code()})),
    )
    .await;
    if let Some(account) = state.store.account(claim.account).await? {
        let (subject, text) = if approve {
            (
                "Votre demande de fiche est acceptée",
                format!(
                    "Vous pouvez désormais compléter la fiche de l’établissement {} dans l’annuaire.",
                    claim.siret
                ),
            )
        } else {
            (
                "Votre demande de fiche n’est pas acceptée",
                format!(
                    "Votre demande pour la fiche de l’établissement {} n’a pas été acceptée.{}",
                    claim.siret,
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(" Motif : {reason}")
                    }
                ),
            )
        };
        let mail = essor_mail::Notification {
            name: Some(account.display_name.clone()),
            subject: subject.to_owned(),
            paragraphs: vec![text],
            link: Some(essor_mail::Link {
                label: "Voir la fiche".to_owned(),
                url: state
                    .accounts
                    .site
                    .link(&format!("/acteurs/{}", claim.siret), &[]),
            }),
        }
        .compose(&state.accounts.site);
        crate::account::send(&state, &account.email, &account.display_name, mail).await;
    }
    Ok(Redirect::to("/administration/annuaire").into_response())
}

/// `POST /administration/annuaire/modifications/{id}/relue`.
pub(crate) async fn mark_reviewed(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let staff = account_id(&user)?;
    let Some(revision) = state.store.profile_revision(id).await? else {
        return Err(AppError::NotFound);
    };
    state.store.mark_reviewed(id, staff, Utc::now()).await?;
    audit::record(
        &state,
        AuditActor::Account(staff),
        "actor.revision_reviewed",
        "actor",
        &revision.siret,
        Some(serde_json::json!({"revision": id})),
    )
    .await;
    Ok(Redirect::to("/administration/annuaire").into_response())
}

struct HistoryRow {
    id: i64,
    created: String,
    author: String,
    by_staff: bool,
    restores: Option<i64>,
    reviewed: Option<String>,
    current: bool,
    summary: String,
}

#[derive(Template)]
#[template(path = "actor_history.html")]
struct HistoryPage {
    layout: Layout,
    actor: Arc<Actor>,
    csrf: String,
    rows: Vec<HistoryRow>,
}

/// What a version holds, in a few words.
fn summary(profile: &Profile) -> String {
    let mut parts = Vec::new();
    if !profile.description.is_empty() {
        parts.push(format!(
            "présentation de {} caractères",
            profile.description.chars().count()
        ));
    }
    match profile.offers.len() {
        0 => {}
        1 => parts.push("1 offre".to_owned()),
        n => parts.push(format!("{n} offres")),
    }
    let contacts = [&profile.email, &profile.phone, &profile.website]
        .iter()
        .filter(|v| !v.is_empty())
        .count();
    if contacts > 0 {
        parts.push(format!("{contacts} coordonnée(s)"));
    }
    if !profile.labels.is_empty() {
        parts.push(format!("{} label(s)", profile.labels.len()));
    }
    let images = usize::from(profile.logo.is_some()) + profile.photos.len();
    if images > 0 {
        parts.push(format!("{images} image(s)"));
    }
    if parts.is_empty() {
        "fiche vide".to_owned()
    } else {
        parts.join(", ")
    }
}

/// `GET /acteurs/{siret}/historique` (staff): every version, with what it held.
pub(crate) async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(siret): Path<String>,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    let rows = state
        .store
        .profile_revisions(&siret)
        .await?
        .into_iter()
        .map(|r| HistoryRow {
            id: r.id,
            created: format_datetime(r.created_at),
            author: author_label(r.author),
            by_staff: r.by_staff,
            restores: r.restores,
            reviewed: r.reviewed_at.map(format_datetime),
            current: actor.revision == Some(r.id),
            summary: summary(&r.profile),
        })
        .collect();
    let (csrf, cookie) = csrf::token(&headers, state.accounts.secure_cookies);
    let page = HistoryPage {
        layout: page_layout(&state, "").await?,
        actor,
        csrf,
        rows,
    };
    Ok(csrf::form_page(StatusCode::OK, page.render()?, cookie))
}

/// `POST /acteurs/{siret}/historique/{id}/retablir` (staff): publishes an earlier version again.
pub(crate) async fn restore(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((siret, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let actor = actor_of(&state, &siret).await?;
    let Some(revision) = state.store.profile_revision(id).await? else {
        return Err(AppError::NotFound);
    };
    if revision.siret != actor.siret {
        return Err(AppError::NotFound);
    }
    publish(
        &state,
        &user,
        &actor,
        &revision.profile,
        Some(id),
        "actor.profile_reverted",
    )
    .await?;
    if let Some(current) = state.store.profile(&siret).await? {
        state
            .store
            .mark_reviewed(current.revision, account_id(&user)?, Utc::now())
            .await?;
    }
    Ok(Redirect::to(&format!("/acteurs/{siret}/historique")).into_response())
}
