using Dapper;
using Dsdr.Core.Results;
using Npgsql;
using NpgsqlTypes;

namespace Dsdr.Storage.Repositories;

/// <summary>
/// Per-problem evaluation outcomes (db/0003_eval_problems.sql): the rows each figure in evals is the mean of. Written in
/// bulk (binary COPY into a staging table, then one INSERT … ON CONFLICT DO NOTHING), so one evaluation is one round
/// trip and a replayed evaluation changes nothing.
/// </summary>
public sealed class EvalProblemRepository(DsdrDatabase database)
{
    private const string Columns = """
        (trial_id, step, benchmark, problem_id, pass1_correct, avg_samples, avg_correct, passk_samples, passk_correct,
         distinct_correct, existing_solutions, semantic_similarity, formula_similarity, diversity_samples, diversity_correct,
         diversity_distinct, diversity_semantic_similarity, diversity_formula_similarity)
        """;

    /// <summary>Stores the outcomes of one evaluation not stored yet (the first stays); returns how many rows were new.</summary>
    public async Task<int> AddAsync(string trialId, int step, IReadOnlyList<ProblemEvalOutcome> problems, CancellationToken cancellationToken = default)
    {
        DbText.RequireId(trialId, nameof(trialId));
        ArgumentNullException.ThrowIfNull(problems);
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, $"Trial {trialId}: an evaluation step cannot be negative.");
        foreach (var p in problems)
            if (p.Problem() is { } problem) throw new ArgumentException($"Trial {trialId}, step {step}, problem {p.Benchmark}/{p.ProblemId}: {problem}.", nameof(problems));
        if (problems.Count == 0) return 0;

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand($"CREATE TEMP TABLE IF NOT EXISTS eval_problems_staging (LIKE eval_problems INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                         connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY eval_problems_staging {Columns} FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var p in problems)
            {
                importer.StartRow();
                importer.Write(trialId, NpgsqlDbType.Text);
                importer.Write(step, NpgsqlDbType.Integer);
                importer.Write(p.Benchmark, NpgsqlDbType.Text);
                importer.Write(p.ProblemId, NpgsqlDbType.Text);
                importer.Write(p.Pass1Correct, NpgsqlDbType.Boolean);
                importer.Write(p.AvgSamples, NpgsqlDbType.Integer);
                importer.Write(p.AvgCorrect, NpgsqlDbType.Integer);
                importer.Write(p.PassKSamples, NpgsqlDbType.Integer);
                importer.Write(p.PassKCorrect, NpgsqlDbType.Integer);
                importer.Write(p.DistinctCorrect, NpgsqlDbType.Integer);
                WriteNullable(importer, p.ExistingSolutions, NpgsqlDbType.Integer);
                WriteNullable(importer, p.SemanticSimilarity, NpgsqlDbType.Double);
                WriteNullable(importer, p.FormulaSimilarity, NpgsqlDbType.Double);
                importer.Write(p.DiversitySamples, NpgsqlDbType.Integer);
                importer.Write(p.DiversityCorrect, NpgsqlDbType.Integer);
                importer.Write(p.DiversityDistinct, NpgsqlDbType.Integer);
                WriteNullable(importer, p.DiversitySemanticSimilarity, NpgsqlDbType.Double);
                WriteNullable(importer, p.DiversityFormulaSimilarity, NpgsqlDbType.Double);
            }
            await importer.CompleteAsync(cancellationToken);
        }
        await using var merge = new NpgsqlCommand($"""
            INSERT INTO eval_problems {Columns}
            SELECT {Columns.Trim()[1..^1]} FROM eval_problems_staging ORDER BY benchmark, problem_id
            ON CONFLICT (trial_id, step, benchmark, problem_id) DO NOTHING
            """, connection, transaction);
        var inserted = await merge.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>The outcomes of the given evaluations (trial, step), ordered by trial, step, benchmark and problem.</summary>
    public async Task<IReadOnlyList<TrialProblemRecord>> ListAsync(IReadOnlyCollection<(string TrialId, int Step)> evaluations,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluations);
        if (evaluations.Count == 0) return [];
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT {Select}
            FROM unnest(@trials, @steps) AS wanted (trial_id, step)
            JOIN eval_problems p ON p.trial_id = wanted.trial_id AND p.step = wanted.step
            ORDER BY p.trial_id, p.step, p.benchmark, p.problem_id
            """, new { trials = evaluations.Select(e => e.TrialId).ToArray(), steps = evaluations.Select(e => e.Step).ToArray() },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    /// <summary>Every outcome of one trial, by step, benchmark and problem.</summary>
    public async Task<IReadOnlyList<TrialProblemRecord>> ListByTrialAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT {Select} FROM eval_problems p WHERE p.trial_id = @trialId ORDER BY p.step, p.benchmark, p.problem_id
            """, new { trialId }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    /// <summary>
    /// The coverage ledger's input: every problem outcome of each trial of the sweep at the trial's last evaluated step (per
    /// benchmark), with the trial's row and seed; solved as <see cref="CoverageOutcome.AnyCorrect"/> defines it.
    /// </summary>
    public async Task<IReadOnlyList<CoverageOutcome>> FinalCoverageAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<CoverageRow>(new CommandDefinition("""
            SELECT t.row_label AS Row, t.seed AS Seed, p.trial_id AS TrialId, p.step AS Step, p.benchmark AS Benchmark, p.problem_id AS ProblemId,
                   (p.pass1_correct OR p.avg_correct > 0 OR p.passk_correct > 0) AS Solved, p.distinct_correct AS DistinctCorrect
            FROM trials t
            JOIN (SELECT trial_id, benchmark, max(step) AS step FROM eval_problems GROUP BY trial_id, benchmark) last
              ON last.trial_id = t.trial_id
            JOIN eval_problems p ON p.trial_id = last.trial_id AND p.benchmark = last.benchmark AND p.step = last.step
            WHERE t.sweep_id = @sweepId
            ORDER BY COALESCE((t.config->>'index')::int, 0), t.row_label, t.seed, p.trial_id, p.benchmark, p.problem_id
            """, new { sweepId }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CoverageOutcome(r.Row, r.Seed, r.TrialId, r.Step, r.Benchmark, r.ProblemId, r.Solved, r.DistinctCorrect))];
    }

    private sealed record CoverageRow(string Row, int Seed, string TrialId, int Step, string Benchmark, string ProblemId, bool Solved, int DistinctCorrect);

    private const string Select = """
        p.trial_id AS TrialId, p.step AS Step, p.benchmark AS Benchmark, p.problem_id AS ProblemId, p.pass1_correct AS Pass1Correct,
        p.avg_samples AS AvgSamples, p.avg_correct AS AvgCorrect, p.passk_samples AS PassKSamples, p.passk_correct AS PassKCorrect,
        p.distinct_correct AS DistinctCorrect, p.existing_solutions AS ExistingSolutions, p.semantic_similarity AS SemanticSimilarity,
        p.formula_similarity AS FormulaSimilarity, p.diversity_samples AS DiversitySamples, p.diversity_correct AS DiversityCorrect,
        p.diversity_distinct AS DiversityDistinct, p.diversity_semantic_similarity AS DiversitySemanticSimilarity,
        p.diversity_formula_similarity AS DiversityFormulaSimilarity
        """;

    private static void WriteNullable<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type) where T : struct
    {
        if (value is { } v) importer.Write(v, type);
        else importer.WriteNull();
    }

    private sealed record Row(
        string TrialId, int Step, string Benchmark, string ProblemId, bool Pass1Correct, int AvgSamples, int AvgCorrect, int PassKSamples,
        int PassKCorrect, int DistinctCorrect, int? ExistingSolutions, double? SemanticSimilarity, double? FormulaSimilarity,
        int DiversitySamples, int DiversityCorrect, int DiversityDistinct, double? DiversitySemanticSimilarity, double? DiversityFormulaSimilarity)
    {
        public TrialProblemRecord ToRecord() => new(TrialId, Step, new ProblemEvalOutcome(Benchmark, ProblemId, Pass1Correct, AvgSamples, AvgCorrect,
            PassKSamples, PassKCorrect, DistinctCorrect, ExistingSolutions, SemanticSimilarity, FormulaSimilarity, DiversitySamples, DiversityCorrect,
            DiversityDistinct, DiversitySemanticSimilarity, DiversityFormulaSimilarity));
    }
}
