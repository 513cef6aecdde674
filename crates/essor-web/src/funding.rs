//! The papers and the money of a dossier on the web: application pieces and message
//! attachments (uploads bounded, typed by their content, served as attachments to the
//! dossier's structure and staff only), the agreement (an administrator's template, a PDF
//! generated for an accepted dossier, the signed copy uploaded back with its date), the payment
//! schedule and the payments, each checked by `essor_domain::funding` and audited.

// SIRET and SIREN are the registers' own names, however alike they look.
#![allow(clippy::similar_names)]

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Months, Utc};
use essor_domain::Money;
use essor_domain::actor::FieldError;
use essor_domain::agreement::{
    self, AgreementValues, DEFAULT_TEMPLATE, PLACEHOLDERS, Section, template_problems,
};
use essor_domain::dates::{format_date, format_datetime, parse_date};
use essor_domain::document::{
    CheckedFile, DocumentKind, MAX_DOCUMENT_BYTES, UploadError, check_upload, format_size,
    sha256_hex,
};
use essor_domain::dossier::State as DossierState;
use essor_domain::funding::{self, Condition, Instalment};
use essor_store::dossiers::Dossier;
use essor_store::funding::{Document, NewDocument, NewPayment, ScheduleSet};

use crate::access::CurrentUser;
use crate::audit::{self, Actor as AuditActor};
use crate::error::AppError;
use crate::layout::Layout;
use crate::profiles::{account_id, field, is_staff};
use crate::{AppState, csrf, page_layout};

/// Largest request an upload route accepts: a whole file and its form around it. A file a
/// little above [`MAX_DOCUMENT_BYTES`] gets the form's French message naming the field.
pub(crate) const UPLOAD_LIMIT: usize = MAX_DOCUMENT_BYTES + 1024 * 1024;

/// Instalments the schedule form shows.
const SCHEDULE_ROWS: usize = 4;

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn is_member(user: &CurrentUser, siren: &str) -> bool {
    user.principal
        .structures
        .iter()
        .any(|s| s.as_str() == siren)
}

fn editable(dossier: &Dossier) -> bool {
    matches!(
        dossier.state,
        DossierState::Draft | DossierState::CorrectionRequested
    )
}

// ---------------------------------------------------------------------------------------------
// What the dossier page shows

pub(crate) struct DocumentView {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub size: String,
    pub uploaded: String,
    pub signed_on: Option<String>,
    pub sha256: String,
}

impl DocumentView {
    fn of(document: &Document) -> Self {
        Self {
            id: document.id,
            kind: document.kind.label(),
            name: document.file_name.clone(),
            size: format_size(document.size),
            uploaded: format_datetime(document.uploaded_at),
            signed_on: document.signed_on.map(format_date),
            sha256: document.sha256.clone(),
        }
    }
}

pub(crate) struct AttachmentView {
    pub event: i64,
    pub document: DocumentView,
}

pub(crate) struct InstalmentView {
    pub n: i32,
    pub id: i64,
    pub amount: String,
    pub condition: &'static str,
    pub due: String,
    pub paid: String,
}

pub(crate) struct InstalmentField {
    pub n: usize,
    pub amount: String,
    pub condition: &'static str,
    /// ISO, for the date field.
    pub due: String,
}

pub(crate) struct PaymentView {
    pub date: String,
    pub amount: String,
    pub instalment: String,
}

/// The dossier page's part for documents, the agreement, the schedule and the payments.
#[allow(clippy::struct_excessive_bools)] // what the template shows or offers, flag by flag
pub(crate) struct FundingView {
    pub pieces: Vec<DocumentView>,
    pub piece_kinds: Vec<(&'static str, &'static str)>,
    pub can_add_pieces: bool,
    pub attachments: Vec<AttachmentView>,
    pub accepted: bool,
    /// Whether the agreement is mandatory, in words.
    pub agreement_rule: String,
    pub agreements: Vec<DocumentView>,
    pub signed_on: Option<String>,
    /// The day the subsidy must be published as open data by.
    pub publish_by: Option<String>,
    pub schedule: Vec<InstalmentView>,
    pub schedule_form: Vec<InstalmentField>,
    pub schedule_proposed: bool,
    pub can_edit_schedule: bool,
    pub conditions: Vec<(&'static str, &'static str)>,
    /// Report kind, due date, status.
    pub reports: Vec<(&'static str, String, &'static str)>,
    pub payments: Vec<PaymentView>,
    pub paid: String,
    pub left: String,
    /// Today, ISO, for date fields.
    pub today: String,
    pub max_size: &'static str,
}

