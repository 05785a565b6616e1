using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using Dsdr.Grains;
using Dsdr.Runner.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit.Abstractions;

namespace Dsdr.Cluster.Tests;

/// <summary>
/// Cluster mode end to end with real OS processes: deploy/local/cluster.sh starts PostgreSQL, three Dsdr.Silo workers
/// (simulated runner, one CPU slot each) and Dsdr.Web as a cluster client. A small sweep goes in through the REST API;
/// this test watches the grains as another Orleans client (both find the gateways in the PostgreSQL membership table)
/// and SIGKILLs the worker running one of the trials mid-way.
/// </summary>
public sealed class KillAWorkerTests(ITestOutputHelper output)
{
    private const int Workers = 3;
    private const int Steps = 60;
    /// <summary>The eval interval of the spec, where the web host's simulation plan checkpoints.</summary>
    private const int CheckpointEvery = 10;
    private static readonly string[] TrainingMetrics = [SimulatedMetrics.Loss, SimulatedMetrics.RewardMean];
    /// <summary>The victim is killed once it has recorded a checkpoint at this step or later and gone a few steps past it.</summary>
    private const int KillAfterCheckpoint = 20;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task Sigkill_of_the_worker_running_a_trial_requeues_it_on_another_worker_from_its_checkpoint_and_the_sweep_completes()
    {
        await using var cluster = await LocalCluster.StartAsync(Workers);
        var clientHost = await cluster.ConnectClientAsync();
        try
        {
            var grains = clientHost.Services.GetRequiredService<IClusterClient>();
            Assert.True(cluster.WebUrl is not null, "cluster.sh started no web host: this build's Dsdr.Web lacks cluster mode");
            using var web = new HttpClient { BaseAddress = cluster.WebUrl };
            web.DefaultRequestHeaders.Add("X-Api-Key", cluster.ApiKey);

            // Two arms × one seed = two trials on three single-slot workers: the spare slot lets the figures show failover
            // itself, not a wait for some other trial to finish.
            var spec = $$$"""
                {"name": "kill-a-worker", "task": {"kind": "countdown", "numbers": 3}, "model": {"preset": "countdown"},
                 "base": {"totalSteps": {{{Steps}}}}, "arms": ["grpo", "dsdr"], "seeds": [0],
                 "eval": {"everySteps": {{{CheckpointEvery}}}, "avgK": 4, "passKSamples": 4}}
                """;
            using var submit = await web.PostAsync("/api/sweeps", new StringContent(spec, System.Text.Encoding.UTF8, "application/json"));
            var submitted = await submit.Content.ReadAsStringAsync();
            Assert.True(submit.IsSuccessStatusCode, $"POST /api/sweeps: {(int)submit.StatusCode} {submitted}");
            var sweepId = JsonDocument.Parse(submitted).RootElement.GetProperty("sweepId").GetString()!;
            var trialIds = (await WaitForAsync(async () =>
            {
                var ts = await grains.GetGrain<ISweepGrain>(sweepId).GetTrialsAsync();
                return ts.Length == 2 ? ts : default(ImmutableArray<TrialSnapshot>?);
            }, TimeSpan.FromSeconds(30), "the sweep's two trials")).Select(t => t.Descriptor!.TrialId).ToArray();

            // The victim: the first trial to run past a recorded checkpoint (attempt 1, a few steps after it).
            var (victim, beforeKill) = await WaitForAsync(async () =>
            {
                foreach (var id in trialIds)
                {
                    var t = await grains.GetGrain<ITrialGrain>(id).GetAsync();
                    if (t is { Status: TrialStatus.Running, Attempt: 1, Lease: not null } && t.LastCheckpointStep >= KillAfterCheckpoint
                        && t.Step >= t.LastCheckpointStep + 3)
                        return (id, t);
                }
                return default((string, TrialSnapshot)?);
            }, TimeSpan.FromSeconds(90), "a trial to run past its step-20 checkpoint");
            var victimSlot = beforeKill.Lease!.SlotKey;
            var victimNode = victimSlot.Split('/')[0];
            var victimPort = cluster.PortsOf(victimNode).Silo;
            using var victimProcess = Process.GetProcessById(cluster.PidOf(victimNode));

            victimProcess.Kill(); // SIGKILL on Unix: no shutdown, no last flush, no goodbye to the membership table
            var killedAt = DateTimeOffset.UtcNow;
            Assert.True(victimProcess.WaitForExit(5000), $"{victimNode} survived SIGKILL");
            // Attempt 1's last step as far as it got out: its flushed metrics and its last heartbeat to the trial.
            var flushedStep = await ScalarAsync<int?>(cluster, "SELECT max(step) FROM metrics WHERE trial_id = @victim AND name = @loss",
                new { victim, loss = SimulatedMetrics.Loss }) ?? 0;
            var afterKill = await TryAsync(() => grains.GetGrain<ITrialGrain>(victim).GetAsync());
            var stepReached = Math.Max(flushedStep, Math.Max(beforeKill.Step, afterKill?.Step ?? 0));
            var checkpointAtKill = Math.Max(beforeKill.LastCheckpointStep, afterKill?.LastCheckpointStep ?? 0);
            output.WriteLine($"killed {victimNode} (pid {victimProcess.Id}, silo port {victimPort}) running {victim} at {killedAt:HH:mm:ss.fff}: " +
                             $"step ≥ {stepReached} (metrics flushed to {flushedStep}, trial saw {beforeKill.Step}), checkpoint {checkpointAtKill}");

            // Watch the membership table and the sweep until both have settled.
            DateTimeOffset? seenDeadAt = null;
            SweepProgress progress;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (true)
            {
                if (seenDeadAt is null && (await cluster.MembershipOfAsync(victimPort)).Any(r => r.Status == MembershipRow.Dead))
                    seenDeadAt = DateTimeOffset.UtcNow;
                progress = await TryAsync(() => grains.GetGrain<ISweepGrain>(sweepId).GetProgressAsync())
                           ?? new SweepProgress(sweepId, "", SweepStatus.Running, 0, 0, 0, 0, 0, 0, null, null);
                if (progress.Status == SweepStatus.Completed && seenDeadAt is not null) break;
                Assert.True(DateTime.UtcNow < deadline,
                    $"after 120 s: sweep {progress}, victim silo dead: {seenDeadAt is not null}; logs in {cluster.Directory}/logs");
                await Task.Delay(Poll);
            }

            // The sweep completed, every trial once, the victim in two attempts.
            Assert.Equal((trialIds.Length, 0, 0), (progress.Completed, progress.Failed, progress.Cancelled));
            var done = await grains.GetGrain<ITrialGrain>(victim).GetAsync();
            Assert.Equal(TrialStatus.Completed, done.Status);
            Assert.Equal(2, done.Attempt);
            var (first, second) = (done.Attempts[0], done.Attempts[1]);
            Assert.Equal(victimSlot, first.SlotKey);
            Assert.Contains("lease expired", first.EndReason);
            Assert.NotEqual(victimNode, second.SlotKey.Split('/')[0]);
            // Attempt 2 resumed from the last checkpoint attempt 1 recorded, read back from the shared folder.
            Assert.Equal(checkpointAtKill, second.ResumedFromStep);
            Assert.True(File.Exists(Path.Combine(cluster.Directory, "checkpoints", victim, $"step-{second.ResumedFromStep:D6}.json")));
            foreach (var id in trialIds.Where(id => id != victim))
            {
                var other = await grains.GetGrain<ITrialGrain>(id).GetAsync();
                Assert.Equal((TrialStatus.Completed, 1), (other.Status, other.Attempt));
            }

            // The PostgreSQL mirror agrees.
            Assert.Equal("completed", await ScalarAsync<string>(cluster, "SELECT status FROM sweeps WHERE sweep_id = @sweepId", new { sweepId }));
            Assert.Equal(trialIds.Length, await ScalarAsync<long>(cluster, "SELECT count(*) FROM trials WHERE sweep_id = @sweepId AND status = 'completed'", new { sweepId }));

            Assert.Equal("completed", JsonDocument.Parse(await web.GetStringAsync($"/api/sweeps/{sweepId}")).RootElement
                .GetProperty("sweep").GetProperty("status").GetString());

            // Metrics: no (trial, step, name) twice, and every trial has every training step 1..N exactly once with the
            // runner's values (a replayed step keeps its first value, which an exact resume reproduces anyway).
            var duplicates = await ScalarAsync<long>(cluster,
                "SELECT count(*) FROM (SELECT 1 FROM metrics WHERE trial_id = ANY(@trialIds) GROUP BY trial_id, step, name HAVING count(*) > 1) d", new { trialIds });
            Assert.Equal(0, duplicates);
            var rows = await QueryAsync<(string TrialId, int Step, string Name, double Value)>(cluster,
                "SELECT trial_id, step, name, value FROM metrics WHERE trial_id = ANY(@trialIds) AND name = ANY(@names)", new { trialIds, names = TrainingMetrics });
            foreach (var id in trialIds)
            {
                var ofTrial = rows.Where(r => r.TrialId == id).ToList();
                var expected = Enumerable.Range(1, Steps).SelectMany(step => TrainingMetrics.Select(name => (step, name))).ToHashSet();
                Assert.Equal(expected.Count, ofTrial.Count);
                Assert.True(expected.SetEquals(ofTrial.Select(r => (r.Step, r.Name))), $"{id}: training metrics are not exactly steps 1..{Steps} × {{loss, reward/mean}}");
                Assert.All(ofTrial, r => Assert.Equal(SimulatedMetrics.At(id, r.Step)[r.Name], r.Value, 12));
            }

            // No grain on a surviving worker was deactivated because the dead silo held its directory entry (Orleans'
            // default directory does that, taking healthy slots and their trials down with the dead worker).
            foreach (var node in cluster.Nodes.Where(n => n != victimNode))
                Assert.DoesNotContain(File.ReadLines(cluster.LogOf(node)), line => line.Contains("was the primary directory partition", StringComparison.Ordinal));

            // Membership: the killed silo is Dead, the others Active.
            var victimRows = await cluster.MembershipOfAsync(victimPort);
            Assert.Equal(MembershipRow.Dead, Assert.Single(victimRows).Status);
            foreach (var node in cluster.Nodes.Where(n => n != victimNode))
                Assert.Equal(MembershipRow.Active, Assert.Single(await cluster.MembershipOfAsync(cluster.PortsOf(node).Silo)).Status);

            // The figures: detection (polled at 100 ms; the last death vote's own time), requeue, resume, steps redone.
            var lastVote = LastVoteAt(victimRows[0].SuspectTimes);
            var figures = new KillFigures(
                DetectedAfter: seenDeadAt!.Value - killedAt,
                LastDeathVoteAfter: lastVote - killedAt,
                RequeuedAfter: first.EndedAt!.Value - killedAt,
                ResumedAfter: second.StartedAt - killedAt,
                StepReached: stepReached,
                ResumedFromStep: second.ResumedFromStep,
                StepsRedone: stepReached - second.ResumedFromStep,
                SecondSlot: second.SlotKey);
            output.WriteLine(figures.ToString());
            output.WriteLine($"attempt 1 ended: {first.EndReason}");
            if (Environment.GetEnvironmentVariable("DSDR_KILL_FIGURES") is { Length: > 0 } figuresFile)
                File.AppendAllText(figuresFile, figures + Environment.NewLine); // deploy/local/kill-a-worker.sh collects these
            Assert.True(figures.StepsRedone is >= 0 and < CheckpointEvery + 10, $"{figures.StepsRedone} steps redone");
            Assert.True(figures.ResumedAfter > TimeSpan.Zero && figures.DetectedAfter > TimeSpan.Zero, figures.ToString());

            // The script is idempotent: start again restarts only the killed worker (a new generation on its old ports).
            var restart = await cluster.RunAsync("start");
            Assert.True(restart.ExitCode == 0, restart.ToString());
            Assert.Contains($"{victimNode} starting", restart.Output);
            foreach (var node in cluster.Nodes.Where(n => n != victimNode))
                Assert.Contains($"{node} already running", restart.Output);
            Assert.Equal([MembershipRow.Dead, MembershipRow.Active], (await cluster.MembershipOfAsync(victimPort)).Select(r => r.Status));
        }
        finally
        {
            await clientHost.StopAsync();
            clientHost.Dispose();
        }

        // Stop is clean: every worker gone, PostgreSQL down.
        var pids = cluster.Nodes.Select(cluster.PidOf).ToList();
        var stop = await cluster.StopAsync();
        Assert.DoesNotContain("SIGKILL", stop.Output);
        Assert.All(pids, pid => Assert.False(IsAlive(pid), $"pid {pid} still runs after stop"));
        Assert.False(File.Exists(Path.Combine(cluster.Directory, "postgres", "postmaster.pid")), "PostgreSQL still runs after stop");
        Directory.Delete(cluster.Directory, recursive: true);
    }

