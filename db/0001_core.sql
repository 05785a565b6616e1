-- Dsdr core schema: sweeps, trials, metrics, evals, rollout groups, problems, learner slots.
-- Ids are text: sweep ids are chosen by the submitter, trial ids are 16-hex hashes of the expanded config.

CREATE TABLE sweeps (
    sweep_id    text        PRIMARY KEY,
    name        text        NOT NULL,
    spec        jsonb       NOT NULL,
    status      text        NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sweeps_by_created ON sweeps (created_at DESC);

CREATE TABLE trials (
    trial_id          text        PRIMARY KEY,
    sweep_id          text        NOT NULL REFERENCES sweeps (sweep_id) ON DELETE CASCADE,
    arm               text        NOT NULL,
    row_label         text        NOT NULL,
    seed              integer     NOT NULL,
    config            jsonb       NOT NULL,
    status            text        NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    attempts          integer     NOT NULL DEFAULT 0,
    slot_id           text        NULL,
    lease_expires_at  timestamptz NULL,
    heartbeat_at      timestamptz NULL,
    last_step         integer     NULL,
    checkpoint_path   text        NULL,
    checkpoint_step   integer     NULL,
    error             text        NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz NULL,
    finished_at       timestamptz NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trials_by_sweep ON trials (sweep_id, arm, row_label, seed);
-- The scheduler's recovery scans (queued trials, running trials whose lease ran out) stay small.
CREATE INDEX trials_active ON trials (status, lease_expires_at) WHERE status IN ('queued', 'running');

-- Step metrics. No foreign key: ingest is the hot path (COPY + ON CONFLICT) and rows are removed with their trial
-- by TrialRepository.DeleteAsync. The primary key makes a retried batch a no-op and serves the series query.
CREATE TABLE metrics (
    trial_id  text             NOT NULL,
    name      text             NOT NULL,
    step      integer          NOT NULL,
    value     double precision NOT NULL,
    PRIMARY KEY (trial_id, name, step)
);

-- Evaluation figures. k = 0 stands for "no k" (Pass@1-style figures); pass@k / Avg@k rows carry k >= 1.
CREATE TABLE evals (
    trial_id   text             NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
    step       integer          NOT NULL,
    benchmark  text             NOT NULL,
    metric     text             NOT NULL,
    k          integer          NOT NULL DEFAULT 0 CHECK (k >= 0),
    value      double precision NOT NULL,
    created_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (trial_id, step, benchmark, metric, k)
);
CREATE INDEX evals_by_selection ON evals (benchmark, metric, k, trial_id);

CREATE TABLE rollout_groups (
    trial_id     text             NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
    step         integer          NOT NULL,
    problem_id   text             NOT NULL,
    group_size   integer          NOT NULL,
    correct      integer          NOT NULL,
    mean_reward  double precision NOT NULL,
    rollouts     jsonb            NOT NULL,
    summary      jsonb            NOT NULL,
    created_at   timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (trial_id, step, problem_id)
);

CREATE TABLE problems (
    dataset           text        NOT NULL,
    problem_id        text        NOT NULL,
    prompt            text        NULL,
    answer            text        NULL,
    attempts          bigint      NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    correct           bigint      NOT NULL DEFAULT 0 CHECK (correct >= 0 AND correct <= attempts),
    distinct_correct  integer     NOT NULL DEFAULT 0 CHECK (distinct_correct >= 0),
    last_seen_at      timestamptz NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset, problem_id)
);
CREATE INDEX problems_by_pass_rate ON problems (dataset, ((correct::double precision) / NULLIF(attempts, 0)));

CREATE TABLE slots (
    slot_id        text        PRIMARY KEY,
    node           text        NOT NULL,
    device         text        NOT NULL,
    kind           text        NOT NULL,
    memory_bytes   bigint      NULL,
    status         text        NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'busy', 'offline')),
    trial_id       text        NULL,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    heartbeat_at   timestamptz NOT NULL DEFAULT now()
);
