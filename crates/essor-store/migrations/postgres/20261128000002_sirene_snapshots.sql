-- Observatory: each SIRENE import is a dated snapshot, visible only once complete (one
-- transaction). Aggregates are kept for every commune of France; establishment rows for the ESS
-- establishments of the configured territories.
CREATE TABLE sirene_snapshots (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    imported_at TIMESTAMPTZ NOT NULL,
    establishments_file TEXT NOT NULL,
    units_file TEXT NOT NULL,
    perimeter TEXT NOT NULL,
    synthetic BOOLEAN NOT NULL,
    report TEXT NOT NULL
);

CREATE TABLE sirene_facts (
    snapshot_id BIGINT NOT NULL REFERENCES sirene_snapshots (id) ON DELETE CASCADE,
    commune TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    active BIGINT NOT NULL,
    employer BIGINT NOT NULL,
    jobs_x2 BIGINT NOT NULL,
    ess_active BIGINT NOT NULL,
    ess_employer BIGINT NOT NULL,
    ess_jobs_x2 BIGINT NOT NULL,
    PRIMARY KEY (snapshot_id, commune, dimension, key)
);

CREATE TABLE ess_establishments (
    snapshot_id BIGINT NOT NULL REFERENCES sirene_snapshots (id) ON DELETE CASCADE,
    siret TEXT NOT NULL,
    siren TEXT NOT NULL,
    commune TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, siret)
);
CREATE INDEX ess_establishments_commune ON ess_establishments (snapshot_id, commune);
CREATE INDEX ess_establishments_siren ON ess_establishments (snapshot_id, siren);
