-- The money and papers of a funding dossier after (and before) its decision: the files attached
-- to it (application pieces, message attachments, the agreement generated and its signed copy),
-- kept in the database with their metadata; the agreement's template; the payment schedule, the
-- reports it expects, and the payments made. Amounts in cents.
CREATE TABLE dossier_documents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    event_id BIGINT REFERENCES dossier_events (id) ON DELETE SET NULL,
    signed_on DATE,
    uploaded_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    uploaded_at TIMESTAMPTZ NOT NULL,
    withdrawn BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX dossier_documents_dossier ON dossier_documents (dossier_id, id);

CREATE TABLE agreement_templates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body TEXT NOT NULL,
    saved_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    saved_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE dossier_instalments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    amount_cents BIGINT NOT NULL,
    condition TEXT NOT NULL,
    due_on DATE NOT NULL
);
CREATE INDEX dossier_instalments_dossier ON dossier_instalments (dossier_id, position);

CREATE TABLE dossier_reports_due (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    final_report BOOLEAN NOT NULL,
    due_on DATE NOT NULL,
    received_on DATE
);
CREATE INDEX dossier_reports_due_dossier ON dossier_reports_due (dossier_id, due_on);

CREATE TABLE dossier_payments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    instalment_id BIGINT REFERENCES dossier_instalments (id) ON DELETE SET NULL,
    paid_on DATE NOT NULL,
    amount_cents BIGINT NOT NULL,
    recorded_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dossier_payments_dossier ON dossier_payments (dossier_id, id);
