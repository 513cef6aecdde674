-- Actors staff add by hand to the directory: structures of the ESS that the SIRENE import does
-- not keep (no SIRET yet, or a category outside the perimeter). Their pages are keyed `m<id>`.
CREATE TABLE manual_actors (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    siret TEXT,
    family TEXT NOT NULL,
    commune TEXT NOT NULL,
    address TEXT,
    postcode TEXT,
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX manual_actors_commune ON manual_actors (commune);
