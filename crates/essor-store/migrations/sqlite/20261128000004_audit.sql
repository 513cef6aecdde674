-- The audit trail: append-only, each entry chained to the previous one by its hash
-- (essor_domain::audit documents the canonical form). seq follows 1, 2, 3… without gaps.
-- Triggers refuse UPDATE and DELETE, so that no statement rewrites the trail silently; a
-- rewrite done after dropping them is still caught by `essor audit verify`.
CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    created_at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT,
    object_id TEXT,
    before_json TEXT,
    after_json TEXT,
    ip TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_action ON audit_events (action, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_object ON audit_events (object_kind, object_id, seq);
CREATE INDEX audit_events_created_at ON audit_events (created_at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'journal d’audit en ajout seul : modification refusée');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'journal d’audit en ajout seul : suppression refusée');
END;
