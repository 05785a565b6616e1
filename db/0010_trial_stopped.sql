-- A trial the sweep's early-stopping rule ended (issue 16: ASHA, diversity collapse) is 'stopped': terminal, not a
-- failure, its last checkpoint kept and its reason in error. Stored values of the other states are unchanged.

ALTER TABLE trials DROP CONSTRAINT trials_status_check;
ALTER TABLE trials ADD CONSTRAINT trials_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'stopped'));
