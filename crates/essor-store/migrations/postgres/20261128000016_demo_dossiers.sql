-- The dossiers loaded as demonstration data on first start (essor_store::demo): pages label
-- them, and tests count them. Removing a dossier removes its mark.
CREATE TABLE demo_dossiers (
    dossier_id BIGINT PRIMARY KEY NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE
);
