-- A sweep's status tells the outcome of its trials (issue 18): 'completed-with-failures' when some trials failed and
-- some completed, 'failed' when none completed (already allowed). Stored values of the other states are unchanged.

ALTER TABLE sweeps DROP CONSTRAINT sweeps_status_check;
ALTER TABLE sweeps ADD CONSTRAINT sweeps_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'completed-with-failures', 'failed', 'cancelled'));
