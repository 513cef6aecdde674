//! Recording what matters in the audit trail, and the staff's page to browse it.
//!
//! Entries name accounts by number only (« compte n° 42 »), never by name or address: the trail
//! cannot be rewritten, so it must hold no personal data that a deletion would have to erase.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use essor_domain::audit::{
    Action, Actor as AuditActor, AuditEvent, ObjectRef, SystemActor, account_actor_id, action_label,
};
use essor_domain::dates::format_date;
use essor_store::audit::{AuditFilter, Page};
use serde::Deserialize;

use crate::error::AppError;
use crate::{AppState, page_layout};

/// Who acted, as the web layer knows it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Actor {
    /// A visitor not signed in (a failed sign-in).
    Anonymous,
    Account(i64),
}

impl Actor {
    fn audit(self) -> AuditActor {
        match self {
            Self::Anonymous => AuditActor::System(SystemActor::Server),
            Self::Account(id) => AuditActor::account(id, format!("compte n° {id}")),
        }
    }
}

/// Appends an event. A failure is logged: the request it records has already been carried out.
pub(crate) async fn record(
    state: &AppState,
    actor: Actor,
    action: &str,
    object_kind: &str,
    object_id: &str,
    after: Option<serde_json::Value>,
) {
    let Ok(action) = Action::parse(action) else {
        tracing::error!(action, "action d’audit invalide");
        return;
    };
    let mut event = AuditEvent::now(actor.audit(), action);
    if !object_id.is_empty()
        && let Ok(object) = ObjectRef::new(object_kind, object_id)
    {
        event = event.on(object);
    }
    if let Some(after) = &after {
        event = event.after(after);
    }
    if let Err(e) = state.store.append(&event).await {
        tracing::error!(error = %e, "écriture dans le journal d’audit impossible");
    }
}

/// The entries of one account, for the export of its data.
pub(crate) async fn of_account(
    state: &AppState,
    account: i64,
) -> Result<Vec<serde_json::Value>, AppError> {
    let filter = AuditFilter {
        actor_id: Some(account_actor_id(account)),
        ..AuditFilter::default()
    };
    let mut found = Vec::new();
    let mut page = Page {
        before_seq: None,
        limit: essor_store::audit::MAX_PAGE,
    };
    loop {
        let entries = state.store.list(&filter, page).await?;
        let Some(last) = entries.last() else { break };
        page.before_seq = Some(last.seq);
        let full = entries.len() == essor_store::audit::MAX_PAGE as usize;
        found.extend(entries.into_iter().map(|e| {
            serde_json::json!({
                "numero": e.seq,
                "date": e.created_at.to_rfc3339(),
                "action": e.action,
                "libelle": action_label(&e.action),
            })
        }));
        if !full {
            break;
        }
    }
    Ok(found)
}

#[derive(Deserialize, Default)]
pub(crate) struct JournalQuery {
    action: Option<String>,
    compte: Option<String>,
    avant: Option<i64>,
}

struct EntryView {
    seq: i64,
    date: String,
    time: String,
    actor: String,
    action: String,
    object: String,
    change: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct JournalPage {
    layout: crate::layout::Layout,
    action: String,
    account: String,
    entries: Vec<EntryView>,
    next: Option<String>,
    actions: Vec<(&'static str, &'static str)>,
}

const PAGE_SIZE: u32 = 50;

/// `/administration/journal`: the trail, most recent first, filtered by action and account.
pub(crate) async fn journal(
    State(state): State<AppState>,
    Query(query): Query<JournalQuery>,
) -> Result<Response, AppError> {
    let action = query.action.unwrap_or_default().trim().to_owned();
    let account = query.compte.unwrap_or_default().trim().to_owned();
    let filter = AuditFilter {
        action_prefix: (!action.is_empty()).then(|| action.clone()),
        actor_id: account.parse::<i64>().ok().map(account_actor_id),
        ..AuditFilter::default()
    };
    let entries = state
        .store
        .list(
            &filter,
            Page {
                before_seq: query.avant,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    let next = (entries.len() == PAGE_SIZE as usize)
        .then(|| entries.last().map(|e| e.seq))
        .flatten()
        .map(|seq| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            if !action.is_empty() {
                query.append_pair("action", &action);
            }
            if !account.is_empty() {
                query.append_pair("compte", &account);
            }
            query.append_pair("avant", &seq.to_string());
            format!("/administration/journal?{}", query.finish())
        });
    let entries = entries
        .into_iter()
        .map(|e| EntryView {
            seq: e.seq,
            date: format_date(e.created_at.date_naive()),
            time: e.created_at.format("%H:%M:%S").to_string(),
            actor: e.actor_label,
            action: action_label(&e.action).map_or_else(|| e.action.clone(), str::to_owned),
            object: match (e.object_kind, e.object_id) {
                (Some(kind), Some(id)) => format!("{kind} {id}"),
                _ => String::new(),
            },
            change: match (e.before_json, e.after_json) {
                (Some(b), Some(a)) => format!("{b} → {a}"),
                (None, Some(a)) => a,
                (Some(b), None) => format!("{b} → (supprimé)"),
                (None, None) => String::new(),
            },
        })
        .collect();
    let page = JournalPage {
        layout: page_layout(&state, "").await?,
        action,
        account,
        entries,
        next,
        actions: essor_domain::audit::KNOWN_ACTIONS.to_vec(),
    };
    Ok(Html(page.render()?).into_response())
}
