-- Instruction beyond the state machine: opinions asked of partners by e-mail (only the hash of
-- the invitation's token is kept; each reminder is recorded so that it goes once), free labels
-- on dossiers, and the dashboard columns each account chose.
CREATE TABLE opinion_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    email TEXT NOT NULL,
    question TEXT NOT NULL,
    deadline TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    requested_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    requested_at TEXT NOT NULL,
    verdict TEXT,
    opinion TEXT,
    answered_at TEXT,
    reminded_soon_at TEXT,
    reminded_overdue_at TEXT,
    last_sent_at TEXT NOT NULL
);
CREATE INDEX opinion_requests_dossier ON opinion_requests (dossier_id, id);

CREATE TABLE dossier_labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE dossier_label_links (
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    label_id INTEGER NOT NULL REFERENCES dossier_labels (id) ON DELETE CASCADE,
    PRIMARY KEY (dossier_id, label_id)
);
CREATE INDEX dossier_label_links_label ON dossier_label_links (label_id, dossier_id);

CREATE TABLE dashboard_columns (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    columns TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
