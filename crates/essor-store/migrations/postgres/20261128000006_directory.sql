-- Directory: what structures add to their actors' pages (profiles, with every revision kept),
-- claims of actors by accounts, and the images of profiles. SIRENE facts stay in
-- ess_establishments; a profile outlives imports.
CREATE TABLE actor_profile_revisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    siret TEXT NOT NULL,
    siren TEXT NOT NULL,
    profile TEXT NOT NULL,
    author_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    by_staff BOOLEAN NOT NULL,
    restores_id BIGINT REFERENCES actor_profile_revisions (id),
    created_at TIMESTAMPTZ NOT NULL,
    reviewed_at TIMESTAMPTZ,
    reviewed_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX actor_profile_revisions_siret ON actor_profile_revisions (siret, id);
CREATE INDEX actor_profile_revisions_review ON actor_profile_revisions (reviewed_at);

CREATE TABLE actor_profiles (
    siret TEXT PRIMARY KEY,
    siren TEXT NOT NULL,
    profile TEXT NOT NULL,
    revision_id BIGINT NOT NULL REFERENCES actor_profile_revisions (id),
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX actor_profiles_siren ON actor_profiles (siren);

CREATE TABLE actor_claims (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    siret TEXT NOT NULL,
    siren TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    reason TEXT
);
CREATE INDEX actor_claims_status ON actor_claims (status, id);
CREATE INDEX actor_claims_account ON actor_claims (account_id);

CREATE TABLE actor_media (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    siret TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX actor_media_siret ON actor_media (siret);
