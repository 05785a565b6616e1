using Dsdr.Contracts;
using Dsdr.Core.Runs;

namespace Dsdr.Grains.Trials;

[GenerateSerializer]
public sealed class TrialState
{
    [Id(0)] public TrialDescriptor? Descriptor { get; set; }
    [Id(1)] public TrialStatus Status { get; set; }
    /// <summary>Attempts started so far; the next attempt is Attempt + 1.</summary>
    [Id(2)] public int Attempt { get; set; }
    [Id(3)] public int MaxAttempts { get; set; }
    /// <summary>Attempts that ended in failure or a lost lease (interrupted ones do not count).</summary>
    [Id(4)] public int Failures { get; set; }
    [Id(5)] public string? CheckpointPath { get; set; }
    [Id(6)] public int CheckpointStep { get; set; }
    [Id(7)] public int Step { get; set; }
    [Id(8)] public int TotalSteps { get; set; }
    [Id(9)] public TrialLease? Lease { get; set; }
    [Id(10)] public string? Error { get; set; }
    [Id(11)] public DateTimeOffset? QueuedAt { get; set; }
    [Id(12)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(13)] public List<TrialAttemptRecord> Attempts { get; set; } = [];
    [Id(14)] public int IndexInSweep { get; set; }
}
