-- Summaries of the metrics table over fixed step buckets 8, 64 and 512 steps wide, kept by triggers on every write
-- (whoever writes: the ingestor's COPY, its duplicate-safe merge, a test), so a chart of a long curve reads a few
-- hundred summaries per series instead of every step. MetricRepository picks the width for the window a chart shows;
-- a window narrow enough to show every point reads metrics itself, exact.
CREATE TABLE metric_rollups (
    trial_id   text             NOT NULL,
    name       text             NOT NULL,
    width      integer          NOT NULL CHECK (width IN (8, 64, 512)),
    bucket     integer          NOT NULL,  -- the steps [bucket · width, (bucket + 1) · width)
    n          integer          NOT NULL CHECK (n >= 1),
    value_sum  double precision NOT NULL,
    min_value  double precision NOT NULL,
    min_step   integer          NOT NULL,  -- where min_value is (the earliest such step)
    max_value  double precision NOT NULL,
    max_step   integer          NOT NULL,  -- where max_value is (the latest such step)
    PRIMARY KEY (trial_id, name, width, bucket)
);

-- The statement that adds the rows of `source` (a relation with trial_id, name, step, value) to the summaries: width 8
-- from the rows, 64 from the 8s, 512 from the 64s, merged into stored buckets. Returned as text so that a trigger runs it
-- itself: only the trigger's own statements see its transition table.
CREATE FUNCTION dsdr_metric_rollup_sql(source text) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($sql$
    WITH w8 AS (
        SELECT trial_id, name, floor(step / 8::float8)::integer AS bucket, count(*)::integer AS n, sum(value) AS value_sum,
               min(value) AS min_value, (array_agg(step ORDER BY value, step))[1] AS min_step,
               max(value) AS max_value, (array_agg(step ORDER BY value DESC, step DESC))[1] AS max_step
        FROM %1$s AS source GROUP BY 1, 2, 3
    ), w64 AS (
        SELECT trial_id, name, floor(bucket / 8::float8)::integer AS bucket, sum(n)::integer AS n, sum(value_sum) AS value_sum,
               min(min_value) AS min_value, (array_agg(min_step ORDER BY min_value, min_step))[1] AS min_step,
               max(max_value) AS max_value, (array_agg(max_step ORDER BY max_value DESC, max_step DESC))[1] AS max_step
        FROM w8 GROUP BY 1, 2, 3
    ), w512 AS (
        SELECT trial_id, name, floor(bucket / 8::float8)::integer AS bucket, sum(n)::integer AS n, sum(value_sum) AS value_sum,
               min(min_value) AS min_value, (array_agg(min_step ORDER BY min_value, min_step))[1] AS min_step,
               max(max_value) AS max_value, (array_agg(max_step ORDER BY max_value DESC, max_step DESC))[1] AS max_step
        FROM w64 GROUP BY 1, 2, 3
    )
    INSERT INTO metric_rollups AS r (trial_id, name, width, bucket, n, value_sum, min_value, min_step, max_value, max_step)
    SELECT trial_id, name, 8, bucket, n, value_sum, min_value, min_step, max_value, max_step FROM w8
    UNION ALL SELECT trial_id, name, 64, bucket, n, value_sum, min_value, min_step, max_value, max_step FROM w64
    UNION ALL SELECT trial_id, name, 512, bucket, n, value_sum, min_value, min_step, max_value, max_step FROM w512
    ON CONFLICT (trial_id, name, width, bucket) DO UPDATE SET
        n = r.n + EXCLUDED.n,
        value_sum = r.value_sum + EXCLUDED.value_sum,
        min_value = least(r.min_value, EXCLUDED.min_value),
        min_step = CASE WHEN (EXCLUDED.min_value, EXCLUDED.min_step) < (r.min_value, r.min_step) THEN EXCLUDED.min_step ELSE r.min_step END,
        max_value = greatest(r.max_value, EXCLUDED.max_value),
        max_step = CASE WHEN (EXCLUDED.max_value, EXCLUDED.max_step) > (r.max_value, r.max_step) THEN EXCLUDED.max_step ELSE r.max_step END
    $sql$, source)
$fn$;

-- New rows (COPY and INSERT … ON CONFLICT DO NOTHING alike: the transition table holds only the rows really inserted).
CREATE FUNCTION dsdr_metrics_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE dsdr_metric_rollup_sql('changed');
    RETURN NULL;
END $$;

-- Deleted or changed rows: the summaries of every (trial, metric) they touched are rebuilt from what metrics holds now.
CREATE FUNCTION dsdr_metrics_rewritten() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text := CASE TG_OP
        WHEN 'UPDATE' THEN '(SELECT trial_id, name FROM changed UNION SELECT trial_id, name FROM previous)'
        ELSE '(SELECT DISTINCT trial_id, name FROM changed)' END;
BEGIN
    EXECUTE format('DELETE FROM metric_rollups r USING %s t WHERE r.trial_id = t.trial_id AND r.name = t.name', touched);
    EXECUTE dsdr_metric_rollup_sql(format(
        '(SELECT m.trial_id, m.name, m.step, m.value FROM metrics m JOIN %s t ON m.trial_id = t.trial_id AND m.name = t.name)', touched));
    RETURN NULL;
END $$;

CREATE FUNCTION dsdr_metrics_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE metric_rollups;
    RETURN NULL;
END $$;

CREATE TRIGGER metrics_rollup_insert AFTER INSERT ON metrics
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION dsdr_metrics_inserted();
CREATE TRIGGER metrics_rollup_delete AFTER DELETE ON metrics
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION dsdr_metrics_rewritten();
CREATE TRIGGER metrics_rollup_update AFTER UPDATE ON metrics
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION dsdr_metrics_rewritten();
CREATE TRIGGER metrics_rollup_truncate AFTER TRUNCATE ON metrics
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_metrics_truncated();

-- Summaries of the rows stored before this migration.
DO $$ BEGIN EXECUTE dsdr_metric_rollup_sql('metrics'); END $$;
