//! The SQL both backends share.
//!
//! SQLite and PostgreSQL understand the same statements here (`$n` placeholders,
//! `ON CONFLICT … DO UPDATE`, `RETURNING`); only the column types differ, in the migrations.
//! sqlx has no generic executor across databases, so the shared bodies are written once in
//! [`impl_store!`] and expanded for each backend's pool type. A backend that needs its own SQL
//! for a method writes it in its module and the macro calls it.

use chrono::{DateTime, Utc};
use essor_domain::Plan;
use essor_domain::plan::Key;

use crate::{ConfiguredTerritory, EstablishmentRow, PlanSummary, SnapshotSummary, StoreError};

pub(crate) type TerritoryRow = (String, String, String, String, bool, DateTime<Utc>);
pub(crate) type PlanSummaryRow = (String, String, String, i32, i32, DateTime<Utc>);

pub(crate) fn territory_from_row(row: TerritoryRow) -> ConfiguredTerritory {
    let (reference, kind, code, name, is_default, created_at) = row;
    ConfiguredTerritory {
        reference,
        kind,
        code,
        name,
        is_default,
        created_at,
    }
}

pub(crate) fn plan_summary_from_row(row: PlanSummaryRow) -> Result<PlanSummary, StoreError> {
    let (key, territory, title, period_start, period_end, updated_at) = row;
    Ok(PlanSummary {
        key: Key::parse(&key).map_err(|e| StoreError::Corrupt {
            what: "clé de plan",
            detail: e.to_string(),
        })?,
        territory,
        title,
        period_start,
        period_end,
        updated_at,
    })
}

pub(crate) fn plan_to_document(plan: &Plan) -> Result<String, StoreError> {
    serde_json::to_string(plan).map_err(|e| StoreError::Corrupt {
        what: "plan",
        detail: e.to_string(),
    })
}

pub(crate) fn plan_from_document(document: &str) -> Result<Plan, StoreError> {
    serde_json::from_str(document).map_err(|e| StoreError::Corrupt {
        what: "plan",
        detail: e.to_string(),
    })
}

pub(crate) type SnapshotRow = (i64, DateTime<Utc>, String, String, String, bool, String);
pub(crate) type EstablishmentDbRow = (String, String, String, bool, String);

pub(crate) const SNAPSHOT_COLUMNS: &str =
    "id, imported_at, establishments_file, units_file, perimeter, synthetic, report";

/// Rows per multi-row INSERT (6 parameters each) and codes per `IN (…)`: under both databases'
/// limits.
pub(crate) const INSERT_BATCH: usize = 500;

pub(crate) fn snapshot_from_row(row: SnapshotRow) -> Result<SnapshotSummary, StoreError> {
    let (id, imported_at, establishments_file, units_file, perimeter, synthetic, report) = row;
    Ok(SnapshotSummary {
        id,
        imported_at,
        establishments_file,
        units_file,
        perimeter,
        synthetic,
        report: serde_json::from_str(&report).map_err(|e| StoreError::Corrupt {
            what: "rapport d’import",
            detail: e.to_string(),
        })?,
    })
}

pub(crate) fn establishment_from_row(row: EstablishmentDbRow) -> EstablishmentRow {
    let (siret, unit, commune, active, record) = row;
    EstablishmentRow {
        siret,
        siren: unit,
        commune,
        active,
        record,
    }
}

const TERRITORY_COLUMNS: &str = "reference, kind, code, name, is_default, created_at";

pub(crate) fn select_territories(filter: &str) -> String {
    format!("SELECT {TERRITORY_COLUMNS} FROM territories {filter}")
}

