-- Actors added by hand may now be proposed by any account: a proposal waits for staff's
-- decision before it is published. The structure the actor belongs to (when there is one) is the
-- one whose members may edit its page. Actors added before this were added by staff: approved.
ALTER TABLE manual_actors ADD COLUMN siren TEXT;
ALTER TABLE manual_actors ADD COLUMN message TEXT NOT NULL DEFAULT '';
ALTER TABLE manual_actors ADD COLUMN status TEXT NOT NULL DEFAULT 'approved';
ALTER TABLE manual_actors ADD COLUMN decided_at TEXT;
ALTER TABLE manual_actors ADD COLUMN decided_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL;
ALTER TABLE manual_actors ADD COLUMN reason TEXT;
UPDATE manual_actors SET decided_at = created_at, decided_by = created_by;
CREATE INDEX manual_actors_status ON manual_actors (status, id);
