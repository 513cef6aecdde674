//! What a new deployment starts with: the reference territory and its plan.

use essor_domain::Plan;
use essor_domain::plan::default_plan;
use essor_domain::referential::Referential;
use essor_domain::territory::TerritoryRef;

use crate::{NewTerritory, Result, Store};

/// Meta key recording that the first start's data was loaded, so that an operator who later
/// removes the default plan does not see it come back.
const SEEDED_KEY: &str = "seeded.reference_territory";

/// What the first start did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    AlreadyDone,
    Loaded { territory: String, plan: String },
}

/// On an empty database, configures the reference territory (Grenoble-Alpes-Métropole) as the
/// default and stores its plan. Does nothing on later starts.
pub async fn ensure_reference_data(
    store: &dyn Store,
    referential: &Referential,
) -> Result<SeedOutcome> {
    if store.meta(SEEDED_KEY).await?.is_some() {
        return Ok(SeedOutcome::AlreadyDone);
    }
    let plan = default_plan();
    configure_territory_of(store, referential, &plan, true).await?;
    store.save_plan(&plan).await?;
    store
        .set_meta(SEEDED_KEY, &chrono::Utc::now().to_rfc3339())
        .await?;
    Ok(SeedOutcome::Loaded {
        territory: plan.territory.clone(),
        plan: plan.key.to_string(),
    })
}

/// Makes sure the territory a plan names is configured, with its name from the referential.
pub async fn configure_territory_of(
    store: &dyn Store,
    referential: &Referential,
    plan: &Plan,
    is_default: bool,
) -> Result<()> {
    let reference: TerritoryRef =
        plan.territory
            .parse()
            .map_err(
                |e: essor_domain::territory::TerritoryError| crate::StoreError::Corrupt {
                    what: "territoire du plan",
                    detail: e.to_string(),
                },
            )?;
    let territory = reference
        .resolve(referential)
        .map_err(|e| crate::StoreError::UnknownTerritory(e.to_string()))?;
    store
        .save_territory(&NewTerritory {
            reference: reference.to_string(),
            kind: reference.kind().to_owned(),
            code: territory.code.clone(),
            name: territory.name.clone(),
            is_default,
        })
        .await?;
    Ok(())
}
