-- The money and papers of a funding dossier after (and before) its decision: the files attached
-- to it (application pieces, message attachments, the agreement generated and its signed copy),
-- kept in the database with their metadata; the agreement's template; the payment schedule, the
-- reports it expects, and the payments made. Amounts in cents.
CREATE TABLE dossier_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    event_id INTEGER REFERENCES dossier_events (id) ON DELETE SET NULL,
    signed_on TEXT,
    uploaded_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    uploaded_at TEXT NOT NULL,
    withdrawn BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX dossier_documents_dossier ON dossier_documents (dossier_id, id);

CREATE TABLE agreement_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    saved_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    saved_at TEXT NOT NULL
);

CREATE TABLE dossier_instalments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    amount_cents BIGINT NOT NULL,
    condition TEXT NOT NULL,
    due_on TEXT NOT NULL
);
CREATE INDEX dossier_instalments_dossier ON dossier_instalments (dossier_id, position);

CREATE TABLE dossier_reports_due (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    final_report BOOLEAN NOT NULL,
    due_on TEXT NOT NULL,
    received_on TEXT
);
CREATE INDEX dossier_reports_due_dossier ON dossier_reports_due (dossier_id, due_on);

CREATE TABLE dossier_payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    instalment_id INTEGER REFERENCES dossier_instalments (id) ON DELETE SET NULL,
    paid_on TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    recorded_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX dossier_payments_dossier ON dossier_payments (dossier_id, id);
