using System.Text.Json;

namespace Dsdr.Cli.Tests;

/// <summary>dsdr sweep submit|status|results|cancel against a real platform (simulated runner) over HTTP.</summary>
[Collection(PlatformCollection.Name)]
public class SweepApiCommandTests(PlatformFixture platform)
{
    private static string Spec(string name, int steps = 5) =>
        File.ReadAllText(RepoPaths.Example("countdown-ablation.json"))
            .Replace("\"countdown-ablation\"", $"\"{name}\"", StringComparison.Ordinal)
            .Replace("\"totalSteps\": 150", $"\"totalSteps\": {steps}", StringComparison.Ordinal);

    private CliRunner.Result Sweep(string stdin, params string[] args) =>
        CliRunner.RunWithInput(stdin, ["sweep", .. args, "--api", platform.Url]);

    [Fact]
    public void SubmitNeedsTheApiKeyAndSaysHowToGiveIt()
    {
        var result = Sweep(Spec("cli-nokey"), "submit", "-");
        Assert.Equal(2, result.Exit);
        Assert.Contains("X-Api-Key", result.Error);
        Assert.Contains("--api-key", result.Error);
        Assert.All(result.Error.TrimEnd().Split('\n'), line => Assert.StartsWith("dsdr: ", line));
    }

    [Fact]
    public async Task SubmitStatusResultsCancelRoundTrip()
    {
        var submitted = Sweep(Spec("cli-roundtrip", steps: 2000), "submit", "-", "--api-key", platform.ApiKey);
        Assert.True(submitted.Exit == 0, submitted.Error);
        Assert.Contains("submitted sweep cli-roundtrip: 5 trials queued", submitted.Output);

        var again = Sweep(Spec("cli-roundtrip", steps: 2000), "submit", "-", "--api-key", platform.ApiKey);
        Assert.Equal(0, again.Exit);
        Assert.Contains("already submitted", again.Output);

        var status = Sweep("", "status", "cli-roundtrip");
        Assert.Equal(0, status.Exit);
        Assert.StartsWith("cli-roundtrip (cli-roundtrip): ", status.Output);
        foreach (var arm in new[] { "grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc" }) Assert.Contains(arm, status.Output);

        var json = Sweep("", "status", "cli-roundtrip", "--json");
        var trials = JsonDocument.Parse(json.Output).RootElement.GetProperty("trials");
        Assert.Equal(5, trials.GetArrayLength());

        var cancelled = Sweep("", "cancel", "cli-roundtrip", "--api-key", platform.ApiKey);
        Assert.True(cancelled.Exit == 0, cancelled.Error);
        Assert.StartsWith("cancelled: cli-roundtrip", cancelled.Output);
        await WaitFor(() => Sweep("", "status", "cli-roundtrip").Output.Contains("0 running, 0 queued"), "the sweep's trials to stop");

    }

    [Fact]
    public async Task ResultsOfACompletedSweepInEveryFormat()
    {
        // 100 simulated steps: evaluations at 0, 50 and 100 (the simulated runner's cadence is the spec's everySteps)
        Assert.Equal(0, Sweep(Spec("cli-results", steps: 100), "submit", "-", "--api-key", platform.ApiKey).Exit);
        await WaitFor(() => Sweep("", "status", "cli-results").Output.Contains(": completed"), "the sweep to complete");

        var markdown = Sweep("", "results", "cli-results");
        Assert.True(markdown.Exit == 0, markdown.Error);
        Assert.StartsWith("| Row |", markdown.Output);
        foreach (var row in new[] { "Backbone", "grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc" }) Assert.Contains($"| {row} |", markdown.Output);
        Assert.Contains("95 % CI |", markdown.Output);
        Assert.Contains("Δ vs grpo |", markdown.Output);
        Assert.Contains("| grpo | ", markdown.Output);

        // --reference picks the row the differences are against; an unknown one is refused naming the parameter
        var vsDsdr = Sweep("", "results", "cli-results", "--metric", "avg@16", "--reference", "dsdr");
        Assert.True(vsDsdr.Exit == 0, vsDsdr.Error);
        Assert.Contains("Δ vs dsdr |", vsDsdr.Output);
        var unknown = Sweep("", "results", "cli-results", "--reference", "ppo");
        Assert.Equal(2, unknown.Exit);
        Assert.Contains("reference: reference \"ppo\" is not a row of this table", unknown.Error);

        var csv = Sweep("", "results", "cli-results", "--format", "csv", "--metric", "distinct");
        Assert.True(csv.Exit == 0, csv.Error);
        var lines = csv.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("row,arm,benchmark,metric,k,mean,std,n,ci_low,ci_high,delta_reference,", lines[0]);
        Assert.Equal(6, lines.Length - 1); // Backbone and five arms, one metric
        Assert.All(lines.Skip(1), line => Assert.Equal("distinct", line.Split(',')[3]));

        var json = Sweep("", "results", "cli-results", "--format", "json", "--metric", "avg@16", "--metric", "distinct");
        Assert.True(json.Exit == 0, json.Error);
        var document = JsonDocument.Parse(json.Output).RootElement;
        Assert.Equal(JsonValueKind.Object, document.ValueKind);
        var dsdrAvg = document.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("row").GetString() == "dsdr").GetProperty("cells")[0];
        Assert.True(dsdrAvg.GetProperty("ciLow").GetDouble() <= dsdrAvg.GetProperty("mean").GetDouble());
        Assert.Equal("grpo", dsdrAvg.GetProperty("delta").GetProperty("reference").GetString());

