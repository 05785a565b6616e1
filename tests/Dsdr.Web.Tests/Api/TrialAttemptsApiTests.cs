using Dsdr.Core.Runs;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;
using Dsdr.Web.Services;

namespace Dsdr.Web.Tests.Api;

/// <summary>GET /api/trials/{id} lists every attempt; a failed one keeps its reason after a later attempt succeeded, and the sweep flags the trial.</summary>
[Collection(WebApiCollection.Name)]
public sealed class TrialAttemptsApiTests(WebApiFixture web)
{
    private const string Reason = "ExternalException: Unknown scalar type. (at Dsdr.Learning.Model.Qwen2RmsNorm.forward, Qwen2ForCausalLM.cs:391)";

    [Fact]
    public async Task A_trial_record_lists_its_attempts_with_the_failed_ones_reason_and_the_sweep_flags_it()
    {
        // the grains' copy of a trial whose first attempt failed on one slot and whose second completed on another
        await using (var database = DsdrDatabase.FromConnectionString(web.ConnectionString, migrate: false))
        {
            var t0 = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
            await new SweepRepository(database).InsertAsync(new NewSweep("retried", "retried", """{"name":"retried"}"""));
            var trials = new TrialRepository(database);
            await trials.InsertAsync([new NewTrial("retried-t1", "retried", "dapo", "dapo", 0, """{"simulation":{"steps":40}}""")]);
            Assert.True(await trials.SyncAsync(new TrialSync("retried-t1", TrialStatus.Completed, 2, null, null, 40, "/ckpt/step-000040", 40, null,
                t0, t0.AddMinutes(9),
                [new TrialAttemptRow(1, "local/cpu:1", 0, t0, t0.AddMinutes(2), "failed", Reason),
                 new TrialAttemptRow(2, "node-b/cpu:0", 20, t0.AddMinutes(3), t0.AddMinutes(9), "completed", null)])));
        }
        using var client = web.Client();

        var json = await (await client.GetAsync("/api/trials/retried-t1")).ReadJsonAsync();
        var attempts = json.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(2, attempts.Count);
        var failed = attempts[0];
        Assert.Equal((1, "local", "local/cpu:1", "failed", Reason),
            (failed.GetProperty("number").GetInt32(), failed.GetProperty("node").GetString(), failed.GetProperty("slotKey").GetString(),
             failed.GetProperty("outcome").GetString(), failed.GetProperty("reason").GetString()));
        Assert.Equal(new DateTime(2026, 3, 1, 12, 2, 0, DateTimeKind.Utc), failed.GetProperty("endedAt").GetDateTime().ToUniversalTime());
        Assert.Equal(("node-b", 20, "completed"), (attempts[1].GetProperty("node").GetString(), attempts[1].GetProperty("resumedFromStep").GetInt32(),
            attempts[1].GetProperty("outcome").GetString()));
        Assert.Equal("completed", json.GetProperty("trial").GetProperty("status").GetString());

        var sweep = await (await client.GetAsync("/api/sweeps/retried")).ReadAsync<SweepDetails>();
        var row = Assert.Single(sweep.Trials);
        Assert.Equal((2, 1, Reason, true), (row.Attempts, row.FailedAttempts, row.LastFailure, row.Retried));
    }
}
