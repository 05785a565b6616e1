using System.Collections.Immutable;

namespace Dsdr.Contracts;

/// <summary>
/// One scored rollout of a group, as the trainer computed it with Core: verifier reward, the
/// semantic diversity d (null where it was not computed: an arm that ignores d embeds only on the steps that log the
/// semantic similarity, and dropped groups are not scored), the shaped reward r̃, the advantage A and the local coupling weight w.
/// <paramref name="SolutionKey"/> is the canonical form of a correct solution (e.g. the
/// normalised formula), so distinct correct solutions can be counted; null when incorrect.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ScoredRollout(
    [property: Id(0)] string Text,
    [property: Id(1)] double Reward,
    [property: Id(2)] bool Correct,
    [property: Id(3)] string? SolutionKey,
    [property: Id(4)] double? Diversity,
    [property: Id(5)] double ShapedReward,
    [property: Id(6)] double Advantage,
    [property: Id(7)] double CouplingWeight);

/// <summary>One group of G rollouts for one prompt at one training step of one trial; <paramref name="Gold"/>: the problem's gold answer when known.</summary>
[GenerateSerializer, Immutable]
public sealed record RolloutGroupRecord(
    [property: Id(0)] string TrialId,
    [property: Id(1)] int Step,
    [property: Id(2)] string ProblemKey,
    [property: Id(3)] string Prompt,
    [property: Id(4)] ImmutableArray<ScoredRollout> Rollouts,
    [property: Id(5)] string? Gold = null);

/// <summary>What one rollout group contributed to its problem's history, with the problem's prompt and gold answer when known.</summary>
[GenerateSerializer, Immutable]
public sealed record ProblemObservation(
    [property: Id(0)] string GroupKey,
    [property: Id(1)] int Rollouts,
    [property: Id(2)] int Correct,
    [property: Id(3)] ImmutableArray<string> CorrectSolutionKeys,
    [property: Id(4)] string? Prompt = null,
    [property: Id(5)] string? Gold = null);

/// <summary>A problem's history across all trials.</summary>
[GenerateSerializer, Immutable]
public sealed record ProblemHistory(
    [property: Id(0)] string ProblemKey,
    [property: Id(1)] int Groups,
    [property: Id(2)] int Attempts,
    [property: Id(3)] int Solved,
    [property: Id(4)] int DistinctCorrectSolutions,
    [property: Id(5)] ImmutableArray<string> CorrectSolutions)
{
    /// <summary>pass rate = solved rollouts / attempted rollouts (0 when never attempted).</summary>
    public double PassRate => Attempts == 0 ? 0 : (double)Solved / Attempts;
}

public static class GrainKeys
{
    /// <summary>"dataset/problem", e.g. "countdown/000123".</summary>
    public static string Problem(string dataset, string problemId) => $"{dataset}/{problemId}";

    /// <summary>"trial/step/problem"; the problem part may itself contain '/'.</summary>
    public static string RolloutGroup(string trialId, int step, string problemKey) => $"{trialId}/{step}/{problemKey}";

    public static (string TrialId, int Step, string ProblemKey) ParseRolloutGroup(string key)
    {
        var parts = key.Split('/', 3);
        if (parts.Length != 3 || !int.TryParse(parts[1], out var step))
            throw new FormatException($"Rollout group key '{key}' is not of the form 'trial/step/dataset/problem'.");
        return (parts[0], step, parts[2]);
    }
}
