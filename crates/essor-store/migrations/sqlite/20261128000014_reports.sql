-- The reports an accepted dossier's structure owes (intermediate and final): the due date staff
-- set (NULL: the default, 6 or 12 months after the decision), where the report stands, what the
-- structure wrote (a JSON document of essor_domain::reports::ReportContent, amounts in cents as
-- strings), and staff's review. Then the chargée de mission's evaluation of the project.
CREATE TABLE dossier_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_on TEXT,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    return_reason TEXT,
    submitted_at TEXT,
    reviewed_at TEXT,
    reviewed_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (dossier_id, kind)
);

CREATE TABLE dossier_evaluations (
    dossier_id INTEGER PRIMARY KEY REFERENCES dossiers (id) ON DELETE CASCADE,
    jobs_created BIGINT NOT NULL,
    jobs_consolidated BIGINT NOT NULL,
    outcomes TEXT NOT NULL,
    achievement TEXT NOT NULL,
    themes TEXT NOT NULL,
    evaluated_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    evaluated_at TEXT NOT NULL
);
