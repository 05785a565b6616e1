-- metric_rollups (db/0005) are no longer summed inside each write: a write records which steps of which series it
-- touched in metric_rollup_pending, and a catch-up (dsdr_metric_rollups_catch_up) recomputes the touched buckets from
-- what metrics holds. Summing inside the write cost as much as the write itself (a 10,000-row COPY touching 400 series
-- upserted some 2,400 summaries), and it summed every batch again into the same open buckets; a catch-up computes each
-- touched bucket once, however many batches touched it. Readers stay exact: MetricRepository catches up the series it
-- is about to read from the rollups (MetricRollups.CatchUpAsync), and every host's MetricRollupMaintainer catches up
-- the rest about once a second, so reads find little to do.
-- Updates, deletes and truncation still rebuild inside their statement (db/0005's triggers), now serialised with
-- catch-ups.

-- Steps [step_lo, step_hi] of one series were written (possibly some of them already stored: a catch-up recomputes
-- from metrics, so an entry that covers more than was written costs time, never exactness).
CREATE TABLE metric_rollup_pending (
    trial_id  text    NOT NULL,
    name      text    NOT NULL,
    step_lo   integer NOT NULL,
    step_hi   integer NOT NULL,
    CHECK (step_lo <= step_hi)
);

-- The one key every rollup rebuild locks (catch-ups, and db/0005's update and delete rebuilds), so no two of them write
-- the same buckets from different snapshots.
CREATE FUNCTION dsdr_metric_rollups_lock() RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('dsdr.metric_rollups', 0))
$$;

-- Announces new metric rows of the trials `listed` (comma-separated) on dsdr_changes with db/0006's payload
-- "metrics||<trial ids>" ("metrics||*" past 7,900 bytes); returns true. A plain expression, so PostgreSQL inlines it
-- and PL/pgSQL evaluates a call of it without running a query.
CREATE FUNCTION dsdr_metrics_announce(listed text) RETURNS boolean LANGUAGE sql AS $$
    SELECT pg_notify('dsdr_changes', CASE WHEN octet_length('metrics||' || listed) > 7900 THEN 'metrics||*' ELSE 'metrics||' || listed END) IS NOT NULL
$$;

-- What MetricCopy records in its transaction for the rows it wrote: the step range of each series (parallel arrays),
-- and the announcement of their trials.
CREATE FUNCTION dsdr_metrics_written(trials text[], names text[], lows integer[], highs integer[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO metric_rollup_pending (trial_id, name, step_lo, step_hi)
    SELECT t, n, lo, hi FROM unnest(trials, names, lows, highs) AS w(t, n, lo, hi);
    SELECT dsdr_metrics_announce(string_agg(t, ',')) FROM (SELECT DISTINCT t FROM unnest(trials) AS w(t)) AS listed
    HAVING count(*) > 0;
$$;

-- The same for any other writer, from its statement's rows. A writer of one row per statement pays this per row, so
-- it is one cached query (and an inlined announcement) when the rows are of one trial.
CREATE FUNCTION dsdr_metrics_inserted_logged() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_trial text;
    last_trial text;
    announced boolean;
BEGIN
    WITH logged AS (
        INSERT INTO metric_rollup_pending (trial_id, name, step_lo, step_hi)
        SELECT trial_id, name, min(step), max(step) FROM changed GROUP BY trial_id, name
        RETURNING trial_id
    )
    SELECT min(trial_id), max(trial_id) INTO first_trial, last_trial FROM logged;
    IF first_trial IS NULL THEN RETURN NULL; END IF; -- nothing was inserted (e.g. ON CONFLICT DO NOTHING found all stored)
    IF first_trial = last_trial THEN
        announced := dsdr_metrics_announce(first_trial);
    ELSE
        SELECT dsdr_metrics_announce(string_agg(trial_id, ',')) INTO announced FROM (SELECT DISTINCT trial_id FROM changed) AS listed;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER metrics_rollup_insert ON metrics;
DROP TRIGGER metrics_notify_insert ON metrics;
DROP FUNCTION dsdr_metrics_inserted();
-- A writer that records its own rows (MetricCopy) says so for its transaction with
-- set_config('dsdr.metric_writes_logged', 'on', true); every other insert is recorded here.
CREATE TRIGGER metrics_log_insert AFTER INSERT ON metrics REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    WHEN (current_setting('dsdr.metric_writes_logged', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION dsdr_metrics_inserted_logged();

-- Ranges [lo, hi] per series (parallel arrays) divided by `unit` (⌊x / unit⌋) and merged where they overlap or touch.
CREATE FUNCTION dsdr_merged_ranges(trials text[], names text[], lows integer[], highs integer[], unit integer)
RETURNS TABLE (trial_id text, name text, lo integer, hi integer) LANGUAGE sql IMMUTABLE AS $$
    WITH scaled AS (
        SELECT t, n, floor(l / unit::float8)::integer AS l, floor(h / unit::float8)::integer AS h
        FROM unnest(trials, names, lows, highs) AS r(t, n, l, h)
    ), marked AS (
        SELECT t, n, l, h,
               l > max(h) OVER (PARTITION BY t, n ORDER BY l, h ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + 1 AS opens
        FROM scaled
    ), numbered AS (
        SELECT t, n, l, h, count(*) FILTER (WHERE opens IS NOT FALSE) OVER (PARTITION BY t, n ORDER BY l, h) AS island
        FROM marked
    )
    SELECT t, n, min(l), max(h) FROM numbered GROUP BY t, n, island
$$;

-- Brings metric_rollups up to date with the pending entries of the given series (parallel arrays; null: every series)
-- and returns how many entries it applied. Each width is rebuilt over the buckets the entries touch: width 8 from
-- metrics, 64 from the 8s, 512 from the 64s; a bucket's minimum keeps its earliest step, its maximum its latest
-- (min/max over (value, step) pairs), as db/0005 does. It sees every write committed before it took the lock.
CREATE FUNCTION dsdr_metric_rollups_catch_up(trials text[] DEFAULT NULL, names text[] DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    applied integer;
    level_width integer;
    r_trials text[];
    r_names text[];
    r_lows integer[];
    r_highs integer[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM metric_rollup_pending p
                   WHERE trials IS NULL OR (p.trial_id, p.name) IN (SELECT * FROM unnest(trials, names))) THEN
        RETURN 0;
    END IF;
    -- metrics first, as TRUNCATE takes it, then the rebuild key: no lock cycle with a truncation or a rebuild
    LOCK TABLE metrics IN ACCESS SHARE MODE;
    PERFORM dsdr_metric_rollups_lock();
    WITH claimed AS (
        DELETE FROM metric_rollup_pending p
        WHERE trials IS NULL OR (p.trial_id, p.name) IN (SELECT * FROM unnest(trials, names))
        RETURNING p.trial_id, p.name, p.step_lo, p.step_hi
    )
    SELECT count(*), array_agg(c.trial_id), array_agg(c.name), array_agg(c.step_lo), array_agg(c.step_hi)
    INTO applied, r_trials, r_names, r_lows, r_highs FROM claimed c;
    IF applied = 0 THEN RETURN 0; END IF; -- another catch-up applied them while this one waited

    FOREACH level_width IN ARRAY ARRAY[8, 64, 512] LOOP
        -- the touched buckets of this width: the ranges below, 8 times coarser
        SELECT array_agg(m.trial_id), array_agg(m.name), array_agg(m.lo), array_agg(m.hi)
        INTO r_trials, r_names, r_lows, r_highs FROM dsdr_merged_ranges(r_trials, r_names, r_lows, r_highs, 8) m;
        DELETE FROM metric_rollups r
        USING unnest(r_trials, r_names, r_lows, r_highs) AS i(trial_id, name, lo, hi)
        WHERE r.trial_id = i.trial_id AND r.name = i.name AND r.width = level_width AND r.bucket BETWEEN i.lo AND i.hi;
        IF level_width = 8 THEN
            INSERT INTO metric_rollups (trial_id, name, width, bucket, n, value_sum, min_value, min_step, max_value, max_step)
            SELECT trial_id, name, 8, bucket, n, value_sum, low[1], low[2]::integer, high[1], high[2]::integer
            FROM (SELECT m.trial_id, m.name, floor(m.step / 8::float8)::integer AS bucket, count(*)::integer AS n,
                         sum(m.value) AS value_sum, min(ARRAY[m.value, m.step]) AS low, max(ARRAY[m.value, m.step]) AS high
                  FROM unnest(r_trials, r_names, r_lows, r_highs) AS i(trial_id, name, lo, hi)
                  JOIN metrics m ON m.trial_id = i.trial_id AND m.name = i.name AND m.step BETWEEN i.lo * 8 AND i.hi * 8 + 7
                  GROUP BY 1, 2, 3) AS fresh;
        ELSE
            INSERT INTO metric_rollups (trial_id, name, width, bucket, n, value_sum, min_value, min_step, max_value, max_step)
            SELECT trial_id, name, level_width, bucket, n, value_sum, low[1], low[2]::integer, high[1], high[2]::integer
            FROM (SELECT c.trial_id, c.name, floor(c.bucket / 8::float8)::integer AS bucket, sum(c.n)::integer AS n,
                         sum(c.value_sum) AS value_sum,
                         min(ARRAY[c.min_value, c.min_step]) AS low, max(ARRAY[c.max_value, c.max_step]) AS high
                  FROM unnest(r_trials, r_names, r_lows, r_highs) AS i(trial_id, name, lo, hi)
                  JOIN metric_rollups c ON c.trial_id = i.trial_id AND c.name = i.name AND c.width = level_width / 8
                   AND c.bucket BETWEEN i.lo * 8 AND i.hi * 8 + 7
                  GROUP BY 1, 2, 3) AS fresh;
        END IF;
    END LOOP;
    RETURN applied;
END $$;

-- db/0005's rebuild after an update or a delete, now under the rebuild key (its body as before).
CREATE OR REPLACE FUNCTION dsdr_metrics_rewritten() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text := CASE TG_OP
        WHEN 'UPDATE' THEN '(SELECT trial_id, name FROM changed UNION SELECT trial_id, name FROM previous)'
        ELSE '(SELECT DISTINCT trial_id, name FROM changed)' END;
BEGIN
    PERFORM dsdr_metric_rollups_lock();
    EXECUTE format('DELETE FROM metric_rollups r USING %s t WHERE r.trial_id = t.trial_id AND r.name = t.name', touched);
    EXECUTE dsdr_metric_rollup_sql(format(
        '(SELECT m.trial_id, m.name, m.step, m.value FROM metrics m JOIN %s t ON m.trial_id = t.trial_id AND m.name = t.name)', touched));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION dsdr_metrics_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE metric_rollups, metric_rollup_pending;
    RETURN NULL;
END $$;
