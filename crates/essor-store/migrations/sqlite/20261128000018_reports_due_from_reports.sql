-- The reports a payment waits for are the dossier's reports themselves (dossier_reports: their
-- due dates and whether staff accepted them): the separate list of reports due kept beside the
-- payment schedule was a second truth that could disagree with them.
DROP TABLE dossier_reports_due;
