-- Observatory: each SIRENE import is a dated snapshot, visible only once complete (one
-- transaction). Aggregates are kept for every commune of France; establishment rows for the ESS
-- establishments of the configured territories.
CREATE TABLE sirene_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    imported_at TEXT NOT NULL,
    establishments_file TEXT NOT NULL,
    units_file TEXT NOT NULL,
    perimeter TEXT NOT NULL,
    synthetic BOOLEAN NOT NULL,
    report TEXT NOT NULL
);

CREATE TABLE sirene_facts (
    snapshot_id INTEGER NOT NULL REFERENCES sirene_snapshots (id) ON DELETE CASCADE,
    commune TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key TEXT NOT NULL,
    active INTEGER NOT NULL,
    employer INTEGER NOT NULL,
    jobs_x2 INTEGER NOT NULL,
    ess_active INTEGER NOT NULL,
    ess_employer INTEGER NOT NULL,
    ess_jobs_x2 INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, commune, dimension, key)
) WITHOUT ROWID;

CREATE TABLE ess_establishments (
    snapshot_id INTEGER NOT NULL REFERENCES sirene_snapshots (id) ON DELETE CASCADE,
    siret TEXT NOT NULL,
    siren TEXT NOT NULL,
    commune TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, siret)
);
CREATE INDEX ess_establishments_commune ON ess_establishments (snapshot_id, commune);
CREATE INDEX ess_establishments_siren ON ess_establishments (snapshot_id, siren);
