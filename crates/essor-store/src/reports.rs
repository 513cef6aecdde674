//! The reports of an accepted dossier and its evaluation. A report is written by its structure
//! while it is a draft or sent back, and moves only from the status it was checked against
//! (`essor_domain::reports::step`): saving and submitting are one statement, so a report is never
//! half-submitted, and two reviewers cannot both decide it.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use essor_domain::funding::ReportDue;
use essor_domain::plan::Key;
use essor_domain::reports::{Achievement, Evaluation, ReportContent, ReportKind, ReportStatus};

use crate::{Result, StoreError};

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub dossier: i64,
    pub kind: ReportKind,
    /// The due date staff set; `None`: the default after the decision.
    pub due_on: Option<NaiveDate>,
    pub status: ReportStatus,
    pub content: ReportContent,
    /// Why staff sent it back, when they did.
    pub return_reason: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// An evaluation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvaluation {
    pub dossier: i64,
    pub evaluation: Evaluation,
    pub evaluated_by: Option<i64>,
    pub evaluated_at: DateTime<Utc>,
}

/// The storage of reports and evaluations. Both backends implement it with the same SQL.
#[async_trait]
pub trait Reports: Send + Sync {
    /// The reports of a dossier that have a row (a due date set, a draft, a submission), in the
    /// order intermediate, final.
    async fn reports_of(&self, dossier: i64) -> Result<Vec<StoredReport>>;
    /// What an accepted dossier owes, for the payment rules (`essor_domain::funding::pay`):
    /// both reports, each with its due date (set, or the default after the decision) and
    /// whether it is received. Empty for a dossier not accepted (or unknown).
    async fn report_dues(&self, dossier: i64) -> Result<Vec<ReportDue>>;
    /// Sets the due dates of both reports, in one transaction.
    async fn set_report_dues(
        &self,
        dossier: i64,
        intermediate: NaiveDate,
        final_report: NaiveDate,
    ) -> Result<()>;
    /// Saves what the structure wrote, and submits it when `submit`: only while the report is a
    /// draft or sent back. `None` when it is not (submitted or accepted meanwhile).
    async fn save_report(
        &self,
        dossier: i64,
        kind: ReportKind,
        content: &ReportContent,
        submit: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredReport>>;
    /// Staff's review of a submitted report: accepted, or returned with a reason. `None` when
    /// the report is not submitted (any more).
    async fn review_report(
        &self,
        dossier: i64,
        kind: ReportKind,
        to: ReportStatus,
        reason: Option<&str>,
        by: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredReport>>;
    /// Records (or replaces) the evaluation of a dossier.
    async fn save_evaluation(
        &self,
        dossier: i64,
        evaluation: &Evaluation,
        by: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<StoredEvaluation>;
    async fn evaluation(&self, dossier: i64) -> Result<Option<StoredEvaluation>>;
    /// Every evaluation, by dossier number.
    async fn evaluations(&self) -> Result<Vec<StoredEvaluation>>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReportRow {
    dossier_id: i64,
    kind: String,
    due_on: Option<NaiveDate>,
    status: String,
    content: String,
    return_reason: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
    reviewed_at: Option<DateTime<Utc>>,
    reviewed_by: Option<i64>,
    updated_at: DateTime<Utc>,
}

pub(crate) const REPORT_COLUMNS: &str = "dossier_id, kind, due_on, status, content, \
     return_reason, submitted_at, reviewed_at, reviewed_by, updated_at";

fn corrupt(what: &'static str, detail: &impl ToString) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: detail.to_string(),
    }
}

fn kind(code: &str) -> Result<ReportKind> {
    ReportKind::parse(code).ok_or_else(|| corrupt("type de rapport", &code))
}

fn status(code: &str) -> Result<ReportStatus> {
    ReportStatus::parse(code).ok_or_else(|| corrupt("état de rapport", &code))
}

/// A report's kind, due date and status, as `essor_domain::reports::dues` reads them.
pub(crate) fn stored_due(
    kind_code: &str,
    due: Option<NaiveDate>,
    status_code: &str,
) -> Result<(ReportKind, Option<NaiveDate>, ReportStatus)> {
    Ok((kind(kind_code)?, due, status(status_code)?))
}

pub(crate) fn report_from_row(row: ReportRow) -> Result<StoredReport> {
    Ok(StoredReport {
        dossier: row.dossier_id,
        kind: kind(&row.kind)?,
        due_on: row.due_on,
        status: status(&row.status)?,
        content: serde_json::from_str(&row.content).map_err(|e| corrupt("rapport", &e))?,
        return_reason: row.return_reason,
        submitted_at: row.submitted_at,
        reviewed_at: row.reviewed_at,
        reviewed_by: row.reviewed_by,
        updated_at: row.updated_at,
    })
}

pub(crate) fn content_document(content: &ReportContent) -> Result<String> {
    serde_json::to_string(content).map_err(|e| corrupt("rapport", &e))
}

#[derive(sqlx::FromRow)]
pub(crate) struct EvaluationRow {
    dossier_id: i64,
    jobs_created: i64,
    jobs_consolidated: i64,
    outcomes: String,
    achievement: String,
    themes: String,
    evaluated_by: Option<i64>,
    evaluated_at: DateTime<Utc>,
}

pub(crate) const EVALUATION_COLUMNS: &str = "dossier_id, jobs_created, jobs_consolidated, \
     outcomes, achievement, themes, evaluated_by, evaluated_at";

pub(crate) fn evaluation_from_row(row: EvaluationRow) -> Result<StoredEvaluation> {
    let count = |n: i64| u32::try_from(n).map_err(|e| corrupt("évaluation", &e));
    let themes: Vec<Key> =
        serde_json::from_str(&row.themes).map_err(|e| corrupt("thèmes d’évaluation", &e))?;
    Ok(StoredEvaluation {
        dossier: row.dossier_id,
        evaluation: Evaluation {
            jobs_created: count(row.jobs_created)?,
            jobs_consolidated: count(row.jobs_consolidated)?,
            outcomes: row.outcomes,
            achievement: Achievement::parse(&row.achievement)
                .ok_or_else(|| corrupt("atteinte des objectifs", &row.achievement))?,
            themes,
        },
        evaluated_by: row.evaluated_by,
        evaluated_at: row.evaluated_at,
    })
}

pub(crate) fn themes_document(themes: &[Key]) -> Result<String> {
    serde_json::to_string(themes).map_err(|e| corrupt("thèmes d’évaluation", &e))
}

macro_rules! impl_reports {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::reports::Reports for $store {
            async fn reports_of(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<$crate::reports::StoredReport>> {
                let rows: Vec<$crate::reports::ReportRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossier_reports WHERE dossier_id = $1",
                    $crate::reports::REPORT_COLUMNS
                ))
                .bind(dossier)
                .fetch_all(&self.pool)
                .await?;
                let mut reports = rows
                    .into_iter()
                    .map($crate::reports::report_from_row)
                    .collect::<$crate::Result<Vec<_>>>()?;
                reports.sort_by_key(|r| r.kind == essor_domain::reports::ReportKind::Final);
                Ok(reports)
            }

            async fn report_dues(
                &self,
                dossier: i64,
            ) -> $crate::Result<Vec<essor_domain::funding::ReportDue>> {
                let Some(found) = $crate::dossiers::Dossiers::dossier(self, dossier).await? else {
                    return Ok(Vec::new());
                };
                let Some(decided) = found
                    .decided_at
                    .filter(|_| found.state == essor_domain::dossier::State::Accepted)
                else {
                    return Ok(Vec::new());
                };
                let stored: Vec<_> = $crate::reports::Reports::reports_of(self, dossier)
                    .await?
                    .into_iter()
                    .map(|r| (r.kind, r.due_on, r.status))
                    .collect();
                Ok(essor_domain::reports::dues(decided.date_naive(), &stored))
            }

            async fn set_report_dues(
                &self,
                dossier: i64,
                intermediate: chrono::NaiveDate,
                final_report: chrono::NaiveDate,
            ) -> $crate::Result<()> {
                let empty = $crate::reports::content_document(
                    &essor_domain::reports::ReportContent::default(),
                )?;
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                for (kind, due) in [
                    (essor_domain::reports::ReportKind::Intermediate, intermediate),
                    (essor_domain::reports::ReportKind::Final, final_report),
                ] {
                    sqlx::query(
                        "INSERT INTO dossier_reports (dossier_id, kind, due_on, status, content, \
                         updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (dossier_id, kind) DO UPDATE SET due_on = $3, updated_at = $6",
                    )
                    .bind(dossier)
                    .bind(kind.code())
                    .bind(due)
                    .bind(essor_domain::reports::ReportStatus::Draft.code())
                    .bind(&empty)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn save_report(
                &self,
                dossier: i64,
                kind: essor_domain::reports::ReportKind,
                content: &essor_domain::reports::ReportContent,
                submit: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::reports::StoredReport>> {
                use essor_domain::reports::ReportStatus;
                let status = if submit {
                    ReportStatus::Submitted
                } else {
                    ReportStatus::Draft
                };
                let row: Option<$crate::reports::ReportRow> = sqlx::query_as(&format!(
                    "INSERT INTO dossier_reports (dossier_id, kind, status, content, \
                     submitted_at, updated_at) \
                     VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN $6 ELSE NULL END, $6) \
                     ON CONFLICT (dossier_id, kind) DO UPDATE SET content = $4, updated_at = $6, \
                     status = CASE WHEN $5 THEN $3 ELSE dossier_reports.status END, \
                     submitted_at = CASE WHEN $5 THEN $6 ELSE dossier_reports.submitted_at END \
                     WHERE dossier_reports.status IN ($7, $8) RETURNING {}",
                    $crate::reports::REPORT_COLUMNS
                ))
                .bind(dossier)
                .bind(kind.code())
                .bind(status.code())
                .bind($crate::reports::content_document(content)?)
                .bind(submit)
                .bind(at)
                .bind(ReportStatus::Draft.code())
                .bind(ReportStatus::Returned.code())
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::reports::report_from_row).transpose()
            }

            async fn review_report(
                &self,
                dossier: i64,
                kind: essor_domain::reports::ReportKind,
                to: essor_domain::reports::ReportStatus,
                reason: Option<&str>,
                by: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::reports::StoredReport>> {
                let row: Option<$crate::reports::ReportRow> = sqlx::query_as(&format!(
                    "UPDATE dossier_reports SET status = $1, return_reason = $2, \
                     reviewed_at = $3, reviewed_by = $4, updated_at = $3 \
                     WHERE dossier_id = $5 AND kind = $6 AND status = $7 RETURNING {}",
                    $crate::reports::REPORT_COLUMNS
                ))
                .bind(to.code())
                .bind(reason)
                .bind(at)
                .bind(by)
                .bind(dossier)
                .bind(kind.code())
                .bind(essor_domain::reports::ReportStatus::Submitted.code())
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::reports::report_from_row).transpose()
            }

            async fn save_evaluation(
                &self,
                dossier: i64,
                evaluation: &essor_domain::reports::Evaluation,
                by: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<$crate::reports::StoredEvaluation> {
                let row: $crate::reports::EvaluationRow = sqlx::query_as(&format!(
                    "INSERT INTO dossier_evaluations (dossier_id, jobs_created, \
                     jobs_consolidated, outcomes, achievement, themes, evaluated_by, \
                     evaluated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (dossier_id) DO UPDATE SET jobs_created = $2, \
                     jobs_consolidated = $3, outcomes = $4, achievement = $5, themes = $6, \
                     evaluated_by = $7, evaluated_at = $8 RETURNING {}",
                    $crate::reports::EVALUATION_COLUMNS
                ))
                .bind(dossier)
                .bind(i64::from(evaluation.jobs_created))
                .bind(i64::from(evaluation.jobs_consolidated))
                .bind(&evaluation.outcomes)
                .bind(evaluation.achievement.code())
                .bind($crate::reports::themes_document(&evaluation.themes)?)
                .bind(by)
                .bind(at)
                .fetch_one(&self.pool)
                .await?;
                $crate::reports::evaluation_from_row(row)
            }

            async fn evaluation(
                &self,
                dossier: i64,
            ) -> $crate::Result<Option<$crate::reports::StoredEvaluation>> {
                let row: Option<$crate::reports::EvaluationRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossier_evaluations WHERE dossier_id = $1",
                    $crate::reports::EVALUATION_COLUMNS
                ))
                .bind(dossier)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::reports::evaluation_from_row).transpose()
            }

            async fn evaluations(&self) -> $crate::Result<Vec<$crate::reports::StoredEvaluation>> {
                let rows: Vec<$crate::reports::EvaluationRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM dossier_evaluations ORDER BY dossier_id",
                    $crate::reports::EVALUATION_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::reports::evaluation_from_row)
                    .collect()
            }
        }
    };
}

pub(crate) use impl_reports;
