using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Dsdr.Learning.Training;
using Xunit;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

/// <summary>A real tiny trial (TorchSharp trainer on the CPU) stopped early: the learner stops and its checkpoint stays.</summary>
[Collection(TrainerRunnerCollection.Name)]
public class TrainerStopTests
{
    private const string Sweep = """
        {
          "name": "runner-stop",
          "task": { "kind": "countdown", "trainSize": 40, "heldOutSize": 4 },
          "model": { "preset": "countdown", "sft": { "enabled": false } },
          "base": { "totalSteps": 40, "promptsPerStep": 2, "groupSize": 2, "miniBatchesPerStep": 2, "maxNewTokens": 6,
                    "overlongBufferLength": 2, "learningRate": 0.001 },
          "arms": ["grpo"],
          "seeds": [5],
          "eval": { "everySteps": 40, "atStart": false, "avgK": 1, "passKSamples": 1 },
          "earlyStopping": { "asha": { "metric": "reward/mean", "rungs": [20] } }
        }
        """;

    [Fact]
    public async Task A_stopped_real_trial_stops_its_learner_keeps_its_checkpoint_and_is_neither_failed_nor_retried()
    {
        var parsed = SweepSpecParser.Parse(Sweep);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        var trial = Assert.Single(SweepExpander.Expand(parsed.Spec!));
        const string sweepId = "runner-stop";
        var descriptor = new TrialDescriptor(trial.TrialId, sweepId, trial.Arm, trial.Row, trial.Seed, trial.ToJson(), new TrialNeeds(DeviceKind.Cpu, 1));

        var checkpoints = Path.Combine(Path.GetTempPath(), "dsdr-grains-tests", Guid.NewGuid().ToString("N"));
        var cluster = TrainerRunnerTests.TrainerCluster(checkpoints, new InMemoryTrialMetricSink(), Cpu(0));
        try
        {
            await cluster.DeployAsync();
            var sweep = cluster.Client.GetGrain<ISweepGrain>(sweepId);
            await sweep.SubmitAsync(new SweepSubmission(sweepId, sweepId, [descriptor], MaxAttempts: 1, EarlyStopping: parsed.Spec!.EarlyStopping));
            Assert.Equal(parsed.Spec.EarlyStopping!.Asha!.Rungs, (await sweep.GetEarlyStoppingAsync())!.Asha!.Rungs);
            var grain = cluster.Client.GetGrain<ITrialGrain>(trial.TrialId);
            await WaitForAsync(grain.GetAsync, t => t.LastCheckpointStep >= 2, TimeSpan.FromMinutes(2), "a checkpoint at step 2");

            // what the sweep does when its rule says stop
            const string reason = "stopped early by the test, as the sweep stops a trial its rule rejects";
            await grain.StopAsync(reason);
            var stopped = await WaitForAsync(grain.GetAsync, t => t.Lease is null, TimeSpan.FromMinutes(1), "the attempt to end");
            var progress = await WaitForAsync(sweep.GetProgressAsync, p => p.Status.IsFinished(), TimeSpan.FromSeconds(30), "the sweep to finish");

            Assert.Equal((TrialStatus.Stopped, reason), (stopped.Status, stopped.Error));
            Assert.Equal((SweepStatus.Completed, 1), (progress.Status, progress.Stopped));
            var attempt = Assert.Single(stopped.Attempts);
            Assert.Equal((AttemptEnd.Cancelled, reason), (attempt.Outcome, attempt.EndReason));
            Assert.InRange(stopped.Step, 2, 39); // the learner stopped long before its 40 steps
            Assert.True(stopped.LastCheckpointStep >= 2 && stopped.LastCheckpointStep <= stopped.Step, $"checkpoint {stopped.LastCheckpointStep}, step {stopped.Step}");
            Assert.True(File.Exists(Path.Combine(stopped.LastCheckpointPath!, CheckpointStore.StateFile)), stopped.LastCheckpointPath);

            // the learner is gone: the slot is free and the trainer's metrics file grows no more
            var slot = await cluster.Client.GetGrain<ILearnerSlotGrain>("n1/cpu:0").GetAsync();
            Assert.Null(slot.RunningTrialId);
            var metricsFile = Path.Combine(checkpoints, trial.TrialId, JsonlTrainingSink.MetricsFile);
            var lines = File.ReadAllLines(metricsFile).Length;
            Assert.InRange(lines, 2, 39);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Equal(lines, File.ReadAllLines(metricsFile).Length);
            Assert.Equal(TrialStatus.Stopped, (await grain.GetAsync()).Status);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            try { Directory.Delete(checkpoints, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }
}
