-- The instruction checks a chargée de mission has made on a dossier (keys of
-- essor_domain::dossier::INSTRUCTION_CHECKS, as a JSON array): all are needed before the
-- committee.
ALTER TABLE dossiers ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';
