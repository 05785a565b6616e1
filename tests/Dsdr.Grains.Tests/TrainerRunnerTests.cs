using System.Diagnostics;
using System.Text.Json;
using Dsdr.Contracts;
using Dsdr.Core.Method;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Dsdr.Learning.Training;
using Dsdr.Runner;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

/// <summary>Real trials (TorchSharp trainer, tiny preset) through the scheduler, slots, trials and rollout-group grains.</summary>
[Collection(TrainerRunnerCollection.Name)]
public class TrainerRunnerTests
{
    private const string TinySweep = """
        {
          "name": "runner-tiny",
          "task": { "kind": "countdown", "trainSize": 40, "heldOutSize": 4 },
          "model": { "preset": "countdown", "sft": { "enabled": false } },
          "base": { "totalSteps": 2, "promptsPerStep": 2, "groupSize": 2, "miniBatchesPerStep": 2, "maxNewTokens": 6,
                    "overlongBufferLength": 2, "learningRate": 0.001 },
          "arms": ["dsdr", "grpo"],
          "seeds": [3],
          "eval": { "everySteps": 2, "atStart": false, "avgK": 1, "passKSamples": 1 }
        }
        """;

    /// <summary>Hashed character bigrams, L2-normalised: a cheap deterministic encoder so the test does not load MiniLM.</summary>
    internal sealed class BigramEmbedder : IEmbedder
    {
        public int Dimension => 32;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts) => texts.Select(Vector).ToList();

