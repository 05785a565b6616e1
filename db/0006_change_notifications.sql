-- Every committed change the dashboard shows is announced on the channel dsdr_changes (LISTEN/NOTIFY: delivered when
-- the writing transaction commits, never for one that rolls back), whichever process wrote it: this node's silo,
-- another node's, the CLI. Web hosts listen and update their open pages by push (Dsdr.Storage.Notifications).
-- Payload: "<kind>|<sweep ids>|<trial ids>", ids comma-separated, empty when the table has none, "*" when there are
-- too many to list (a NOTIFY payload stops at 8000 bytes). One notification per statement, not per row.
CREATE FUNCTION dsdr_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := TG_ARGV[0];
    sweep_column text := TG_ARGV[1];
    trial_column text := TG_ARGV[2];
    sweeps text := '';
    trials text := '';
    payload text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM changed) THEN RETURN NULL; END IF; -- e.g. an upsert that found everything stored
    IF sweep_column <> '' THEN
        EXECUTE format('SELECT coalesce(string_agg(DISTINCT %I, '',''), '''') FROM changed', sweep_column) INTO sweeps;
    END IF;
    IF trial_column <> '' THEN
        EXECUTE format('SELECT coalesce(string_agg(DISTINCT %I, '',''), '''') FROM changed', trial_column) INTO trials;
    END IF;
    payload := kind || '|' || sweeps || '|' || trials;
    IF octet_length(payload) > 7900 THEN
        payload := kind || '|' || CASE WHEN sweeps = '' THEN '' ELSE '*' END || '|' || CASE WHEN trials = '' THEN '' ELSE '*' END;
    END IF;
    PERFORM pg_notify('dsdr_changes', payload);
    RETURN NULL;
END $$;

-- A transition table names one event, so each table gets one trigger per event it announces.
CREATE TRIGGER sweeps_notify_insert AFTER INSERT ON sweeps REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('sweeps', 'sweep_id', '');
CREATE TRIGGER sweeps_notify_update AFTER UPDATE ON sweeps REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('sweeps', 'sweep_id', '');
CREATE TRIGGER sweeps_notify_delete AFTER DELETE ON sweeps REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('sweeps', 'sweep_id', '');

CREATE TRIGGER trials_notify_insert AFTER INSERT ON trials REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('trials', 'sweep_id', 'trial_id');
CREATE TRIGGER trials_notify_update AFTER UPDATE ON trials REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('trials', 'sweep_id', 'trial_id');
CREATE TRIGGER trials_notify_delete AFTER DELETE ON trials REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('trials', 'sweep_id', 'trial_id');

CREATE TRIGGER trial_attempts_notify_insert AFTER INSERT ON trial_attempts REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('trials', '', 'trial_id');
CREATE TRIGGER trial_attempts_notify_update AFTER UPDATE ON trial_attempts REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('trials', '', 'trial_id');

CREATE TRIGGER metrics_notify_insert AFTER INSERT ON metrics REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('metrics', '', 'trial_id');

CREATE TRIGGER evals_notify_insert AFTER INSERT ON evals REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('evals', '', 'trial_id');
CREATE TRIGGER evals_notify_update AFTER UPDATE ON evals REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('evals', '', 'trial_id');
CREATE TRIGGER eval_problems_notify_insert AFTER INSERT ON eval_problems REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('evals', '', 'trial_id');

CREATE TRIGGER rollout_groups_notify_insert AFTER INSERT ON rollout_groups REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('rollouts', '', 'trial_id');
CREATE TRIGGER rollout_groups_notify_update AFTER UPDATE ON rollout_groups REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('rollouts', '', 'trial_id');

CREATE TRIGGER problems_notify_insert AFTER INSERT ON problems REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('problems', '', '');
CREATE TRIGGER problems_notify_update AFTER UPDATE ON problems REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('problems', '', '');

CREATE TRIGGER slots_notify_insert AFTER INSERT ON slots REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('pool', '', '');
CREATE TRIGGER slots_notify_update AFTER UPDATE ON slots REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('pool', '', '');
CREATE TRIGGER slots_notify_delete AFTER DELETE ON slots REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION dsdr_notify_change('pool', '', '');