    [Fact]
    public async Task Script_refuses_bad_arguments_with_a_message_saying_what_to_write()
    {
        var workers = await LocalCluster.RunScriptAsync("start", "--workers", "none", "--dir", Path.Combine(Path.GetTempPath(), "dsdr-cluster-never"));
        Assert.NotEqual(0, workers.ExitCode);
        Assert.Contains("--workers must be a number from 1 to 99 (got 'none')", workers.Output);
        var command = await LocalCluster.RunScriptAsync("restart");
        Assert.NotEqual(0, command.ExitCode);
        Assert.Contains("unknown command 'restart': use start, stop, status or env", command.Output);
        var env = await LocalCluster.RunScriptAsync("env", "--dir", Path.Combine(Path.GetTempPath(), $"dsdr-cluster-none-{Guid.NewGuid():N}"));
        Assert.NotEqual(0, env.ExitCode);
        Assert.Contains("no cluster in", env.Output);
    }

    /// <summary>What the kill cost: how soon the cluster noticed, how soon the trial ran again, how much work was repeated.</summary>
    public sealed record KillFigures(
        TimeSpan DetectedAfter, TimeSpan LastDeathVoteAfter, TimeSpan RequeuedAfter, TimeSpan ResumedAfter,
        int StepReached, int ResumedFromStep, int StepsRedone, string SecondSlot)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"KILL-A-WORKER: dead in membership after {DetectedAfter.TotalSeconds:F1} s (last death vote {LastDeathVoteAfter.TotalSeconds:F1} s), " +
            $"trial requeued after {RequeuedAfter.TotalSeconds:F1} s, running again after {ResumedAfter.TotalSeconds:F1} s on {SecondSlot} " +
            $"({(ResumedAfter - RequeuedAfter).TotalSeconds:F1} s from requeue to start), " +
            $"resumed from step {ResumedFromStep}, attempt 1 reached step ≥ {StepReached}: {StepsRedone} step(s) redone");
    }

    private static DateTimeOffset LastVoteAt(string? suspectTimes)
    {
        using var votes = JsonDocument.Parse(suspectTimes ?? "[]");
        return votes.RootElement.EnumerateArray().Select(v => v.GetProperty("at").GetDateTimeOffset()).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A grain call that may fail while the cluster reacts to the kill (a gateway or silo gone): null then.</summary>
    private static async Task<T?> TryAsync<T>(Func<Task<T>> call) where T : class
    {
        try
        {
            return await call().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : struct
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            await Task.Delay(Poll);
        }
    }

    private static async Task<T> ScalarAsync<T>(LocalCluster cluster, string sql, object parameters)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    private static async Task<List<T>> QueryAsync<T>(LocalCluster cluster, string sql, object parameters)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }
}