        private float[] Vector(string text)
        {
            var v = new float[Dimension];
            v[0] = 0.5f;
            for (var i = 0; i + 1 < text.Length; i++) v[(text[i] * 31 + text[i + 1]) % Dimension] += 1f;
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }
    }

    /// <summary>One silo, node "n1" with <paramref name="cpus"/>, running the trainer (a checkpoint every step) with in-memory state.</summary>
    internal static InProcessTestCluster TrainerCluster(string checkpoints, ITrialMetricSink metrics, params DeviceSlot[] cpus)
    {
        var store = new SharedStore();
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddKeyedSingleton<IGrainStorage>(DsdrSchedulingOptions.StorageProviderName,
                (sp, _) => new SharedGrainStorage(store, sp.GetRequiredService<Serializer>()));
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton(metrics);
            silo.AddDsdrGrains(Node("n1", cpus), o =>
            {
                o.SlotHeartbeatInterval = TimeSpan.FromMilliseconds(200);
                o.LeaseScanInterval = TimeSpan.FromMilliseconds(200);
                o.TrialWatchInterval = TimeSpan.FromSeconds(1);
            });
            silo.UseTrainerRunner(new TrainerRunnerOptions(checkpoints, Threads: 1, CheckpointEverySteps: 1,
                HeartbeatInterval: TimeSpan.FromMilliseconds(500)), () => new BigramEmbedder());
        });
        return builder.Build();
    }

    [Fact]
    public async Task A_sweep_of_two_tiny_trials_trains_to_completion_with_metrics_checkpoints_and_problem_history()
    {
        var parsed = SweepSpecParser.Parse(TinySweep);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        var trials = SweepExpander.Expand(parsed.Spec!);
        Assert.Equal(2, trials.Count);
        const string sweepId = "runner-tiny";
        var descriptors = trials.Select(t => new TrialDescriptor(t.TrialId, sweepId, t.Arm, t.Row, t.Seed, t.ToJson(), new TrialNeeds(DeviceKind.Cpu, 1)));

        var checkpoints = Path.Combine(Path.GetTempPath(), "dsdr-grains-tests", Guid.NewGuid().ToString("N"));
        var metrics = new InMemoryTrialMetricSink();
        var cluster = TrainerCluster(checkpoints, metrics, Cpu(0), Cpu(1));
        try
        {
            await cluster.DeployAsync();
            var clock = Stopwatch.StartNew();
            await cluster.Client.GetGrain<ISweepGrain>(sweepId).SubmitAsync(new SweepSubmission(sweepId, sweepId, [.. descriptors], MaxAttempts: 1));
            var progress = await WaitForAsync(() => cluster.Client.GetGrain<ISweepGrain>(sweepId).GetProgressAsync(),
                p => p.Status == SweepStatus.Completed, TimeSpan.FromMinutes(2), "the sweep to complete");
            Assert.Equal(2, progress.Completed);

            foreach (var trial in trials)
            {
                var snapshot = await cluster.Client.GetGrain<ITrialGrain>(trial.TrialId).GetAsync();
                Assert.True(snapshot.Status == TrialStatus.Completed, $"{trial.Arm}: {snapshot.Status} {snapshot.Error}");
                Assert.Equal(2, snapshot.Step);
                Assert.Equal(2, snapshot.LastCheckpointStep);
                Assert.True(File.Exists(Path.Combine(snapshot.LastCheckpointPath!, CheckpointStore.StateFile)), snapshot.LastCheckpointPath);

                // every step's trainer metrics reached the sink, with values the trainer wrote to metrics.jsonl
                var rows = metrics.Of(trial.TrialId);
                Assert.Equal([1, 2], rows.Keys.Where(k => k.Name == StepMetricNames.RewardMean).Select(k => k.Step).Order());
                var folder = Path.Combine(checkpoints, trial.TrialId);
                var lines = File.ReadAllLines(Path.Combine(folder, JsonlTrainingSink.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
                foreach (var line in lines)
                {
                    var step = line.GetProperty("step").GetInt32();
                    Assert.Equal(line.GetProperty("rewardMean").GetDouble(), rows[(step, StepMetricNames.RewardMean)]);
                    Assert.Equal(line.GetProperty("entropy").GetDouble(), rows[(step, "entropy")]);
                }
                Assert.Contains(rows.Keys, k => k.Step == 2 && k.Name.StartsWith("eval/countdown/", StringComparison.Ordinal));
                // the evaluator's per-problem outcomes reached the sink too, and each figure is their mean
                var outcomes = metrics.ProblemsOf(trial.TrialId).Where(p => p.Step == 2).Select(p => p.Outcome).ToList();
                Assert.NotEmpty(outcomes);
                Assert.Equal(outcomes.Count, outcomes.Select(o => o.ProblemId).Distinct().Count());
                foreach (var (name, value) in rows.Where(r => r.Key.Step == 2 && EvalFigureKey.TryParseMetricName(r.Key.Name, out _)).Select(r => (r.Key.Name, r.Value)))
                {
                    EvalFigureKey.TryParseMetricName(name, out var key);
                    Assert.Equal(value, ProblemFigures.Mean(outcomes, key.Figure)!.Value, 12);
                }

                // the first group of step 1 is kept by its rollout-group grain and counted by its problem
                var group = JsonDocument.Parse(File.ReadLines(Path.Combine(folder, JsonlTrainingSink.GroupsFile)).First()).RootElement;
                var problemKey = GrainKeys.Problem("countdown", group.GetProperty("problemId").GetString()!);
                var record = await cluster.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup(trial.TrialId, 1, problemKey)).GetAsync();
                Assert.NotNull(record);
                Assert.Equal(group.GetProperty("texts").EnumerateArray().Select(t => t.GetString()), record.Rollouts.Select(r => r.Text));
                var history = await cluster.Client.GetGrain<IProblemGrain>(problemKey).GetAsync();
                Assert.True(history.Attempts >= 2, $"{problemKey}: {history}");
            }
            Console.WriteLine($"two tiny trials through the cluster in {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            try { Directory.Delete(checkpoints, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }
}

/// <summary>Real training uses the CPU: run these tests alone, so the timing-sensitive cluster tests are not starved.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainerRunnerCollection
{
    public const string Name = "trainer runner";
}
