-- Funding dossiers: a structure's application (a JSON document of essor_domain::dossier::
-- Application), where it stands in its life, and its thread: every transition, message and
-- private note, in order. Amounts in cents.
CREATE TABLE dossiers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    siret TEXT NOT NULL,
    siren TEXT NOT NULL,
    year INTEGER NOT NULL,
    state TEXT NOT NULL,
    application TEXT NOT NULL,
    asked_cents BIGINT NOT NULL,
    granted_cents BIGINT,
    assigned_to INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    decided_at TEXT
);
CREATE INDEX dossiers_siren ON dossiers (siren, id);
CREATE INDEX dossiers_state ON dossiers (state, id);
CREATE INDEX dossiers_year ON dossiers (year, state);

CREATE TABLE dossier_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    body TEXT NOT NULL,
    author_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    shared BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dossier_events_dossier ON dossier_events (dossier_id, id);
