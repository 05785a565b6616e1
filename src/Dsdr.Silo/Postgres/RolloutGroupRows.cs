using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Contracts;
using StoredGroup = Dsdr.Storage.Repositories.RolloutGroupRecord;

namespace Dsdr.Silo.Postgres;

/// <summary>
/// The rollout_groups table's form of a scored group, both ways. The row's problem_id is the group's problem key
/// ("dataset/problem"); rollouts is a JSON array of every <see cref="ScoredRollout"/> field (text, reward, correct,
/// solutionKey, diversity d, shapedReward r̃, advantage A, couplingWeight w); summary is a JSON object with the
/// prompt, the gold answer (null when unknown), the reward's standard deviation and the distinct correct solutions.
/// Readers (the web layer) rebuild the Contracts record with <see cref="FromRow"/>.
/// </summary>
public static class RolloutGroupRows
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // A diverged run can score NaN; keep the row readable rather than refuse it.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The group's summary object as stored in rollout_groups.summary.</summary>
    public sealed record Summary(string Prompt, string? Gold, double RewardStd, int DistinctCorrect);

    public static StoredGroup ToRow(RolloutGroupRecord group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Rollouts.IsDefaultOrEmpty)
            throw new ArgumentException($"Rollout group {group.TrialId}/{group.Step}/{group.ProblemKey} has no rollouts.", nameof(group));
        var rewards = group.Rollouts.Select(r => r.Reward).ToList();
        var mean = rewards.Average();
        // std = √(mean((r − mean(r))²)), the population form the group normalisation uses
        var std = Math.Sqrt(rewards.Average(r => (r - mean) * (r - mean)));
        var distinct = group.Rollouts.Where(r => r.Correct && r.SolutionKey is not null).Select(r => r.SolutionKey).Distinct(StringComparer.Ordinal).Count();
        return new StoredGroup(group.TrialId, group.Step, group.ProblemKey, group.Rollouts.Length, group.Rollouts.Count(r => r.Correct), mean,
            JsonSerializer.Serialize(group.Rollouts.ToArray(), Json),
            JsonSerializer.Serialize(new Summary(group.Prompt, group.Gold, std, distinct), Json));
    }

    /// <summary>The Contracts record a stored row was made from (by <see cref="ToRow"/>).</summary>
    public static RolloutGroupRecord FromRow(StoredGroup row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var summary = SummaryOf(row.SummaryJson);
        return new RolloutGroupRecord(row.TrialId, row.Step, row.ProblemId, summary.Prompt, RolloutsOf(row.RolloutsJson), summary.Gold);
    }

    /// <summary>The rollouts of rollout_groups.rollouts.</summary>
    public static ImmutableArray<ScoredRollout> RolloutsOf(string rolloutsJson)
    {
        var rollouts = JsonSerializer.Deserialize<ScoredRollout[]>(rolloutsJson, Json)
            ?? throw new FormatException("rollout_groups.rollouts is null; expected a JSON array of scored rollouts.");
        if (rollouts.Any(r => r is null || r.Text is null))
            throw new FormatException("rollout_groups.rollouts holds an entry without text; expected {text, reward, correct, solutionKey, diversity, shapedReward, advantage, couplingWeight}.");
        return [.. rollouts];
    }

    /// <summary>The summary of rollout_groups.summary (also <see cref="Dsdr.Storage.Repositories.RolloutGroupSummary.Summary"/>).</summary>
    public static Summary SummaryOf(string summaryJson)
    {
        var summary = JsonSerializer.Deserialize<Summary>(summaryJson, Json)
            ?? throw new FormatException("rollout_groups.summary is null; expected {prompt, gold, rewardStd, distinctCorrect}.");
        return summary.Prompt is null
            ? throw new FormatException("rollout_groups.summary has no prompt; expected {prompt, gold, rewardStd, distinctCorrect}.")
            : summary;
    }
}
