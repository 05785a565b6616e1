-- Every attempt of a trial as the trial grain recorded it (issue 19): where it ran, from which step, how and why it
-- ended. A failed attempt keeps its reason (the error's first line and where in Dsdr's code) after a later one succeeds.

CREATE TABLE trial_attempts (
    trial_id           text        NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
    attempt            integer     NOT NULL CHECK (attempt >= 1),
    slot_id            text        NOT NULL,
    resumed_from_step  integer     NOT NULL DEFAULT 0,
    started_at         timestamptz NOT NULL,
    ended_at           timestamptz NULL,
    outcome            text        NULL CHECK (outcome IN ('completed', 'failed', 'cancelled', 'interrupted')),
    reason             text        NULL,
    PRIMARY KEY (trial_id, attempt)
);
