using Dapper;

namespace Dsdr.Storage.Repositories;

/// <summary>Stored rollout groups (the dashboard's rollout explorer).</summary>
public sealed class RolloutGroupRepository(DsdrDatabase database)
{
    /// <summary>Stores a group's record; storing the same (trial, step, problem) again replaces it.</summary>
    public async Task UpsertAsync(RolloutGroupRecord group, CancellationToken cancellationToken = default)
    {
        DbText.RequireId(group.TrialId, nameof(group.TrialId));
        DbText.RequireId(group.ProblemId, nameof(group.ProblemId));
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO rollout_groups (trial_id, step, problem_id, group_size, correct, mean_reward, rollouts, summary)
            VALUES (@TrialId, @Step, @ProblemId, @GroupSize, @Correct, @MeanReward, CAST(@RolloutsJson AS jsonb), CAST(@SummaryJson AS jsonb))
            ON CONFLICT (trial_id, step, problem_id) DO UPDATE SET
                group_size = EXCLUDED.group_size, correct = EXCLUDED.correct, mean_reward = EXCLUDED.mean_reward,
                rollouts = EXCLUDED.rollouts, summary = EXCLUDED.summary, created_at = now()
            """, group, cancellationToken: cancellationToken));
    }

    public async Task<RolloutGroupRecord?> GetAsync(string trialId, int step, string problemId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RolloutGroupRecord>(new CommandDefinition("""
            SELECT trial_id AS TrialId, step AS Step, problem_id AS ProblemId, group_size AS GroupSize, correct AS Correct,
                   mean_reward AS MeanReward, rollouts::text AS RolloutsJson, summary::text AS SummaryJson
            FROM rollout_groups WHERE trial_id = @trialId AND step = @step AND problem_id = @problemId
            """, new { trialId, step, problemId }, cancellationToken: cancellationToken));
    }

    /// <summary>Every group of one step with its rollouts.</summary>
    public async Task<IReadOnlyList<RolloutGroupRecord>> ListAsync(string trialId, int step, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<RolloutGroupRecord>(new CommandDefinition("""
            SELECT trial_id AS TrialId, step AS Step, problem_id AS ProblemId, group_size AS GroupSize, correct AS Correct,
                   mean_reward AS MeanReward, rollouts::text AS RolloutsJson, summary::text AS SummaryJson
            FROM rollout_groups WHERE trial_id = @trialId AND step = @step ORDER BY problem_id
            """, new { trialId, step }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Every group of one step without the rollout texts (cheap listing).</summary>
    public async Task<IReadOnlyList<RolloutGroupSummary>> ListSummariesAsync(string trialId, int step, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<RolloutGroupSummary>(new CommandDefinition("""
            SELECT trial_id AS TrialId, step AS Step, problem_id AS ProblemId, group_size AS GroupSize, correct AS Correct,
                   mean_reward AS MeanReward, summary::text AS Summary
            FROM rollout_groups WHERE trial_id = @trialId AND step = @step ORDER BY problem_id
            """, new { trialId, step }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The steps of a trial that have stored groups.</summary>
    public async Task<IReadOnlyList<int>> StepsAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT DISTINCT step FROM rollout_groups WHERE trial_id = @trialId ORDER BY step", new { trialId },
            cancellationToken: cancellationToken))).AsList();
    }
}
