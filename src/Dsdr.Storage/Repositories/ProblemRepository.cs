using Dapper;

namespace Dsdr.Storage.Repositories;

/// <summary>Per-problem history across trials (the problems page; written by the Problem grain).</summary>
public sealed class ProblemRepository(DsdrDatabase database)
{
    private const string Columns = """
        dataset AS Dataset, problem_id AS ProblemId, prompt AS Prompt, answer AS Answer, attempts AS Attempts, correct AS Correct,
        distinct_correct AS DistinctCorrect, last_seen_at AS LastSeenAt
        """;

    /// <summary>Stores a problem's statistics as given (the Problem grain owns the counts); prompt/answer kept when null.</summary>
    public async Task UpsertAsync(ProblemRow problem, CancellationToken cancellationToken = default)
    {
        DbText.RequireId(problem.Dataset, nameof(problem.Dataset));
        DbText.RequireId(problem.ProblemId, nameof(problem.ProblemId));
        if (problem.Correct > problem.Attempts)
            throw new ArgumentException($"Problem {problem.Dataset}/{problem.ProblemId}: correct ({problem.Correct}) exceeds attempts ({problem.Attempts}).", nameof(problem));
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO problems (dataset, problem_id, prompt, answer, attempts, correct, distinct_correct, last_seen_at)
            VALUES (@Dataset, @ProblemId, @Prompt, @Answer, @Attempts, @Correct, @DistinctCorrect, @LastSeenAt)
            ON CONFLICT (dataset, problem_id) DO UPDATE SET
                prompt = coalesce(EXCLUDED.prompt, problems.prompt), answer = coalesce(EXCLUDED.answer, problems.answer),
                attempts = EXCLUDED.attempts, correct = EXCLUDED.correct, distinct_correct = EXCLUDED.distinct_correct,
                last_seen_at = EXCLUDED.last_seen_at, updated_at = now()
            """, problem, cancellationToken: cancellationToken));
    }

    /// <summary>Adds one group's outcome to a problem's counts (creating the problem row when new).</summary>
    public async Task RecordAttemptsAsync(string dataset, string problemId, int attempts, int correct, CancellationToken cancellationToken = default)
    {
        if (attempts < 0 || correct < 0 || correct > attempts)
            throw new ArgumentException($"Problem {dataset}/{problemId}: need 0 <= correct ({correct}) <= attempts ({attempts}).");
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO problems (dataset, problem_id, attempts, correct, last_seen_at) VALUES (@dataset, @problemId, @attempts, @correct, now())
            ON CONFLICT (dataset, problem_id) DO UPDATE SET
                attempts = problems.attempts + EXCLUDED.attempts, correct = problems.correct + EXCLUDED.correct,
                last_seen_at = now(), updated_at = now()
            """, new { dataset, problemId, attempts = (long)attempts, correct = (long)correct }, cancellationToken: cancellationToken));
    }

    public async Task<ProblemRow?> GetAsync(string dataset, string problemId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ProblemRow>(new CommandDefinition(
            $"SELECT {Columns} FROM problems WHERE dataset = @dataset AND problem_id = @problemId", new { dataset, problemId },
            cancellationToken: cancellationToken));
    }

    /// <summary>A dataset's problems, hardest (lowest pass rate) first; never-attempted problems last.</summary>
    public async Task<IReadOnlyList<ProblemRow>> ListAsync(string dataset, int limit = 100, int offset = 0, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ProblemRow>(new CommandDefinition($"""
            SELECT {Columns} FROM problems WHERE dataset = @dataset
            ORDER BY (correct::double precision) / NULLIF(attempts, 0) NULLS LAST, problem_id LIMIT @limit OFFSET @offset
            """, new { dataset, limit, offset }, cancellationToken: cancellationToken))).AsList();
    }
}
