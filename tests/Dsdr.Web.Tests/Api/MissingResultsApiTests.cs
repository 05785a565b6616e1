using Dsdr.Core.Runs;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;

namespace Dsdr.Web.Tests.Api;

/// <summary>A sweep whose trials failed or were cancelled answers its results with a note saying why rows are missing, not a bare empty table.</summary>
[Collection(WebApiCollection.Name)]
public sealed class MissingResultsApiTests(WebApiFixture web)
{
    private const string Diverged = "Training diverged: the loss became NaN at update 4; lower the learning rate (base.learningRate) or check the training data.";

    [Fact]
    public async Task Results_say_which_trials_gave_no_row_and_why()
    {
        await using (var database = DsdrDatabase.FromConnectionString(web.ConnectionString, migrate: false))
        {
            var t0 = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
            await new SweepRepository(database).InsertAsync(new NewSweep("why-empty", "why-empty", """{"name":"why-empty"}"""));
            var trials = new TrialRepository(database);
            await trials.InsertAsync([
                new NewTrial("why-empty-d0", "why-empty", "dsdr", "dsdr", 0, """{"simulation":{"steps":40}}"""),
                new NewTrial("why-empty-d1", "why-empty", "dsdr", "dsdr", 1, """{"simulation":{"steps":40}}"""),
                new NewTrial("why-empty-g0", "why-empty", "grpo", "grpo", 0, """{"simulation":{"steps":40}}""")]);
            foreach (var id in new[] { "why-empty-d0", "why-empty-d1" })
                Assert.True(await trials.SyncAsync(new TrialSync(id, TrialStatus.Failed, 1, null, null, 3, null, null, Diverged, t0, t0.AddMinutes(1))));
            Assert.True(await trials.SyncAsync(new TrialSync("why-empty-g0", TrialStatus.Cancelled, 0, null, null, 0, null, null, null, null, t0.AddMinutes(1))));
        }
        using var client = web.Client();

        var json = await (await client.GetAsync("/api/sweeps/why-empty/results")).ReadJsonAsync();
        Assert.Equal(0, json.GetProperty("rows").GetArrayLength());
        var missing = json.GetProperty("missing").EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Equal(["dsdr: 2 trials failed (training diverged)", "grpo: 1 trial cancelled"], missing);
        var markdown = await (await client.GetAsync("/api/sweeps/why-empty/results?format=markdown")).Content.ReadAsStringAsync();
        Assert.Contains("Missing: dsdr: 2 trials failed (training diverged); grpo: 1 trial cancelled.", markdown);
    }
}
