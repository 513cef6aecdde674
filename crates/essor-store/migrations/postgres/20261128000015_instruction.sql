-- Instruction beyond the state machine: opinions asked of partners by e-mail (only the hash of
-- the invitation's token is kept; each reminder is recorded so that it goes once), free labels
-- on dossiers, and the dashboard columns each account chose.
CREATE TABLE opinion_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    email TEXT NOT NULL,
    question TEXT NOT NULL,
    deadline DATE NOT NULL,
    confidential BOOLEAN NOT NULL,
    requested_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    verdict TEXT,
    opinion TEXT,
    answered_at TIMESTAMPTZ,
    reminded_soon_at TIMESTAMPTZ,
    reminded_overdue_at TIMESTAMPTZ,
    last_sent_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX opinion_requests_dossier ON opinion_requests (dossier_id, id);

CREATE TABLE dossier_labels (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE dossier_label_links (
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    label_id BIGINT NOT NULL REFERENCES dossier_labels (id) ON DELETE CASCADE,
    PRIMARY KEY (dossier_id, label_id)
);
CREATE INDEX dossier_label_links_label ON dossier_label_links (label_id, dossier_id);

CREATE TABLE dashboard_columns (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    columns TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
