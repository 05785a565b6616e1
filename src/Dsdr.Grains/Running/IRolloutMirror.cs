using Dsdr.Contracts;

namespace Dsdr.Grains.Running;

/// <summary>
/// A queryable copy of rollout groups and problem histories for readers outside the cluster (the web layer's rollout
/// explorer and problems page read PostgreSQL's rollout_groups/problems tables). The grains stay the authority and
/// call the mirror after saving; both calls are idempotent (a group stored again replaces itself, a problem's counts
/// are written whole). A failed call fails the grain call that caused it, so the runner's attempt fails and the step
/// is recorded again when the trial resumes.
/// </summary>
public interface IRolloutMirror
{
    /// <summary>A scored group was recorded (again, when its step was replayed).</summary>
    Task GroupRecordedAsync(RolloutGroupRecord group, CancellationToken cancellationToken = default);

    /// <summary>A problem's history changed; <paramref name="problem"/> holds its whole counts.</summary>
    Task ProblemChangedAsync(ProblemSnapshot problem, CancellationToken cancellationToken = default);
}

/// <summary>A problem's history as the Problem grain holds it, with its prompt and gold answer when a group carried them.</summary>
public sealed record ProblemSnapshot(ProblemHistory History, string? Prompt, string? Gold, DateTimeOffset LastSeenAt);

/// <summary>No mirror: a silo without a database keeps rollout groups and problems in their grains only.</summary>
public sealed class NoRolloutMirror : IRolloutMirror
{
    public static readonly NoRolloutMirror Instance = new();

    public Task GroupRecordedAsync(RolloutGroupRecord group, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task ProblemChangedAsync(ProblemSnapshot problem, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
