using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Grains.Running;

namespace Dsdr.Grains.Problems;

[GenerateSerializer]
public sealed class RolloutGroupState
{
    [Id(0)] public RolloutGroupRecord? Record { get; set; }
}

/// <summary>
/// One scored rollout group (key "trial/step/dataset/problem"): keeps the record for the rollout
/// explorer, tells the problem what it contributed and copies the group to the <see cref="IRolloutMirror"/>.
/// Recording the same group again (a step replayed after a resume) replaces the contribution instead of
/// adding it twice.
/// </summary>
internal sealed class RolloutGroupGrain(
    [PersistentState("rollouts", DsdrSchedulingOptions.StorageProviderName)] IPersistentState<RolloutGroupState> state,
    IRolloutMirror mirror) : Grain, IRolloutGroupGrain
{
    async Task IRolloutGroupGrain.RecordAsync(RolloutGroupRecord record)
    {
        var key = this.GetPrimaryKeyString();
        var expected = GrainKeys.RolloutGroup(record.TrialId, record.Step, record.ProblemKey);
        if (expected != key)
            throw new ArgumentException($"Record for '{expected}' sent to rollout group '{key}'.", nameof(record));
        if (record.Rollouts.IsDefaultOrEmpty)
            throw new ArgumentException($"Rollout group '{key}' has no rollouts.", nameof(record));

        state.State.Record = record;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IProblemGrain>(record.ProblemKey).ObserveAsync(Observe(record));
        await mirror.GroupRecordedAsync(record);
    }

    Task<RolloutGroupRecord?> IRolloutGroupGrain.GetAsync() => Task.FromResult(state.State.Record);

    private ProblemObservation Observe(RolloutGroupRecord record)
    {
        var correct = record.Rollouts.Where(r => r.Correct).ToList();
        var keys = correct.Where(r => r.SolutionKey is not null).Select(r => r.SolutionKey!).ToImmutableArray();
        return new ProblemObservation(this.GetPrimaryKeyString(), record.Rollouts.Length, correct.Count, keys, record.Prompt, record.Gold);
    }
}
