using Dsdr.Contracts;
using Dsdr.Grains.Running;

namespace Dsdr.Grains.Problems;

[GenerateSerializer]
public sealed class ProblemState
{
    [Id(0)] public int Groups { get; set; }
    [Id(1)] public int Attempts { get; set; }
    [Id(2)] public int Solved { get; set; }
    /// <summary>Correct solution key → how many correct rollouts produced it.</summary>
    [Id(3)] public Dictionary<string, int> CorrectSolutions { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The prompt and gold answer of the latest group that carried them.</summary>
    [Id(4)] public string? Prompt { get; set; }
    [Id(5)] public string? Gold { get; set; }
    [Id(6)] public DateTimeOffset? LastSeenAt { get; set; }
    /// <summary>Group key → what that group contributed, so observing a group again replaces its contribution.</summary>
    [Id(7)] public Dictionary<string, GroupContribution> Contributions { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One rollout group's share of a problem's counts.</summary>
[GenerateSerializer]
public sealed class GroupContribution
{
    [Id(0)] public int Rollouts { get; set; }
    [Id(1)] public int Correct { get; set; }
    [Id(2)] public string[] CorrectSolutionKeys { get; set; } = [];
}

/// <summary>
/// One problem's history across trials: rollouts attempted, solved, distinct correct solutions. It remembers each group's
/// contribution, so a group reported twice (a replayed step, a retry after a crash between the group's save and this call)
/// is counted once. Each change is saved, then copied whole to the <see cref="IRolloutMirror"/> (in turn order, so the copy
/// never goes back to older counts).
/// </summary>
internal sealed class ProblemGrain(
    [PersistentState("problem", DsdrSchedulingOptions.StorageProviderName)] IPersistentState<ProblemState> state,
    IRolloutMirror mirror,
    TimeProvider clock) : Grain, IProblemGrain
{
    private ProblemState S => state.State;

    async Task IProblemGrain.ObserveAsync(ProblemObservation observation)
    {
        Validate(observation);
        if (S.Contributions.Remove(observation.GroupKey, out var previous))
            Apply(previous, sign: -1);
        var contribution = new GroupContribution
        {
            Rollouts = observation.Rollouts,
            Correct = observation.Correct,
            CorrectSolutionKeys = observation.CorrectSolutionKeys.IsDefault ? [] : [.. observation.CorrectSolutionKeys],
        };
        Apply(contribution, sign: +1);
        S.Contributions[observation.GroupKey] = contribution;
        if (observation.Prompt is { } prompt) S.Prompt = prompt;
        if (observation.Gold is { } gold) S.Gold = gold;
        S.LastSeenAt = clock.GetUtcNow();
        await state.WriteStateAsync();
        await mirror.ProblemChangedAsync(new ProblemSnapshot(History(), S.Prompt, S.Gold, S.LastSeenAt.Value));
    }

    Task<ProblemHistory> IProblemGrain.GetAsync() => Task.FromResult(History());

    private ProblemHistory History() => new(
        this.GetPrimaryKeyString(), S.Groups, S.Attempts, S.Solved, S.CorrectSolutions.Count,
        [.. S.CorrectSolutions.Keys.Order(StringComparer.Ordinal)]);

    private void Apply(GroupContribution o, int sign)
    {
        S.Groups += sign;
        S.Attempts += sign * o.Rollouts;
        S.Solved += sign * o.Correct;
        foreach (var key in o.CorrectSolutionKeys)
        {
            var count = S.CorrectSolutions.GetValueOrDefault(key) + sign;
            if (count > 0) S.CorrectSolutions[key] = count;
            else S.CorrectSolutions.Remove(key);
        }
    }

    private static void Validate(ProblemObservation o)
    {
        if (o.Rollouts < 0 || o.Correct < 0 || o.Correct > o.Rollouts)
            throw new ArgumentException($"Observation of group '{o.GroupKey}': need 0 ≤ correct ({o.Correct}) ≤ rollouts ({o.Rollouts}).");
        if (!o.CorrectSolutionKeys.IsDefault && o.CorrectSolutionKeys.Length > o.Correct)
            throw new ArgumentException($"Observation of group '{o.GroupKey}' lists {o.CorrectSolutionKeys.Length} correct solutions for {o.Correct} correct rollouts.");
    }
}