        var latex = Sweep("", "results", "cli-results", "--format", "latex");
        Assert.True(latex.Exit == 0, latex.Error);
        Assert.Contains("\\begin{tabular}", latex.Output);
    }

    [Fact]
    public void ADifferentSpecUnderAUsedNameIsRefusedWithTheServersReason()
    {
        Assert.Equal(0, Sweep(Spec("cli-conflict", steps: 3), "submit", "-", "--api-key", platform.ApiKey).Exit);
        var result = Sweep(Spec("cli-conflict", steps: 4), "submit", "-", "--api-key", platform.ApiKey);
        Assert.Equal(2, result.Exit);
        Assert.Contains("already exists with a different spec", result.Error);
    }

    [Fact]
    public void UnknownSweepAndBadMetricAreOneLineEach()
    {
        var missing = Sweep("", "status", "no-such-sweep");
        Assert.Equal(2, missing.Exit);
        Assert.Equal("dsdr: There is no sweep 'no-such-sweep'.", missing.Error.Trim());

        var metric = Sweep("", "results", "no-such-sweep", "--metric", "foo");
        Assert.Equal(2, metric.Exit);
        Assert.Contains("metric: unknown metric \"foo\"", metric.Error);
        Assert.Single(metric.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void ASearchSubmitsItsBudgetAndABadRangeIsRefusedNamingTheField()
    {
        static string WithSearch(string name, string search) => Spec(name, steps: 3)
            .Replace("\"seeds\": [0]", $"\"search\": {search},\n  \"seeds\": [0]", StringComparison.Ordinal);
        var good = Sweep(WithSearch("cli-search", """{"method": "random", "trials": 4, "seed": 9, "space": {"learningRate": {"min": 0.0001, "max": 0.01, "scale": "log"}}}"""),
            "submit", "-", "--api-key", platform.ApiKey);
        Assert.True(good.Exit == 0, good.Error);
        Assert.Contains("submitted sweep cli-search: 20 trials queued", good.Output); // 5 arms × 4 points × 1 seed

        var bad = Sweep(WithSearch("cli-search-bad", """{"method": "sobol", "trials": 0, "space": {"lambdaD": {"min": 0.2, "max": 0.1}}}"""),
            "submit", "-", "--api-key", platform.ApiKey);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("$.search.trials: must be ≥ 1", bad.Error);
        Assert.Contains("$.search.space.lambdaD: min 0.2 is greater than max 0.1", bad.Error);
        Assert.Equal(2, Sweep("", "status", "cli-search-bad").Exit); // nothing stored
    }

    [Fact]
    public void ABadEarlyStoppingRuleIsRefusedNamingTheFieldAndNothingIsStored()
    {
        var spec = Spec("cli-stopping-bad", steps: 3)
            .Replace("\"seeds\": [0]", """
                "earlyStopping": {"asha": {"metric": "reward/mean", "rungs": [3], "reductionFactor": 1}, "diversityCollapse": {"metric": "entropy", "fraction": 0}},
                  "seeds": [0]
                """, StringComparison.Ordinal);
        var bad = Sweep(spec, "submit", "-", "--api-key", platform.ApiKey);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("$.earlyStopping.asha.reductionFactor: must be ≥ 2", bad.Error);
        Assert.Contains("$.earlyStopping.diversityCollapse.fraction: must be in (0, 1)", bad.Error);
        Assert.Equal(2, Sweep("", "status", "cli-stopping-bad").Exit); // nothing stored

        var beyond = Sweep(spec.Replace("\"reductionFactor\": 1", "\"reductionFactor\": 3").Replace("\"fraction\": 0}", "\"fraction\": 0.5}"), "submit", "-", "--api-key", platform.ApiKey);
        Assert.Equal(2, beyond.Exit);
        Assert.Contains("$.earlyStopping.asha.rungs[0]: step 3 is not below the trials' total steps 3", beyond.Error);
    }

    [Fact]
    public void InvalidSpecIsRefusedBeforeTheRoundTripNamingEachField()
    {
        const string spec = """{"name":"x","task":{"kind":"countdown"},"model":{"preset":"small"},"arms":["grpo","foo"],"seeds":[1,1]}""";
        var result = Sweep(spec, "submit", "-", "--api-key", platform.ApiKey);
        Assert.Equal(2, result.Exit);
        Assert.Contains("$.arms[1]: unknown arm \"foo\"", result.Error);
        Assert.Contains("$.seeds[1]: duplicate seed 1", result.Error);
    }

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(250);
        }
    }
}

