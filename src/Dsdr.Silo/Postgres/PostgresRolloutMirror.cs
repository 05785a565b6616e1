using Dsdr.Contracts;
using Dsdr.Grains.Running;
using Dsdr.Storage.Repositories;
using RolloutGroupRecord = Dsdr.Contracts.RolloutGroupRecord;

namespace Dsdr.Silo.Postgres;

/// <summary>Rollout groups and problem histories copied into PostgreSQL's rollout_groups/problems tables (the web layer's explorer and problems page).</summary>
public sealed class PostgresRolloutMirror(RolloutGroupRepository groups, ProblemRepository problems) : IRolloutMirror
{
    public Task GroupRecordedAsync(RolloutGroupRecord group, CancellationToken cancellationToken = default)
    {
        var row = RolloutGroupRows.ToRow(group);
        return PostgresRetry.RunAsync(ct => groups.UpsertAsync(row, ct), cancellationToken);
    }

    public Task ProblemChangedAsync(ProblemSnapshot problem, CancellationToken cancellationToken = default)
    {
        var row = ProblemRowOf(problem);
        return PostgresRetry.RunAsync(ct => problems.UpsertAsync(row, ct), cancellationToken);
    }

    /// <summary>The problems-table row of a problem key "dataset/problem" and its history.</summary>
    public static ProblemRow ProblemRowOf(ProblemSnapshot problem)
    {
        var (dataset, problemId) = SplitProblemKey(problem.History.ProblemKey);
        var h = problem.History;
        return new ProblemRow(dataset, problemId, problem.Prompt, problem.Gold, h.Attempts, h.Solved, h.DistinctCorrectSolutions,
            problem.LastSeenAt.UtcDateTime);
    }

    /// <summary>"countdown/000123" → ("countdown", "000123"); the dataset is the part before the first '/'.</summary>
    public static (string Dataset, string ProblemId) SplitProblemKey(string problemKey)
    {
        var slash = problemKey.IndexOf('/');
        if (slash <= 0 || slash == problemKey.Length - 1)
            throw new FormatException($"Problem key '{problemKey}' is not of the form 'dataset/problem' (GrainKeys.Problem).");
        return (problemKey[..slash], problemKey[(slash + 1)..]);
    }
}
