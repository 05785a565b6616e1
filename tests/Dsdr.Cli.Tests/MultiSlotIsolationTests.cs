using System.Net;
using System.Text;
using System.Text.Json;
using Dsdr.Cli.Platform;

namespace Dsdr.Cli.Tests;

/// <summary>
/// Issue 18's promise on a real node: one process, two CPU slots, the TorchSharp runner. A trial whose prompts turn out
/// longer than its memory budget allows fails alone, with one sentence and no server path; the trial training beside it
/// completes, and the API and the dashboard answer throughout.
/// </summary>
public sealed class MultiSlotIsolationTests : IAsyncDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));

    private string DataDirectory => _scratch;

    // the default data root: "datasets" in the platform's data folder
    private string DataRoot => Path.Combine(_scratch, "datasets");

    private const string Countdown = """
        {
          "name": "isolation-countdown",
          "task": { "kind": "countdown", "trainSize": 40, "heldOutSize": 4 },
          "model": { "preset": "countdown", "sft": { "enabled": false } },
          "base": { "totalSteps": 40, "promptsPerStep": 2, "groupSize": 2, "miniBatchesPerStep": 1, "maxNewTokens": 6,
                    "overlongBufferLength": 2, "learningRate": 0.001 },
          "arms": ["grpo"],
          "seeds": [1],
          "eval": { "everySteps": 40, "atStart": false, "avgK": 1, "passKSamples": 1 }
        }
        """;

    // A math file's problems are not read at submission, so their length cannot be in its estimate: 3,000-character
    // problems only show at run time, where the trial's 1 GiB budget cannot hold 8 × 8 sequences of them.
    private string MathSpec(string train, string benchmark) => $$"""
        {
          "name": "isolation-math",
          "task": { "kind": "math", "trainPath": {{JsonSerializer.Serialize(train)}},
                    "benchmarks": [ { "name": "MATH500", "path": {{JsonSerializer.Serialize(benchmark)}} } ] },
          "model": { "preset": "tiny", "sft": { "enabled": false } },
          "base": { "totalSteps": 5, "promptsPerStep": 8, "groupSize": 8, "maxNewTokens": 16 },
          "arms": ["grpo"],
          "seeds": [1],
          "eval": { "everySteps": 5, "atStart": false, "avgK": 1, "passKSamples": 1 },
          "resources": { "memoryGiB": 1 }
        }
        """;

    [Fact]
    public async Task A_trial_over_its_memory_budget_fails_alone_and_the_trial_beside_it_completes()
    {
        Directory.CreateDirectory(DataRoot);
        var train = Path.Combine(DataRoot, "long-train.jsonl");
        var benchmark = Path.Combine(DataRoot, "math500.jsonl");
        File.WriteAllLines(train, Enumerable.Range(1, 16).Select(i =>
            JsonSerializer.Serialize(new { problem = $"{i} + " + new string('1', 3000), answer = "1" })));
        File.WriteAllLines(benchmark, Enumerable.Range(1, 4).Select(i => JsonSerializer.Serialize(new { problem = $"{i} + 1", answer = $"{i + 1}" })));

        await using var session = await WebPlatform.StartAsync(
            new PlatformOptions("http://127.0.0.1:0", "cpu:2", DataDirectory, SiloPort: PlatformFixture.FreePort(), GatewayPort: PlatformFixture.FreePort()),
            CancellationToken.None);
        using var client = new HttpClient { BaseAddress = session.Url, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", session.ApiKey);

        var submitted = await Submit(client, Countdown);
        Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());
        await WaitFor(async () => (await Trial(client, "isolation-countdown")).GetProperty("status").GetString() == "running", "the countdown trial to start");
        submitted = await Submit(client, MathSpec(train, benchmark));
        Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync());

        await WaitFor(async () => (await Trial(client, "isolation-math")).GetProperty("status").GetString() == "failed", "the math trial to fail");
        var countdownWhenMathFailed = await Trial(client, "isolation-countdown");
        Assert.Equal("running", countdownWhenMathFailed.GetProperty("status").GetString()); // both were in the process at once

        var failed = await Trial(client, "isolation-math");
        var error = failed.GetProperty("error").GetString()!;
        Assert.StartsWith("The trial needs ~", error);
        Assert.Contains("over its 1 GiB budget", error);
        Assert.True(error.Contains("raise resources.memoryGiB"), error);
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32()); // deterministic: not retried
        Assert.Equal("failed", (await Sweep(client, "isolation-math")).GetProperty("sweep").GetProperty("status").GetString());

        await WaitFor(async () => (await Trial(client, "isolation-countdown")).GetProperty("status").GetString() == "completed", "the countdown trial to complete");
        Assert.Equal("completed", (await Sweep(client, "isolation-countdown")).GetProperty("sweep").GetProperty("status").GetString());

        // what a caller sees of the failure — the trial's API record and the dashboard's sweep page — names no server folder
        var trialId = failed.GetProperty("trialId").GetString()!;
        // (the paths the caller sent come back in the trial's config and the sweep's spec; nothing else of the server's)
        string Sent(string text) => text.Replace("\\/", "/").Replace(train, "(sent)").Replace(benchmark, "(sent)");
        var record = Sent(await client.GetStringAsync($"/api/trials/{trialId}"));
        var page = Sent(WebUtility.HtmlDecode(await client.GetStringAsync("/sweeps/isolation-math")));
        Assert.Contains("over its 1 GiB budget", record);
        Assert.Contains("over its 1 GiB budget", page);
        foreach (var text in new[] { record, page })
        {
            Assert.DoesNotContain(_scratch, text);
            Assert.DoesNotContain("long-train.jsonl", text);
            Assert.DoesNotContain(new string('1', 100), text); // nor the file's content
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/sweeps")).StatusCode);
    }

    private static Task<HttpResponseMessage> Submit(HttpClient client, string spec) =>
        client.PostAsync("/api/sweeps", new StringContent(spec, Encoding.UTF8, "application/json"));

    private static async Task<JsonElement> Sweep(HttpClient client, string id) =>
        JsonDocument.Parse(await client.GetStringAsync($"/api/sweeps/{id}")).RootElement;

    private static async Task<JsonElement> Trial(HttpClient client, string sweepId) =>
        (await Sweep(client, sweepId)).GetProperty("trials").EnumerateArray().Single();

    private static async Task WaitFor(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited 3 min for {what}");
            await Task.Delay(200);
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
            // PostgreSQL may still be releasing its files; the folder is under /tmp
        }
        return ValueTask.CompletedTask;
    }
}
