using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Dsdr.Learning.Embedding;
using Dsdr.Learning.Training;
using Dsdr.Runner;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Xunit;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

/// <summary>
/// A trial is a function of its configuration: the GD arm trained beside four other trials on five slots of one process
/// (sharing the sentence encoder, its cache and the SFT backbone) writes the same metric rows, bit for bit, as the same
/// trial trained alone.
/// </summary>
[Collection(TrainerRunnerCollection.Name)]
public class MultiSlotDeterminismTests
{
    private const string Sweep = """
        {
          "name": "determinism",
          "task": { "kind": "countdown", "trainSize": 200, "heldOutSize": 8, "dataSeed": 7 },
          "model": { "preset": "countdown", "sft": { "enabled": true, "steps": 40, "batchSize": 32, "learningRate": 0.003, "warmupSteps": 5, "seed": 1 } },
          "base": { "totalSteps": 10, "promptsPerStep": 4, "groupSize": 4, "miniBatchesPerStep": 2, "learningRate": 0.001,
                    "lambdaD": 0.1, "lambdaL": 0.01, "tau": 5 },
          "arms": ["grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc"],
          "seeds": [2],
          "eval": { "everySteps": 5, "atStart": false, "avgK": 2, "passKSamples": 2 }
        }
        """;

    [Fact]
    public async Task A_gd_arm_beside_four_other_trials_writes_the_same_metric_rows_as_alone()
    {
        var parsed = SweepSpecParser.Parse(Sweep);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        var trials = SweepExpander.Expand(parsed.Spec!);
        var root = Path.Combine(Path.GetTempPath(), "dsdr-grains-tests", Guid.NewGuid().ToString("N"));
        var shared = Path.Combine(root, "platform");
        var sftCache = Path.Combine(root, "sft-cache");
        var embedder = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: 2));
        const string sweepId = "determinism";
        var descriptors = trials.Select(t => new TrialDescriptor(t.TrialId, sweepId, t.Arm, t.Row, t.Seed, t.ToJson(), new TrialNeeds(DeviceKind.Cpu, 1)));

        var store = new SharedStore();
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddKeyedSingleton<IGrainStorage>(DsdrSchedulingOptions.StorageProviderName,
                (sp, _) => new SharedGrainStorage(store, sp.GetRequiredService<Serializer>()));
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<ITrialMetricSink>(new InMemoryTrialMetricSink());
            silo.AddDsdrGrains(Node("n1", Cpu(0), Cpu(1), Cpu(2), Cpu(3), Cpu(4)), o =>
            {
                o.SlotHeartbeatInterval = TimeSpan.FromMilliseconds(200);
                o.LeaseScanInterval = TimeSpan.FromMilliseconds(200);
                o.TrialWatchInterval = TimeSpan.FromSeconds(1);
            });
            silo.UseTrainerRunner(new TrainerRunnerOptions(shared, Threads: 1, CheckpointEverySteps: 2, SftCacheFolder: sftCache,
                HeartbeatInterval: TimeSpan.FromMilliseconds(500)), () => embedder);
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            await cluster.Client.GetGrain<ISweepGrain>(sweepId).SubmitAsync(new SweepSubmission(sweepId, sweepId, [.. descriptors], MaxAttempts: 1));
            var progress = await WaitForAsync(() => cluster.Client.GetGrain<ISweepGrain>(sweepId).GetProgressAsync(),
                p => p.Status == SweepStatus.Completed, TimeSpan.FromMinutes(6), "the five trials to end");
            Assert.Equal(5, progress.Completed);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }

        try
        {
            foreach (var arm in new[] { ArmPresets.Dsdr, ArmPresets.DsdrNoGc })
            {
                var trial = trials.Single(t => t.Arm == arm);
                var alone = Path.Combine(root, "alone-" + arm);
                TrialRunner.WithDefaults(embedder).Run(trial, new TrialRunOptions(alone, Threads: 1, SftCacheFolder: sftCache));
                var aloneRows = MetricRows(Path.Combine(alone, JsonlTrainingSink.MetricsFile));
                Assert.Equal(10, aloneRows.Count);
                Assert.Contains("\"semanticSimilarity\":0.", aloneRows[^1]); // step 10 embeds every group
                Assert.Equal(aloneRows, MetricRows(Path.Combine(shared, trial.TrialId, JsonlTrainingSink.MetricsFile)));
                // the groups carry d, r̃, A and w: the embeddings were really computed (every group on step 10, correct ones before), and match bit for bit
                var aloneGroups = File.ReadAllLines(Path.Combine(alone, JsonlTrainingSink.GroupsFile));
                Assert.Contains(aloneGroups, g => HasNonZeroDiversity(g));
                Assert.Equal(aloneGroups, File.ReadAllLines(Path.Combine(shared, trial.TrialId, JsonlTrainingSink.GroupsFile)));
                var environment = File.ReadAllText(Path.Combine(alone, TrialRunner.EnvironmentFile));
                Assert.Equal(environment, File.ReadAllText(Path.Combine(shared, trial.TrialId, TrialRunner.EnvironmentFile)));
                var recorded = System.Text.Json.JsonSerializer.Deserialize<Learning.Compute.TrialEnvironment>(environment, JsonlTrainingSink.JsonOptions)!;
                Assert.Equal(1, recorded.TorchThreads);
                Assert.NotEqual("unknown", recorded.Commit);
                Assert.False(string.IsNullOrEmpty(recorded.OnnxRuntime) || string.IsNullOrEmpty(recorded.Libtorch) || string.IsNullOrEmpty(recorded.Cpu));
                Assert.Equal(2, File.ReadAllLines(Path.Combine(alone, JsonlTrainingSink.EvalsFile)).Length);
                Assert.Equal(File.ReadAllLines(Path.Combine(alone, JsonlTrainingSink.EvalsFile)).Select(WithoutSeconds),
                    File.ReadAllLines(Path.Combine(shared, trial.TrialId, JsonlTrainingSink.EvalsFile)).Select(WithoutSeconds));
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }

    // every field of every step but the wall-clock ones, as written (round-trip doubles)
    private static List<string> MetricRows(string path) => File.ReadAllLines(path).Select(WithoutSeconds).ToList();

    private static bool HasNonZeroDiversity(string groupLine) =>
        System.Text.Json.Nodes.JsonNode.Parse(groupLine)!["diversity"]!.AsArray().Any(d => d!.GetValue<double>() != 0);

    private static string WithoutSeconds(string line)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        node.Remove("seconds");
        node.Remove("tokensPerSecond");
        return node.ToJsonString();
    }
}
