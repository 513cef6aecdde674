-- The plan's committees at work: their members (a name and a quality, no contact details),
-- their sessions (planned, then held and read-only), who attended, the agenda of dossiers
-- each session decides, with the staff's proposal and the decision recorded, and the minutes.
-- `committee` is the key of a committee of the plan (essor_domain::plan::Committee). Amounts
-- in cents.
CREATE TABLE committee_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee TEXT NOT NULL,
    name TEXT NOT NULL,
    quality TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX committee_members_committee ON committee_members (committee, id);

CREATE TABLE committee_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee TEXT NOT NULL,
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    status TEXT NOT NULL,
    minutes TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    held_at TEXT
);
CREATE INDEX committee_sessions_date ON committee_sessions (held_on, id);

CREATE TABLE committee_attendance (
    session_id INTEGER NOT NULL REFERENCES committee_sessions (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES committee_members (id),
    PRIMARY KEY (session_id, member_id)
);

CREATE TABLE committee_agenda (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES committee_sessions (id) ON DELETE CASCADE,
    dossier_id INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    proposal TEXT NOT NULL DEFAULT '',
    proposed_cents BIGINT,
    outcome TEXT,
    amount_cents BIGINT,
    decision_text TEXT NOT NULL DEFAULT '',
    decided_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    decided_at TEXT,
    UNIQUE (session_id, dossier_id)
);
CREATE INDEX committee_agenda_session ON committee_agenda (session_id, position);
-- A dossier waits on one agenda at a time: once decided (or postponed) there, it may go on
-- another.
CREATE UNIQUE INDEX committee_agenda_pending ON committee_agenda (dossier_id) WHERE outcome IS NULL;
