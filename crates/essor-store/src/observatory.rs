//! The panorama of a territory from a stored snapshot: the facts of its communes, summed.

use essor_domain::panorama::Panorama;
use essor_domain::territory::Territory;

use crate::{Result, SnapshotSummary, Store};

/// The panorama of `territory` in `snapshot` (`DATA.md` §2).
pub async fn panorama(
    store: &dyn Store,
    territory: &Territory,
    snapshot: &SnapshotSummary,
) -> Result<Panorama> {
    let codes = territory.commune_codes_with_arrondissements();
    let facts = store.snapshot_facts(snapshot.id, &codes).await?;
    Ok(Panorama::compute(territory, snapshot.source(), &facts))
}
