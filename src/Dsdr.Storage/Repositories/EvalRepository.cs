using Dapper;
using Dsdr.Core.Results;

namespace Dsdr.Storage.Repositories;

/// <summary>Evaluation figures and the sweep result-table query that feeds Core's table builder.</summary>
public sealed class EvalRepository(DsdrDatabase database)
{
    /// <summary>Stores evaluation figures; a figure stored again for the same (trial, step, benchmark, metric, k) replaces the old value.</summary>
    public Task<int> UpsertAsync(IEnumerable<EvalRow> evals, CancellationToken cancellationToken = default) =>
        InsertAsync(evals, "DO UPDATE SET value = EXCLUDED.value, created_at = now()", cancellationToken);

    /// <summary>
    /// Stores the figures not stored yet; a figure already stored for the same (trial, step, benchmark, metric, k) keeps its
    /// value, as metrics do, so a step replayed after a resume changes nothing. Returns the number of new rows.
    /// </summary>
    public Task<int> AddAsync(IEnumerable<EvalRow> evals, CancellationToken cancellationToken = default) =>
        InsertAsync(evals, "DO NOTHING", cancellationToken);

    /// <summary>One INSERT of all figures; <paramref name="onConflict"/> says what a figure already stored does.</summary>
    private async Task<int> InsertAsync(IEnumerable<EvalRow> evals, string onConflict, CancellationToken cancellationToken)
    {
        var list = evals.ToList();
        foreach (var e in list)
        {
            DbText.RequireId(e.TrialId, nameof(e.TrialId));
            if (e.K is <= 0) throw new ArgumentException($"Eval {e}: k must be at least 1 (or null for figures without k).", nameof(evals));
        }
        if (list.Count == 0) return 0;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO evals (trial_id, step, benchmark, metric, k, value)
            SELECT * FROM unnest(@trials, @steps, @benchmarks, @metrics, @ks, @values)
            ON CONFLICT (trial_id, step, benchmark, metric, k) {onConflict}
            """,
            new
            {
                trials = list.Select(e => e.TrialId).ToArray(),
                steps = list.Select(e => e.Step).ToArray(),
                benchmarks = list.Select(e => e.Benchmark).ToArray(),
                metrics = list.Select(e => e.Metric).ToArray(),
                ks = list.Select(e => e.K ?? 0).ToArray(),
                values = list.Select(e => e.Value).ToArray(),
            }, cancellationToken: cancellationToken));
    }

    /// <summary>Every (benchmark, metric, k) some trial of the sweep has evaluated, at any step.</summary>
    public async Task<IReadOnlyList<EvalFigureKey>> EvaluatedFiguresAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<EvalFigureKey>(new CommandDefinition("""
            SELECT DISTINCT e.benchmark AS Benchmark, e.metric AS Metric, NULLIF(e.k, 0) AS K
            FROM trials t JOIN evals e ON e.trial_id = t.trial_id
            WHERE t.sweep_id = @sweepId
            ORDER BY 1, 2, 3
            """, new { sweepId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>All figures of one trial, by step.</summary>
    public async Task<IReadOnlyList<EvalRow>> ListByTrialAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<EvalRow>(new CommandDefinition("""
            SELECT trial_id AS TrialId, step AS Step, benchmark AS Benchmark, metric AS Metric, NULLIF(k, 0) AS K, value AS Value
            FROM evals WHERE trial_id = @trialId ORDER BY step, benchmark, metric, k
            """, new { trialId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// The inputs of a sweep's result table: for every trial, all figures at the step chosen by <paramref name="choice"/>
    /// (its final evaluation, its best step on one figure, or one fixed step), labelled with the trial's arm, row and seed.
    /// </summary>
    public async Task<IReadOnlyList<TrialEvalRecord>> ResultTableAsync(string sweepId, EvalStepChoice choice,
        bool completedOnly = false, CancellationToken cancellationToken = default)
    {
        var (chosenSteps, parameters) = choice switch
        {
            // Per trial one index probe on evals' key (trial_id, step, …): the last step, or the best step of one figure.
            EvalStepChoice.FinalStep => ("""
                SELECT t.trial_id, last.step
                FROM trials t
                CROSS JOIN LATERAL (SELECT max(e.step) AS step FROM evals e WHERE e.trial_id = t.trial_id) last
                WHERE t.sweep_id = @sweepId AND (NOT @completedOnly OR t.status = 'completed') AND last.step IS NOT NULL
                """, (object)new { sweepId, completedOnly }),
            EvalStepChoice.BestStep best => ("""
                SELECT t.trial_id, top.step
                FROM trials t
                CROSS JOIN LATERAL (
                    SELECT e.step FROM evals e
                    WHERE e.trial_id = t.trial_id AND e.benchmark = @benchmark AND e.metric = @metric AND e.k = @k
                    ORDER BY e.value DESC, e.step LIMIT 1) top
                WHERE t.sweep_id = @sweepId AND (NOT @completedOnly OR t.status = 'completed')
                """, new { sweepId, completedOnly, benchmark = best.Benchmark, metric = best.Metric, k = best.K ?? 0 }),
            EvalStepChoice.FixedStep at => ("""
                SELECT t.trial_id, @step AS step
                FROM trials t
                WHERE t.sweep_id = @sweepId AND (NOT @completedOnly OR t.status = 'completed')
                """, new { sweepId, completedOnly, step = at.Step }),
            _ => throw new ArgumentException($"Unknown eval step choice {choice}.", nameof(choice)),
        };
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrialEvalRecord>(new CommandDefinition($"""
            WITH chosen AS ({chosenSteps})
            SELECT t.trial_id AS TrialId, t.arm AS Arm, t.row_label AS Row, t.seed AS Seed, e.step AS Step,
                   e.benchmark AS Benchmark, e.metric AS Metric, NULLIF(e.k, 0) AS K, e.value AS Value
            FROM chosen c
            JOIN evals e ON e.trial_id = c.trial_id AND e.step = c.step
            JOIN trials t ON t.trial_id = c.trial_id
            ORDER BY t.arm, t.row_label, t.seed, e.benchmark, e.metric, e.k
            """, parameters, cancellationToken: cancellationToken))).AsList();
    }
}