/// <summary>The client's answers when no platform is there or the input is wrong (no server needed).</summary>
public class SweepApiErrorTests
{
    [Fact]
    public void UnreachableServerExitsOneAndSaysHowToStartIt()
    {
        var port = PlatformFixture.FreePort();
        var result = CliRunner.Run("sweep", "status", "x", "--api", $"http://127.0.0.1:{port}");
        Assert.Equal(1, result.Exit);
        Assert.Contains($"cannot reach the Dsdr API at http://127.0.0.1:{port}/", result.Error);
        Assert.Contains("dsdr serve", result.Error);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.com")]
    public void ApiThatIsNotAnHttpUrlExitsTwo(string api)
    {
        var result = CliRunner.Run("sweep", "status", "x", "--api", api);
        Assert.Equal(2, result.Exit);
        Assert.Contains("--api:", result.Error);
    }

    [Fact]
    public void UnknownFormatExitsTwoNamingTheChoices()
    {
        var result = CliRunner.Run("sweep", "results", "x", "--format", "xml");
        Assert.Equal(2, result.Exit);
        Assert.Contains("xml", result.Error);
    }

    [Fact]
    public void MissingSweepIdExitsTwo()
    {
        var result = CliRunner.Run("sweep", "cancel");
        Assert.Equal(2, result.Exit);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void ProblemDetailsBecomeOneLinePerError()
    {
        const string validation = """{"title":"The sweep spec is invalid","status":400,"errors":[{"path":"$.arms[0]","reason":"unknown arm"},{"path":"$.seeds","reason":"empty"}]}""";
        Assert.Equal(["$.arms[0]: unknown arm", "$.seeds: empty"], Api.DsdrApiClient.ProblemLines(validation));
        const string aspnet = """{"title":"One or more validation errors occurred.","errors":{"name":["is required","is too long"]}}""";
        Assert.Equal(["name: is required", "name: is too long"], Api.DsdrApiClient.ProblemLines(aspnet));
        const string parameter = """{"title":"Invalid query parameter 'step'","detail":"bad step","parameter":"step"}""";
        Assert.Equal(["step: bad step"], Api.DsdrApiClient.ProblemLines(parameter));
        Assert.Equal(["No such sweep"], Api.DsdrApiClient.ProblemLines("""{"title":"No such sweep"}"""));
        Assert.Empty(Api.DsdrApiClient.ProblemLines(""));
    }

    [Fact]
    public void The_status_line_counts_trials_stopped_early_when_there_are_any()
    {
        static string Line(string json) => Commands.SweepApiCommands.Summary(JsonDocument.Parse(json).RootElement);
        const string counts = "\"sweepId\":\"s\",\"name\":\"s\",\"status\":\"completed\",\"trials\":9,\"running\":0,\"queued\":0,\"completed\":3,\"failed\":0,\"cancelled\":0";
        Assert.Equal("s (s): completed — 9 trials: 0 running, 0 queued, 3 completed, 0 failed, 0 cancelled, 6 stopped early", Line($"{{{counts},\"stopped\":6}}"));
        Assert.Equal("s (s): completed — 9 trials: 0 running, 0 queued, 3 completed, 0 failed, 0 cancelled", Line($"{{{counts},\"stopped\":0}}"));
        Assert.Equal("s (s): completed — 9 trials: 0 running, 0 queued, 3 completed, 0 failed, 0 cancelled", Line($"{{{counts}}}"));
    }
}
