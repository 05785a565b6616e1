using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Problems;
using Dsdr.Grains.Scheduling;
using Dsdr.Grains.Sweeps;
using Dsdr.Grains.Trials;
using Dsdr.Storage;
using Dsdr.Storage.Orleans;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Dsdr.Grains.Tests;

/// <summary>
/// Every grain state class survives PostgresGrainStorage's jsonb round trip: what comes back equals what went in,
/// member by member, down to the leaves (every [Id] member here is a public property).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainStateJsonTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 9, 30, 15, 123, TimeSpan.Zero);
    private static readonly TrialDescriptor Descriptor =
        new("t-7", "sw-1", "dsdr", "λ=0.1", 42, """{"lr":1e-6,"steps":40}""", new TrialNeeds(DeviceKind.Cuda, 24), Priority: 3);
    private static readonly QueuedTrial Queued = new("t-7", "sw-1", 3, new TrialNeeds(DeviceKind.Cuda, 24), 2, T0, IndexInSweep: 5);

    public static TheoryData<string> States => ["trial", "sweep", "scheduler", "problem", "rollouts"];

    [Theory]
    [MemberData(nameof(States))]
    public async Task State_round_trips_through_postgres_grain_storage(string which)
    {
        var state = which switch
        {
            "trial" => Check(new TrialState
            {
                Descriptor = Descriptor, Status = TrialStatus.Running, Attempt = 2, MaxAttempts = 3, Failures = 1,
                CheckpointPath = "/ckpt/t-7/step-000010", CheckpointStep = 10, Step = 12, TotalSteps = 40,
                Lease = new TrialLease("node-b/cuda:1", 2, T0.AddSeconds(20)), Error = "lease expired", QueuedAt = T0,
                FinishedAt = T0.AddMinutes(3), IndexInSweep = 5,
                Attempts = [new TrialAttemptRecord(1, "node-a/cuda:0", T0, 0, T0.AddMinutes(1), "ExternalException: Unknown scalar type. (at Dsdr.Learning.Model.Qwen2RmsNorm.forward, Qwen2ForCausalLM.cs:391)", AttemptEnd.Failed),
                            new TrialAttemptRecord(2, "node-b/cuda:1", T0.AddMinutes(2), 10, null, null)],
            }),
            "sweep" => Check(new SweepState
            {
                Name = "ablation", Status = SweepStatus.Running, MaxAttempts = 3, TrialIds = ["t-1", "t-7"],
                TrialStatuses = new() { ["t-1"] = TrialStatus.Completed, ["t-7"] = TrialStatus.Running },
                CancelRequested = true, SubmittedAt = T0, FinishedAt = T0.AddHours(1),
                EarlyStopping = new EarlyStoppingBook
                {
                    Rules = new EarlyStoppingSpec(new AshaRule("eval/countdown/avg@16", new List<int> { 10, 30 }, 4, Maximize: false),
                        new DiversityCollapseRule("entropy", 0.5, 2)),
                    Rungs = new() { [10] = new() { ["t-1"] = 0.31, ["t-7"] = 0.35 } },
                    Diversity = new() { ["t-7"] = new() { [1] = 0.92, [12] = 0.41 } },
                    Stops = new() { ["t-1"] = "stopped by ASHA at rung 10" },
                },
            }),
            "scheduler" => Check(new SchedulerState
            {
                Queue = [Queued, Queued with { TrialId = "t-8", Attempt = 1 }],
                Slots = [new SlotRecord
                {
                    Key = "node-b/cuda:1", Capacity = new SlotCapacity(DeviceKind.Cuda, 80), State = SlotState.Busy, Assigned = Queued,
                    Attempt = 2, AssignedAt = T0, FreeSince = T0.AddSeconds(-5), StateSince = T0.AddSeconds(1),
                    BusyTime = TimeSpan.FromSeconds(12.5), OnlineTime = TimeSpan.FromMinutes(3), LastSeen = T0.AddSeconds(2),
                    TrialId = "t-7", LastSequence = 638_999_999_999_999_999,
                }],
            }),
            "problem" => Check(new ProblemState
            {
                Groups = 2, Attempts = 16, Solved = 5, CorrectSolutions = new(StringComparer.Ordinal) { ["3*5+2"] = 3, ["2+3*5"] = 2 },
            }),
            "rollouts" => Check(new RolloutGroupState
            {
                Record = new RolloutGroupRecord("t-7", 12, "countdown/17", "reach 17 with 3 5 2",
                    [new ScoredRollout("3*5+2 = 17", 1, true, "3*5+2", 0.4, 1.2, 0.8, 1.1),
                     new ScoredRollout("3+5+2 = 10", 0, false, null, 0.6, 0, -0.8, 1.0)]),
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };
        await state;
    }

    private async Task Check<T>(T original) where T : new()
    {
        await using var database = DsdrDatabase.FromConnectionString(await postgres.NewDatabaseAsync());
        var storage = new PostgresGrainStorage("dsdr", database, new DsdrGrainStorageOptions(),
            Options.Create(new ClusterOptions { ServiceId = "json", ClusterId = "json" }));
        var grainId = GrainId.Create("test", "g1");
        await storage.WriteStateAsync("s", grainId, new GrainState<T>(original));

        var back = new GrainState<T>();
        await storage.ReadStateAsync("s", grainId, back);
        Assert.True(back.RecordExists);
        AssertDeepEqual(original, back.State, typeof(T).Name);
    }

    /// <summary>Structural equality: leaves by value, sequences and dictionaries element by element, objects property by property.</summary>
    private static void AssertDeepEqual(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        var type = expected.GetType();
        Assert.True(type == actual.GetType(), $"{path}: expected a {type.Name}, got a {actual.GetType().Name}");
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal or DateTimeOffset or DateTime or TimeSpan or Guid)
        {
            Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
            return;
        }
        if (expected is System.Collections.IDictionary expectedMap)
        {
            var actualMap = (System.Collections.IDictionary)actual;
            Assert.True(expectedMap.Count == actualMap.Count, $"{path}: expected {expectedMap.Count} entries, got {actualMap.Count}");
            foreach (System.Collections.DictionaryEntry entry in expectedMap)
            {
                Assert.True(actualMap.Contains(entry.Key), $"{path}: key {entry.Key} lost");
                AssertDeepEqual(entry.Value, actualMap[entry.Key], $"{path}[{entry.Key}]");
            }
            return;
        }
        if (expected is System.Collections.IEnumerable expectedItems)
        {
            var e = expectedItems.Cast<object?>().ToList();
            var a = ((System.Collections.IEnumerable)actual).Cast<object?>().ToList();
            Assert.True(e.Count == a.Count, $"{path}: expected {e.Count} items, got {a.Count}");
            for (var i = 0; i < e.Count; i++) AssertDeepEqual(e[i], a[i], $"{path}[{i}]");
            return;
        }
        var properties = type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").ToList();
        Assert.NotEmpty(properties);
        foreach (var property in properties)
            AssertDeepEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
    }
}
