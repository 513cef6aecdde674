-- Foundation: configured territories, plans and the plan keys other records will reference.
CREATE TABLE app_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE territories (
    reference TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('epci', 'departement', 'communes')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX territories_one_default ON territories (is_default) WHERE is_default;

CREATE TABLE plans (
    key TEXT PRIMARY KEY,
    territory TEXT NOT NULL REFERENCES territories (reference),
    title TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    period_end INTEGER NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX plans_territory ON plans (territory, period_end);

CREATE TABLE plan_orientations (
    plan_key TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (plan_key, key)
);

CREATE TABLE plan_themes (
    plan_key TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (plan_key, key)
);

CREATE TABLE plan_axes (
    plan_key TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    key TEXT NOT NULL,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (plan_key, key)
);

CREATE TABLE plan_budgets (
    plan_key TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (plan_key, year)
);