const CONDITIONS: [Condition; 3] = [
    Condition::Signature,
    Condition::IntermediateReport,
    Condition::FinalReport,
];

fn condition_code(condition: Condition) -> &'static str {
    match condition {
        Condition::Signature => "signature",
        Condition::IntermediateReport => "rapport_intermediaire",
        Condition::FinalReport => "rapport_final",
    }
}

fn parse_condition(code: &str) -> Option<Condition> {
    CONDITIONS.into_iter().find(|c| condition_code(*c) == code)
}

fn amount_field(amount: Money) -> String {
    amount.to_string().trim_end_matches(" €").to_owned()
}

/// The schedule proposed by default: half at signature, half on the final report a year after
/// the decision.
fn proposed_schedule(dossier: &Dossier, granted: Money) -> Vec<Instalment> {
    let today = Utc::now().date_naive();
    let start = dossier
        .agreement_signed_on
        .or_else(|| dossier.decided_at.map(|d| d.date_naive()))
        .unwrap_or(today);
    let end = start.checked_add_months(Months::new(12)).unwrap_or(start);
    funding::schedule(
        granted,
        &[
            (50, Condition::Signature, start),
            (50, Condition::FinalReport, end),
        ],
    )
}

/// Builds the dossier page's part.
#[allow(clippy::too_many_lines)] // one view, field by field
pub(crate) async fn view(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
) -> Result<FundingView, AppError> {
    let staff = is_staff(user);
    let documents = state.store.documents(dossier.id).await?;
    let live = || documents.iter().filter(|d| !d.withdrawn);
    let accepted = dossier.state == DossierState::Accepted;
    let granted = dossier.granted.unwrap_or(Money::ZERO);
    let (schedule, payments, reports) = if accepted {
        (
            state.store.schedule(dossier.id).await?,
            state.store.payments(dossier.id).await?,
            state.store.report_dues(dossier.id).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let today = Utc::now().date_naive();
    let paid: Money = payments.iter().map(|p| p.amount).sum();
    let form_instalments: Vec<Instalment> = if schedule.is_empty() {
        proposed_schedule(dossier, granted)
    } else {
        schedule.iter().map(|s| s.instalment.clone()).collect()
    };
    let schedule_form = (1..=SCHEDULE_ROWS)
        .map(|n| {
            let instalment = form_instalments.get(n - 1);
            InstalmentField {
                n,
                amount: instalment
                    .map(|i| amount_field(i.amount))
                    .unwrap_or_default(),
                condition: instalment.map_or("", |i| condition_code(i.condition)),
                due: instalment.map(|i| i.due.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(FundingView {
        pieces: live()
            .filter(|d| d.kind.is_piece())
            .map(DocumentView::of)
            .collect(),
        piece_kinds: DocumentKind::PIECES
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        can_add_pieces: is_member(user, &dossier.siren) && editable(dossier),
        attachments: live()
            .filter_map(|d| {
                d.event.map(|event| AttachmentView {
                    event,
                    document: DocumentView::of(d),
                })
            })
            .collect(),
        accepted,
        agreement_rule: if agreement::mandatory(granted) {
            format!(
                "Convention obligatoire : la subvention ({granted}) dépasse {}.",
                agreement::MANDATORY_ABOVE
            )
        } else {
            format!(
                "Convention facultative : la subvention ({granted}) ne dépasse pas {} ; elle \
                 peut toutefois être établie.",
                agreement::MANDATORY_ABOVE
            )
        },
        agreements: live()
            .filter(|d| d.kind.is_agreement())
            .map(DocumentView::of)
            .collect(),
        signed_on: dossier.agreement_signed_on.map(format_date),
        publish_by: dossier
            .agreement_signed_on
            .map(|d| format_date(agreement::publication_deadline(d))),
        schedule: schedule
            .iter()
            .map(|s| InstalmentView {
                n: s.position,
                id: s.id,
                amount: s.instalment.amount.to_string(),
                condition: s.instalment.condition.label(),
                due: format_date(s.instalment.due),
                paid: payments
                    .iter()
                    .filter(|p| p.instalment == Some(s.id))
                    .map(|p| p.amount)
                    .sum::<Money>()
                    .to_string(),
            })
            .collect(),
        schedule_form,
        schedule_proposed: schedule.is_empty(),
        can_edit_schedule: staff && accepted && payments.is_empty(),
        conditions: CONDITIONS
            .iter()
            .map(|c| (condition_code(*c), c.label()))
            .collect(),
        reports: reports
            .iter()
            .map(|r| {
                (
                    if r.final_report {
                        "Rapport final"
                    } else {
                        "Rapport intermédiaire"
                    },
                    format_date(r.due),
                    if r.received {
                        "reçu"
                    } else if r.due < today {
                        "en retard : les versements sont suspendus"
                    } else {
                        "attendu"
                    },
                )
            })
            .collect(),
        payments: payments
            .iter()
            .map(|p| PaymentView {
                date: format_date(p.paid_on),
                amount: p.amount.to_string(),
                instalment: p
                    .instalment
                    .and_then(|id| schedule.iter().find(|s| s.id == id))
                    .map_or_else(|| "—".to_owned(), |s| format!("n° {}", s.position)),
            })
            .collect(),
        paid: paid.to_string(),
        left: if paid < granted {
            granted - paid
        } else {
            Money::ZERO
        }
        .to_string(),
        today: today.to_string(),
        max_size: "10 Mio",
    })
}

// ---------------------------------------------------------------------------------------------
// Uploads

/// A file received, read up to the limit.
pub(crate) struct Upload {
    name: String,
    bytes: Vec<u8>,
    too_large: bool,
}

impl Upload {
    /// The file checked under the field's French label.
    pub(crate) fn check(&self, label: &str) -> Result<CheckedFile, UploadError> {
        if self.too_large {
            return Err(UploadError::TooLarge {
                field: label.to_owned(),
            });
        }
        check_upload(label, &self.name, &self.bytes)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty() && !self.too_large && self.name.is_empty()
    }
}

/// Reads a multipart form: its text fields, and the file of `file_field` (read up to
/// [`MAX_DOCUMENT_BYTES`] and one byte more). `Err` when the upload broke off (too large for
/// the route, or cut).
async fn read_multipart(
    mut multipart: Multipart,
    file_field: &str,
) -> Result<(Vec<(String, String)>, Option<Upload>), ()> {
    let mut fields = Vec::new();
    let mut upload = None;
    while let Some(mut part) = multipart.next_field().await.map_err(|_| ())? {
        let name = part.name().unwrap_or_default().to_owned();
        if name == file_field {
            let mut file = Upload {
                name: part.file_name().unwrap_or_default().to_owned(),
                bytes: Vec::new(),
                too_large: false,
            };
            while let Some(chunk) = part.chunk().await.map_err(|_| ())? {
                if file.bytes.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                    file.too_large = true;
                    file.bytes.clear();
                } else if !file.too_large {
                    file.bytes.extend_from_slice(&chunk);
                }
            }
            upload = Some(file);
        } else {
            fields.push((name, part.text().await.map_err(|_| ())?));
        }
    }
    Ok((fields, upload))
}

fn broken_upload(field: &str, label: &str) -> FieldError {
    error(
        field,
        format!("{label} : l’envoi a été interrompu ou dépasse la taille maximale de 10 Mio."),
    )
}

/// The message form's fields and file: a plain form, or a multipart one carrying an attachment
/// (`piece_jointe`).
pub(crate) async fn message_form(
    state: &AppState,
    request: Request,
) -> Result<Result<(Vec<(String, String)>, Option<Upload>), FieldError>, AppError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if multipart {
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(|_| AppError::Internal("formulaire illisible".to_owned()))?;
        return Ok(read_multipart(multipart, "piece_jointe")
            .await
            .map(|(fields, upload)| (fields, upload.filter(|u| !u.is_empty())))
            .map_err(|()| broken_upload("piece_jointe", "Pièce jointe")));
    }
    let Form(fields) = Form::<Vec<(String, String)>>::from_request(request, state)
        .await
        .map_err(|_| AppError::Internal("formulaire illisible".to_owned()))?;
    Ok(Ok((fields, None)))
}

/// Stores a message with its attachment, audited. The file was checked by the caller.
pub(crate) async fn add_message_with_attachment(
    state: &AppState,
    user: &CurrentUser,
    dossier: &Dossier,
    body: &str,
    file: &CheckedFile,
    upload: &Upload,
) -> Result<(), AppError> {
    let account = account_id(user)?;
    let (_, document) = state
        .store
        .add_message_with_attachment(
            dossier.id,
            body,
            Some(account),
            &NewDocument {
                kind: DocumentKind::MessageAttachment,
                file_name: &file.file_name,
                content_type: file.file_type.content_type(),
                sha256: &file.sha256,
                bytes: &upload.bytes,
                uploaded_by: Some(account),
            },
        )
        .await?;
    audit_document(state, account, "document.added", &document).await;
    Ok(())
}

async fn audit_document(state: &AppState, account: i64, code: &str, document: &Document) {
    audit::record(
        state,
        AuditActor::Account(account),
        code,
        "dossier",
        &document.dossier.to_string(),
        Some(serde_json::json!({
            "document": document.id,
            "kind": document.kind.code(),
            "sha256": document.sha256,
            "size": document.size,
        })),
    )
    .await;
}

async fn page_with(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    dossier: Dossier,
    errors: Vec<FieldError>,
) -> Result<Response, AppError> {
    crate::dossiers::dossier_page(state, user, headers, dossier, None, errors, None).await
}

/// `POST /dossiers/{dossier}/documents?_csrf=`: a member adds a piece to the application while
/// it can be edited (`nature`, `piece_dossier`).
pub(crate) async fn upload_piece(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let dossier = crate::dossiers::dossier_of(&state, id).await?;
    if !is_member(&user, &dossier.siren) {
        return Err(AppError::Forbidden);
    }
    let label = "Pièce du dossier";
    let Ok((fields, upload)) = read_multipart(multipart, "piece_dossier").await else {
        let errors = vec![broken_upload("piece_dossier", label)];
        return page_with(&state, &user, &headers, dossier, errors).await;
    };
    if !editable(&dossier) {
        let errors = vec![error(
            "piece_dossier",
            format!(
                "{label} : le dossier est {} ; ses pièces ne peuvent plus changer.",
                dossier.state.label()
            ),
        )];
        return page_with(&state, &user, &headers, dossier, errors).await;
    }
    let Some(kind) = DocumentKind::parse(field(&fields, "nature")).filter(|k| k.is_piece()) else {
        let errors = vec![error("nature", "Nature de la pièce : choisissez-la.")];
        return page_with(&state, &user, &headers, dossier, errors).await;
    };
    let upload = upload.unwrap_or(Upload {
        name: String::new(),
        bytes: Vec::new(),
        too_large: false,
    });
    let file = match upload.check(label) {
        Ok(file) => file,
        Err(e) => {
            let errors = vec![error("piece_dossier", e.to_string())];
            return page_with(&state, &user, &headers, dossier, errors).await;
        }
    };
    let account = account_id(&user)?;
    let document = state
        .store
        .add_document(
            id,
            &NewDocument {
                kind,
                file_name: &file.file_name,
                content_type: file.file_type.content_type(),
                sha256: &file.sha256,
                bytes: &upload.bytes,
                uploaded_by: Some(account),
            },
        )
        .await?;
    audit_document(&state, account, "document.added", &document).await;
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=piece#pieces")).into_response())
}

/// `POST /dossiers/{dossier}/documents/{document}/retirer`: a member withdraws a piece while the
/// application can be edited.
pub(crate) async fn remove_piece(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((id, document)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let dossier = crate::dossiers::dossier_of(&state, id).await?;
    if !is_member(&user, &dossier.siren) || !editable(&dossier) {
        return Err(AppError::Forbidden);
    }
    let Some((found, _)) = state.store.document_content(id, document).await? else {
        return Err(AppError::NotFound);
    };
    if !found.kind.is_piece() || !state.store.withdraw_document(id, document).await? {
        return Err(AppError::NotFound);
    }
    audit_document(&state, account_id(&user)?, "document.removed", &found).await;
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=piece-retiree#pieces")).into_response())
}

/// `GET /dossiers/{dossier}/documents/{document}`: a file of the dossier, for its structure's
/// members and staff (the route guard), only if it belongs to this dossier; always as an
/// attachment, never sniffed. Withdrawn files are kept for staff only.
pub(crate) async fn download(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    Path((id, document)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let Some((found, bytes)) = state.store.document_content(id, document).await? else {
        return Err(AppError::NotFound);
    };
    if found.withdrawn && !is_staff(&user) {
        return Err(AppError::NotFound);
    }
    let content_type = HeaderValue::from_str(&found.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    // The sanitised name is ASCII letters, digits, '-', '_' and '.': safe between quotes.
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", found.file_name))
            .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// The agreement's template

#[derive(Template)]
#[template(path = "agreement_template.html")]
struct TemplatePage {
    layout: Layout,
    csrf: String,
    body: String,
    placeholders: Vec<(&'static str, &'static str)>,
    saved: Option<String>,
    is_default: bool,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

crate::profiles::form_errors!(TemplatePage);

async fn template_page_with(
    state: &AppState,
    headers: &HeaderMap,
    typed: Option<String>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let current = state.store.agreement_template().await?;
    let (csrf, cookie) = csrf::token(headers, state.accounts.secure_cookies);
    let page = TemplatePage {
        layout: page_layout(state, "").await?,
        csrf,
        is_default: current.is_none(),
        saved: current.as_ref().map(|t| format_datetime(t.saved_at)),
        body: typed
            .unwrap_or_else(|| current.map_or_else(|| DEFAULT_TEMPLATE.to_owned(), |t| t.body)),
        placeholders: PLACEHOLDERS.to_vec(),
        notice,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(csrf::form_page(status, page.render()?, cookie))
}

/// `GET /administration/convention`: the agreement's template, for an administrator.
pub(crate) async fn template_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let notice = query
        .get("fait")
        .filter(|v| *v == "enregistre")
        .map(|_| "Le modèle de convention est enregistré ; il sert aux prochaines conventions.");
    template_page_with(&state, &headers, None, Vec::new(), notice).await
}

/// `POST /administration/convention`: saves the template (`modele`) once every placeholder is
/// known.
pub(crate) async fn save_template(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let body = field(&fields, "modele").replace("\r\n", "\n");
    let problems = template_problems(&body);
    if !problems.is_empty() {
        let errors = problems.into_iter().map(|p| error("modele", p)).collect();
        return template_page_with(&state, &headers, Some(body), errors, None).await;
    }
    let account = account_id(&user)?;
    let saved = state
        .store
        .save_agreement_template(&body, Some(account))
        .await?;
    audit::record(
        &state,
        AuditActor::Account(account),
        "agreement.template_saved",
        "agreement_template",
        &saved.id.to_string(),
        Some(serde_json::json!({ "sha256": sha256_hex(body.as_bytes()) })),
    )
    .await;
    Ok(Redirect::to("/administration/convention?fait=enregistre").into_response())
}

// ---------------------------------------------------------------------------------------------
// The agreement of a dossier

fn blocks(sections: Vec<Section>) -> Vec<essor_pdf::Block> {
    use essor_pdf::Block;
    sections
        .into_iter()
        .map(|section| match section {
            Section::Heading { level, text } => Block::Heading { level, text },
            Section::Paragraph(text) => Block::Paragraph(text),
            Section::List(items) => Block::List(items),
            Section::Schedule(rows) => Block::Table {
                header: vec![
                    "N°".to_owned(),
                    "Condition".to_owned(),
                    "Date prévue".to_owned(),
                    "Montant".to_owned(),
                ],
                rows: rows.into_iter().map(Vec::from).collect(),
                numeric: vec![true, false, false, true],
            },
            Section::Signatures(parties) => Block::Signatures(parties),
        })
        .collect()
}

/// The agreement of an accepted dossier with a schedule, as a PDF; `Err` names what is missing.
async fn agreement_pdf(
    state: &AppState,
    dossier: &Dossier,
) -> Result<Result<Vec<u8>, FieldError>, AppError> {
    let Some(granted) = dossier
        .granted
        .filter(|_| dossier.state == DossierState::Accepted)
    else {
        return Ok(Err(error(
            "generer_convention",
            "Convention : seul un dossier accepté en a une.",
        )));
    };
    let schedule = state.store.schedule(dossier.id).await?;
    if schedule.is_empty() {
        return Ok(Err(error(
            "generer_convention",
            "Convention : fixez d’abord l’échéancier des versements, qu’elle reprend.",
        )));
    }
    let (context, actors) = state.directory(false).await?;
    let actor = actors.get(&dossier.siret);
    let address = actor.map_or_else(String::new, |a| {
        let street = a.address.clone().unwrap_or_default();
        let city = format!(
            "{} {}",
            a.postcode.clone().unwrap_or_default(),
            a.commune_name
        );
        [street, city.trim().to_owned()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let template = state
        .store
        .agreement_template()
        .await?
        .map_or_else(|| DEFAULT_TEMPLATE.to_owned(), |t| t.body);
    let values = AgreementValues {
        authority: context.territory.name.clone(),
        beneficiary: actor.map_or_else(|| format!("SIRET {}", dossier.siret), |a| a.name.clone()),
        siret: dossier.siret.clone(),
        address: if address.is_empty() {
            "(adresse non diffusée)".to_owned()
        } else {
            address
        },
        number: dossier.id,
        year: dossier.year,
        title: dossier.application.title.clone(),
        summary: dossier.application.summary.clone(),
        amount: granted,
        decided_on: dossier.decided_at.map(|d| d.date_naive()),
        jobs_created: dossier.application.jobs_created,
        jobs_consolidated: dossier.application.jobs_consolidated,
        instalments: schedule.into_iter().map(|s| s.instalment).collect(),
        reports: state.store.report_dues(dossier.id).await?,
    };
    let document = essor_pdf::Document {
        title: format!("Convention de subvention, dossier n° {}", dossier.id),
        author: context.territory.name.clone(),
        footer: format!(
            "{} : convention de subvention, dossier n° {}",
            context.territory.name, dossier.id
        ),
        blocks: blocks(values.sections(&template)),
    };
    let pdf = tokio::task::spawn_blocking(move || essor_pdf::render(&document))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Ok(pdf))
}

/// `POST /administration/dossiers/{id}/convention`: generates the agreement of an accepted
/// dossier from the template and keeps it with the dossier.
pub(crate) async fn generate_agreement(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let dossier = crate::dossiers::dossier_of(&state, id).await?;
    let pdf = match agreement_pdf(&state, &dossier).await? {
        Ok(pdf) => pdf,
        Err(e) => return page_with(&state, &user, &headers, dossier, vec![e]).await,
    };
    let account = account_id(&user)?;
    let sha256 = sha256_hex(&pdf);
    let document = state
        .store
        .add_document(
            id,
            &NewDocument {
                kind: DocumentKind::AgreementGenerated,
                file_name: &format!("convention-dossier-{id}.pdf"),
                content_type: "application/pdf",
                sha256: &sha256,
                bytes: &pdf,
                uploaded_by: Some(account),
            },
        )
        .await?;
    audit_document(&state, account, "agreement.generated", &document).await;
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=convention#convention")).into_response())
}

/// `POST /administration/dossiers/{id}/convention/signee?_csrf=`: the signed copy
/// (`convention_signee`) and its signature date (`date_signature`); the date starts the
/// open-data clock.
pub(crate) async fn upload_signed(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let dossier = crate::dossiers::dossier_of(&state, id).await?;
    let label = "Convention signée";
    let Ok((fields, upload)) = read_multipart(multipart, "convention_signee").await else {
        let errors = vec![broken_upload("convention_signee", label)];
        return page_with(&state, &user, &headers, dossier, errors).await;
    };
    let mut errors = Vec::new();
    let today = Utc::now().date_naive();
    let signed_on = match parse_date(field(&fields, "date_signature")) {
        Ok(date) if date > today => {
            errors.push(error(
                "date_signature",
                "Date de signature : elle ne peut pas être dans le futur.",
            ));
            None
        }
        Ok(date) => Some(date),
        Err(e) => {
            errors.push(error("date_signature", format!("Date de signature : {e}.")));
            None
        }
    };
    let upload = upload.unwrap_or(Upload {
        name: String::new(),
        bytes: Vec::new(),
        too_large: false,
    });
    let file = match upload.check(label) {
        Ok(file) => Some(file),
        Err(e) => {
            errors.push(error("convention_signee", e.to_string()));
            None
        }
    };
    let (Some(signed_on), Some(file)) = (signed_on, file) else {
        return page_with(&state, &user, &headers, dossier, errors).await;
    };
    let account = account_id(&user)?;
    let Some(document) = state
        .store
        .record_signed_agreement(
            id,
            &NewDocument {
                kind: DocumentKind::AgreementSigned,
                file_name: &file.file_name,
                content_type: file.file_type.content_type(),
                sha256: &file.sha256,
                bytes: &upload.bytes,
                uploaded_by: Some(account),
            },
            signed_on,
        )
        .await?
    else {
        let errors = vec![error(
            "convention_signee",
            "Convention signée : seul un dossier accepté en a une.",
        )];
        return page_with(&state, &user, &headers, dossier, errors).await;
    };
    audit_document(&state, account, "agreement.signed", &document).await;
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=convention-signee#convention")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Schedule and payments

/// `POST /administration/dossiers/{id}/echeancier`: the instalments (`montant_N`,
/// `condition_N`, `date_N`), totalling the grant.
pub(crate) async fn set_schedule(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = crate::dossiers::dossier_of(&state, id).await?;
    let mut errors = Vec::new();
    let mut instalments = Vec::new();
    for n in 1..=SCHEDULE_ROWS {
        let raw_amount = field(&fields, &format!("montant_{n}")).trim();
        let raw_date = field(&fields, &format!("date_{n}")).trim();
        if raw_amount.is_empty() && raw_date.is_empty() {
            continue;
        }
        let amount = Money::parse(raw_amount).map_err(|e| {
            error(
                &format!("montant_{n}"),
                format!("Échéance {n}, montant : {e}."),
            )
        });
        let due = parse_date(raw_date)
            .map_err(|e| error(&format!("date_{n}"), format!("Échéance {n}, date : {e}.")));
        let condition =
            parse_condition(field(&fields, &format!("condition_{n}"))).ok_or_else(|| {
                error(
                    &format!("condition_{n}"),
                    format!("Échéance {n}, condition : choisissez-la."),
                )
            });
        match (amount, due, condition) {
            (Ok(amount), Ok(due), Ok(condition)) => instalments.push(Instalment {
                amount,
                condition,
                due,
            }),
            (amount, due, condition) => {
                errors.extend(
                    [amount.err(), due.err(), condition.err()]
                        .into_iter()
                        .flatten(),
                );
            }
        }
    }
    let granted = dossier.granted.unwrap_or(Money::ZERO);
    if errors.is_empty() {
        errors.extend(
            funding::schedule_problems(granted, &instalments)
                .into_iter()
                .map(|p| error("echeancier", p)),
        );
    }
    if !errors.is_empty() {
        return page_with(&state, &user, &headers, dossier, errors).await;
    }
    let refusal = match state.store.set_schedule(id, &instalments).await? {
        ScheduleSet::Done => None,
        ScheduleSet::NotAccepted => Some("Échéancier : seul un dossier accepté en a un."),
        ScheduleSet::PaymentsMade => {
            Some("Échéancier : un versement est déjà enregistré ; il ne peut plus changer.")
        }
    };
    if let Some(message) = refusal {
        return page_with(
            &state,
            &user,
            &headers,
            dossier,
            vec![error("echeancier", message)],
        )
        .await;
    }
    audit::record(
        &state,
        AuditActor::Account(account_id(&user)?),
        "payment.schedule_set",
        "dossier",
        &id.to_string(),
        Some(serde_json::json!({
            "instalments": instalments
                .iter()
                .map(|i| serde_json::json!({
                    "amount_cents": i.amount.cents(),
                    "condition": condition_code(i.condition),
                    "due": i.due.to_string(),
                }))
                .collect::<Vec<_>>(),
        })),
    )
    .await;
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=echeancier#versements")).into_response())
}

/// `POST /administration/dossiers/{id}/versements`: a payment (`versement_date`,
/// `versement_montant`, `versement_echeance`), refused above the grant or after an overdue
/// report.
pub(crate) async fn record_payment(
    State(state): State<AppState>,
    Extension(user): Extension<CurrentUser>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let dossier = crate::dossiers::dossier_of(&state, id).await?;
    let mut errors = Vec::new();
    let today = Utc::now().date_naive();
    let paid_on = match parse_date(field(&fields, "versement_date")) {
        Ok(date) if date > today => {
            errors.push(error(
                "versement_date",
                "Date du versement : elle ne peut pas être dans le futur.",
            ));
            None
        }
        Ok(date) => Some(date),
        Err(e) => {
            errors.push(error("versement_date", format!("Date du versement : {e}.")));
            None
        }
    };
    let amount = match Money::parse(field(&fields, "versement_montant").trim()) {
        Ok(amount) => Some(amount),
        Err(e) => {
            errors.push(error(
                "versement_montant",
                format!("Montant du versement : {e}."),
            ));
            None
        }
    };
    let instalment = match field(&fields, "versement_echeance") {
        "" => None,
        raw => raw.parse::<i64>().ok(),
    };
    let (Some(paid_on), Some(amount)) = (paid_on, amount) else {
        return page_with(&state, &user, &headers, dossier, errors).await;
    };
    let account = account_id(&user)?;
    let recorded = state
        .store
        .record_payment(
            id,
            &NewPayment {
                instalment,
                paid_on,
                amount,
                recorded_by: Some(account),
                today,
            },
        )
        .await?;
    let payment = match recorded {
        Ok(payment) => payment,
        Err(refused) => {
            let errors = vec![error("versement_montant", refused.to_string())];
            return page_with(&state, &user, &headers, dossier, errors).await;
        }
    };
    audit::record(
        &state,
        AuditActor::Account(account),
        "payment.recorded",
        "dossier",
        &id.to_string(),
        Some(serde_json::json!({
            "payment": payment.id,
            "amount_cents": payment.amount.cents(),
            "paid_on": payment.paid_on.to_string(),
            "instalment": payment.instalment,
        })),
    )
    .await;
    let message = format!(
        "Un versement de {} daté du {} est enregistré pour ce projet.",
        payment.amount,
        essor_domain::dates::format_date(payment.paid_on)
    );
    crate::dossiers::tell(
        &state,
        dossier.created_by,
        &dossier,
        "versement enregistré",
        &message,
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/dossiers/{id}?fait=versement#versements")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    #[test]
    fn conditions_read_back_from_their_codes() {
        for condition in CONDITIONS {
            assert_eq!(parse_condition(condition_code(condition)), Some(condition));
        }
        assert_eq!(parse_condition("autre"), None);
    }

    #[test]
    fn the_proposed_schedule_is_half_at_signature_half_on_the_final_report() {
        let dossier_year = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let dossier = Dossier {
            id: 1,
            siret: String::new(),
            siren: String::new(),
            year: dossier_year.year(),
            state: DossierState::Accepted,
            application: essor_domain::dossier::Application::default(),
            granted: Some(Money::from_cents(1_000_001)),
            checks: Vec::new(),
            assigned_to: None,
            created_by: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            submitted_at: None,
            decided_at: None,
            agreement_signed_on: Some(dossier_year),
        };
        let proposed = proposed_schedule(&dossier, Money::from_cents(1_000_001));
        assert_eq!(proposed[0].condition, Condition::Signature);
        assert_eq!(proposed[0].due, dossier_year);
        assert_eq!(proposed[1].condition, Condition::FinalReport);
        assert_eq!(
            proposed[1].due,
            NaiveDate::from_ymd_opt(2027, 3, 2).unwrap()
        );
        assert_eq!(
            proposed.iter().map(|i| i.amount).sum::<Money>(),
            Money::from_cents(1_000_001)
        );
    }
}