/// Implements [`crate::Store`] for a backend type with a `pool` field and a `MIGRATOR`.
macro_rules! impl_store {
    ($store:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            fn known_migrations(&self) -> Vec<$crate::MigrationInfo> {
                $crate::migration_infos(&Self::MIGRATOR)
            }

            #[tracing::instrument(skip(self))]
            async fn migrate(&self) -> $crate::Result<usize> {
                let before = self.applied_migrations().await?.len();
                Self::MIGRATOR.run(&self.pool).await?;
                let after = self.applied_migrations().await?.len();
                Ok(after.saturating_sub(before))
            }

            async fn applied_migrations(&self) -> $crate::Result<Vec<i64>> {
                let table_exists: bool = sqlx::query_scalar(Self::MIGRATIONS_TABLE_EXISTS)
                    .fetch_one(&self.pool)
                    .await?;
                if !table_exists {
                    return Ok(Vec::new());
                }
                let versions = sqlx::query_scalar(
                    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(versions)
            }

            async fn ping(&self) -> $crate::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn meta(&self, key: &str) -> $crate::Result<Option<String>> {
                let value = sqlx::query_scalar("SELECT value FROM app_meta WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(value)
            }

            async fn set_meta(&self, key: &str, value: &str) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO app_meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            #[tracing::instrument(skip(self), fields(territory = %territory.reference))]
            async fn save_territory(
                &self,
                territory: &$crate::NewTerritory,
            ) -> $crate::Result<$crate::ConfiguredTerritory> {
                let mut tx = self.pool.begin().await?;
                if territory.is_default {
                    sqlx::query("UPDATE territories SET is_default = FALSE WHERE reference <> $1")
                        .bind(&territory.reference)
                        .execute(&mut *tx)
                        .await?;
                }
                let row: $crate::common::TerritoryRow = sqlx::query_as(
                    "INSERT INTO territories (reference, kind, code, name, is_default, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (reference) DO UPDATE SET name = excluded.name, \
                     is_default = excluded.is_default OR territories.is_default \
                     RETURNING reference, kind, code, name, is_default, created_at",
                )
                .bind(&territory.reference)
                .bind(&territory.kind)
                .bind(&territory.code)
                .bind(&territory.name)
                .bind(territory.is_default)
                .bind(chrono::Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok($crate::common::territory_from_row(row))
            }

            async fn territories(&self) -> $crate::Result<Vec<$crate::ConfiguredTerritory>> {
                let rows: Vec<$crate::common::TerritoryRow> = sqlx::query_as(
                    &$crate::common::select_territories("ORDER BY is_default DESC, name"),
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map($crate::common::territory_from_row)
                    .collect())
            }

            async fn default_territory(
                &self,
            ) -> $crate::Result<Option<$crate::ConfiguredTerritory>> {
                let row: Option<$crate::common::TerritoryRow> = sqlx::query_as(
                    &$crate::common::select_territories("WHERE is_default"),
                )
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map($crate::common::territory_from_row))
            }

            #[tracing::instrument(skip(self, plan), fields(plan = %plan.key))]
            async fn save_plan(&self, plan: &essor_domain::Plan) -> $crate::Result<()> {
                let document = $crate::common::plan_to_document(plan)?;
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                let known: Option<String> =
                    sqlx::query_scalar("SELECT reference FROM territories WHERE reference = $1")
                        .bind(&plan.territory)
                        .fetch_optional(&mut *tx)
                        .await?;
                if known.is_none() {
                    return Err($crate::StoreError::UnknownTerritory(plan.territory.clone()));
                }
                let key = plan.key.as_str();
                sqlx::query(
                    "INSERT INTO plans (key, territory, title, period_start, period_end, document, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     ON CONFLICT (key) DO UPDATE SET territory = excluded.territory, \
                     title = excluded.title, period_start = excluded.period_start, \
                     period_end = excluded.period_end, document = excluded.document, \
                     updated_at = excluded.updated_at",
                )
                .bind(key)
                .bind(&plan.territory)
                .bind(&plan.title)
                .bind(plan.period.start)
                .bind(plan.period.end)
                .bind(&document)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for table in ["plan_orientations", "plan_themes", "plan_axes", "plan_budgets"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE plan_key = $1"))
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
                for (position, o) in (0_i32..).zip(&plan.orientations) {
                    sqlx::query(
                        "INSERT INTO plan_orientations (plan_key, key, position, title) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(key)
                    .bind(o.key.as_str())
                    .bind(position)
                    .bind(&o.title)
                    .execute(&mut *tx)
                    .await?;
                }
                for (position, t) in (0_i32..).zip(&plan.themes) {
                    sqlx::query(
                        "INSERT INTO plan_themes (plan_key, key, position, title) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(key)
                    .bind(t.key.as_str())
                    .bind(position)
                    .bind(&t.title)
                    .execute(&mut *tx)
                    .await?;
                }
                for a in &plan.axes {
                    sqlx::query(
                        "INSERT INTO plan_axes (plan_key, key, number, title) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(key)
                    .bind(a.key.as_str())
                    .bind(i32::try_from(a.number).unwrap_or(i32::MAX))
                    .bind(&a.title)
                    .execute(&mut *tx)
                    .await?;
                }
                for b in &plan.budgets {
                    sqlx::query(
                        "INSERT INTO plan_budgets (plan_key, year, amount_cents) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(key)
                    .bind(b.year)
                    .bind(b.amount.cents())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn plan(
                &self,
                key: &essor_domain::plan::Key,
            ) -> $crate::Result<Option<essor_domain::Plan>> {
                let document: Option<String> =
                    sqlx::query_scalar("SELECT document FROM plans WHERE key = $1")
                        .bind(key.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                document
                    .as_deref()
                    .map($crate::common::plan_from_document)
                    .transpose()
            }

            async fn plans(&self, territory: &str) -> $crate::Result<Vec<$crate::PlanSummary>> {
                let rows: Vec<$crate::common::PlanSummaryRow> = sqlx::query_as(
                    "SELECT key, territory, title, period_start, period_end, updated_at \
                     FROM plans WHERE territory = $1 ORDER BY period_end DESC, period_start DESC, key",
                )
                .bind(territory)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::common::plan_summary_from_row)
                    .collect()
            }

            async fn current_plan(
                &self,
                territory: &str,
            ) -> $crate::Result<Option<essor_domain::Plan>> {
                let document: Option<String> = sqlx::query_scalar(
                    "SELECT document FROM plans WHERE territory = $1 \
                     ORDER BY period_end DESC, period_start DESC, key LIMIT 1",
                )
                .bind(territory)
                .fetch_optional(&self.pool)
                .await?;
                document
                    .as_deref()
                    .map($crate::common::plan_from_document)
                    .transpose()
            }

            #[tracing::instrument(skip(self, snapshot), fields(facts = snapshot.facts.len(), establishments = snapshot.establishments.len()))]
            async fn save_snapshot(
                &self,
                snapshot: &$crate::NewSnapshot<'_>,
            ) -> $crate::Result<$crate::SnapshotSummary> {
                // Encoded before the transaction: it takes no lock while it computes.
                let blocks = $crate::fact_blocks::encode(snapshot.facts)?;
                let mut tx = self.pool.begin().await?;
                let row: $crate::common::SnapshotRow = sqlx::query_as(&format!(
                    "INSERT INTO sirene_snapshots (imported_at, establishments_file, units_file, \
                     perimeter, synthetic, report) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                    $crate::common::SNAPSHOT_COLUMNS
                ))
                .bind(chrono::Utc::now())
                .bind(snapshot.establishments_file)
                .bind(snapshot.units_file)
                .bind(essor_domain::panorama::PERIMETER)
                .bind(snapshot.synthetic)
                .bind(snapshot.report.to_string())
                .fetch_one(&mut *tx)
                .await?;
                let id = row.0;
                for (departement, block) in &blocks {
                    sqlx::query(
                        "INSERT INTO sirene_fact_blocks (snapshot_id, departement, facts) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(id)
                    .bind(departement.as_str())
                    .bind(block.as_slice())
                    .execute(&mut *tx)
                    .await?;
                }
                for chunk in snapshot.establishments.chunks($crate::common::INSERT_BATCH) {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO ess_establishments (snapshot_id, siret, siren, commune, \
                         active, record) ",
                    );
                    insert.push_values(chunk, |mut b, e| {
                        b.push_bind(id)
                            .push_bind(e.siret.as_str())
                            .push_bind(e.siren.as_str())
                            .push_bind(e.commune.as_str())
                            .push_bind(e.active)
                            .push_bind(e.record.as_str());
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                $crate::common::snapshot_from_row(row)
            }

            async fn snapshots(&self) -> $crate::Result<Vec<$crate::SnapshotSummary>> {
                let rows: Vec<$crate::common::SnapshotRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM sirene_snapshots ORDER BY id DESC",
                    $crate::common::SNAPSHOT_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::common::snapshot_from_row)
                    .collect()
            }

            async fn snapshot(&self, id: i64) -> $crate::Result<Option<$crate::SnapshotSummary>> {
                let row: Option<$crate::common::SnapshotRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM sirene_snapshots WHERE id = $1",
                    $crate::common::SNAPSHOT_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::common::snapshot_from_row).transpose()
            }

            async fn latest_snapshot(&self) -> $crate::Result<Option<$crate::SnapshotSummary>> {
                let row: Option<$crate::common::SnapshotRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM sirene_snapshots ORDER BY id DESC LIMIT 1",
                    $crate::common::SNAPSHOT_COLUMNS
                ))
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::common::snapshot_from_row).transpose()
            }

            async fn snapshot_facts(
                &self,
                id: i64,
                communes: &[String],
            ) -> $crate::Result<Vec<essor_domain::panorama::FactRow>> {
                let wanted: std::collections::HashSet<&str> =
                    communes.iter().map(String::as_str).collect();
                let departements =
                    $crate::fact_blocks::departements_of(wanted.iter().copied());
                let mut facts = Vec::new();
                for chunk in departements.chunks($crate::common::INSERT_BATCH) {
                    let mut select = sqlx::QueryBuilder::new(
                        "SELECT facts FROM sirene_fact_blocks WHERE snapshot_id = ",
                    );
                    select.push_bind(id).push(" AND departement IN (");
                    let mut separated = select.separated(", ");
                    for code in chunk {
                        separated.push_bind(code.as_str());
                    }
                    select.push(")");
                    let blocks: Vec<Vec<u8>> =
                        select.build_query_scalar().fetch_all(&self.pool).await?;
                    for block in &blocks {
                        $crate::fact_blocks::decode_into(block, &wanted, &mut facts)?;
                    }
                }
                Ok(facts)
            }

            async fn snapshot_establishments(
                &self,
                id: i64,
                communes: &[String],
            ) -> $crate::Result<Vec<$crate::EstablishmentRow>> {
                let mut found = Vec::new();
                for chunk in communes.chunks($crate::common::INSERT_BATCH) {
                    let mut select = sqlx::QueryBuilder::new(
                        "SELECT siret, siren, commune, active, record FROM ess_establishments \
                         WHERE snapshot_id = ",
                    );
                    select.push_bind(id).push(" AND commune IN (");
                    let mut separated = select.separated(", ");
                    for code in chunk {
                        separated.push_bind(code.as_str());
                    }
                    select.push(") ORDER BY siret");
                    let rows: Vec<$crate::common::EstablishmentDbRow> =
                        select.build_query_as().fetch_all(&self.pool).await?;
                    found.extend(rows.into_iter().map($crate::common::establishment_from_row));
                }
                Ok(found)
            }

            async fn delete_snapshot(&self, id: i64) -> $crate::Result<bool> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM sirene_fact_blocks WHERE snapshot_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM ess_establishments WHERE snapshot_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM sirene_snapshots WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

pub(crate) use impl_store;
