-- The audit trail: append-only, each entry chained to the previous one by its hash
-- (essor_domain::audit documents the canonical form). seq follows 1, 2, 3… without gaps.
-- Triggers refuse UPDATE, DELETE and TRUNCATE, so that no statement rewrites the trail
-- silently; a rewrite done after dropping them is still caught by `essor audit verify`.
-- The JSON values are TEXT, not JSONB: the hash covers their exact text.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY CHECK (seq >= 1),
    created_at TIMESTAMPTZ NOT NULL,
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

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal d’audit en ajout seul : % refusé', TG_OP;
END;
$$;

CREATE TRIGGER audit_events_no_rewrite BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
