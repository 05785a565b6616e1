using Dapper;

namespace Dsdr.Storage.Repositories;

/// <summary>
/// Everything a sweep recorded, as flat rows for export: its trials, every step metric, every evaluation figure and every
/// per-problem evaluation outcome, each row carrying its trial's arm, row and seed so a file stands on its own. Ordered
/// so two exports of the same data are byte-identical.
/// </summary>
public sealed class SweepExportRepository(DsdrDatabase database)
{
    private const string TrialKeys = "t.trial_id AS TrialId, t.arm AS Arm, t.row_label AS Row, t.seed AS Seed";

    public async Task<IReadOnlyList<ExportTrial>> TrialsAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ExportTrial>(new CommandDefinition($"""
            SELECT {TrialKeys}, t.status AS Status, t.attempts AS Attempts, t.last_step AS LastStep,
                   COALESCE((t.config->'config'->>'totalSteps')::int, (t.config->'simulation'->>'steps')::int) AS TotalSteps,
                   t.checkpoint_step AS CheckpointStep, t.checkpoint_path AS CheckpointPath, t.error AS Error,
                   t.created_at AS CreatedAt, t.started_at AS StartedAt, t.finished_at AS FinishedAt, t.config::text AS Config
            FROM trials t WHERE t.sweep_id = @sweepId ORDER BY t.arm, t.row_label, t.seed, t.trial_id
            """, new { sweepId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<ExportMetric>> MetricsAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ExportMetric>(new CommandDefinition($"""
            SELECT {TrialKeys}, m.name AS Name, m.step AS Step, m.value AS Value
            FROM trials t JOIN metrics m ON m.trial_id = t.trial_id
            WHERE t.sweep_id = @sweepId ORDER BY t.arm, t.row_label, t.seed, t.trial_id, m.name, m.step
            """, new { sweepId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>k is null for figures without one (stored as 0: Pass@1-style).</summary>
    public async Task<IReadOnlyList<ExportEval>> EvalsAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ExportEval>(new CommandDefinition($"""
            SELECT {TrialKeys}, e.step AS Step, e.benchmark AS Benchmark, e.metric AS Metric, NULLIF(e.k, 0) AS K, e.value AS Value
            FROM trials t JOIN evals e ON e.trial_id = t.trial_id
            WHERE t.sweep_id = @sweepId ORDER BY t.arm, t.row_label, t.seed, t.trial_id, e.step, e.benchmark, e.metric, e.k
            """, new { sweepId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<ExportEvalProblem>> EvalProblemsAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ExportEvalProblem>(new CommandDefinition($"""
            SELECT {TrialKeys}, p.step AS Step, p.benchmark AS Benchmark, p.problem_id AS ProblemId, p.pass1_correct AS Pass1Correct,
                   p.avg_samples AS AvgSamples, p.avg_correct AS AvgCorrect, p.passk_samples AS PassKSamples, p.passk_correct AS PassKCorrect,
                   p.distinct_correct AS DistinctCorrect, p.existing_solutions AS ExistingSolutions,
                   p.semantic_similarity AS SemanticSimilarity, p.formula_similarity AS FormulaSimilarity,
                   p.diversity_samples AS DiversitySamples, p.diversity_correct AS DiversityCorrect, p.diversity_distinct AS DiversityDistinct,
                   p.diversity_semantic_similarity AS DiversitySemanticSimilarity, p.diversity_formula_similarity AS DiversityFormulaSimilarity
            FROM trials t JOIN eval_problems p ON p.trial_id = t.trial_id
            WHERE t.sweep_id = @sweepId ORDER BY t.arm, t.row_label, t.seed, t.trial_id, p.step, p.benchmark, p.problem_id
            """, new { sweepId }, cancellationToken: cancellationToken))).AsList();
    }
}

public sealed record ExportTrial(
    string TrialId, string Arm, string Row, int Seed, string Status, int Attempts, int? LastStep, int? TotalSteps, int? CheckpointStep,
    string? CheckpointPath, string? Error, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, string Config);

public sealed record ExportMetric(string TrialId, string Arm, string Row, int Seed, string Name, int Step, double Value);

public sealed record ExportEval(string TrialId, string Arm, string Row, int Seed, int Step, string Benchmark, string Metric, int? K, double Value);

public sealed record ExportEvalProblem(
    string TrialId, string Arm, string Row, int Seed, int Step, string Benchmark, string ProblemId, bool Pass1Correct,
    int AvgSamples, int AvgCorrect, int PassKSamples, int PassKCorrect, int DistinctCorrect, int? ExistingSolutions,
    double? SemanticSimilarity, double? FormulaSimilarity, int DiversitySamples, int DiversityCorrect, int DiversityDistinct,
    double? DiversitySemanticSimilarity, double? DiversityFormulaSimilarity);
