-- The day the funding agreement of an accepted dossier was signed (its signed copy uploaded):
-- it starts the three months within which the subsidy is published as open data, and the
-- instalments due at signature.
ALTER TABLE dossiers ADD COLUMN agreement_signed_on TEXT;
