using Dsdr.Cli.Commands;
using Dsdr.Cli.Platform;
using Dsdr.Core.Sweeps;
using Microsoft.Extensions.Configuration;

namespace Dsdr.Cli.Tests;

/// <summary>dsdr serve / dsdr demo: option parsing and bad input (the platform start is recorded, not run).</summary>
public class PlatformCommandTests
{
    /// <summary>Runs a command with a starter that records the options it was given and refuses to start.</summary>
    private static (CliRunner.Result Result, PlatformOptions? Options) Record(params string[] args)
    {
        PlatformOptions? seen = null;
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Run(args, new CliIo(new StringReader(""), output, error), (options, _) =>
        {
            seen = options;
            throw new CliUnavailableException("recorded");
        });
        return (new CliRunner.Result(exit, output.ToString(), error.ToString()), seen);
    }

    [Fact]
    public void ServeDefaultsToLocalhost5080TwoCpuSlotsAndEmbeddedPostgres()
    {
        var (result, options) = Record("serve");
        Assert.Equal(1, result.Exit);
        Assert.NotNull(options);
        Assert.Equal("http://localhost:5080", options.Urls);
        Assert.Equal("cpu:2", options.Devices);
        Assert.Equal(PlatformOptions.DefaultDataDirectory("platform"), options.DataDirectory);
        Assert.Null(options.ConnectionString);
        Assert.False(options.Simulated);
        Assert.Equal((11111, 30000), (options.SiloPort, options.GatewayPort));
    }

    [Fact]
    public void ServeTakesUrlsDevicesDataDirConnectionStringAndKey()
    {
        var data = Path.Combine(Path.GetTempPath(), "dsdr-cli-serve-options");
        var (_, options) = Record("serve", "--urls", "http://0.0.0.0:8080", "--devices", "cpu:4", "--data-dir", data,
            "--connection-string", "Host=db;Username=dsdr", "--api-key", "0123456789abcdef0123", "--simulated", "--silo-port", "12000", "--gateway-port", "12001");
        Assert.NotNull(options);
        Assert.Equal(("http://0.0.0.0:8080", "cpu:4", data), (options.Urls, options.Devices, options.DataDirectory));
        Assert.Equal(("Host=db;Username=dsdr", "0123456789abcdef0123"), (options.ConnectionString, options.ApiKey));
        Assert.True(options.Simulated);
        Assert.Equal((12000, 12001), (options.SiloPort, options.GatewayPort));
    }

    [Fact]
    public void DemoDefaultsToOneCpuSlotPerTrialAndItsOwnDataFolder()
    {
        var (_, options) = Record("demo");
        Assert.NotNull(options);
        Assert.Equal(DemoCommand.DemoDevices, options.Devices);
        Assert.Equal(PlatformOptions.DefaultDataDirectory("demo"), options.DataDirectory);
        Assert.Equal("http://localhost:5080", options.Urls);
    }

    [Theory]
    [InlineData("serve", "--devices", "gpu:1", "--devices:")]
    [InlineData("demo", "--devices", "cpu:0", "--devices:")]
    [InlineData("serve", "--urls", "ftp://x", "--urls: 'ftp://x'")]
    [InlineData("demo", "--urls", "", "--urls is empty")]
    [InlineData("serve", "--silo-port", "70000", "--silo-port: 70000")]
    [InlineData("demo", "--spec", "/no/such/spec.json", "'/no/such/spec.json' not found")]
    [InlineData("demo", "--json", "/no/such/folder/results.json", "folder '/no/such/folder' does not exist")]
    [InlineData("serve", "--api-key", "short", "at least 16")]
    public void BadOptionsExitTwoNamingTheOption(string command, string option, string value, string expected)
    {
        var (result, options) = Record(command, option, value);
        Assert.Equal(2, result.Exit);
        Assert.Contains(expected, result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.Null(options); // refused before anything starts
    }

    [Fact]
    public void TheBuiltInDemoSpecIsExamplesDemoJsonWithFiveArmsFromOneBackbone()
    {
        var builtIn = DemoCommand.BuiltInSpec();
        Assert.Equal(File.ReadAllText(RepoPaths.Example("demo.json")), builtIn);
        var spec = SweepSpecParser.Parse(builtIn).Spec!;
        var trials = SweepExpander.Expand(spec);
        Assert.Equal(["grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc"], trials.Select(t => t.Arm).Distinct());
        // every arm on the report seeds 1, 2, 3, which exclude the calibration seeds 101 and 102 (docs/REFERENCE-EXPERIMENT.md)
        Assert.Equal([1, 2, 3], spec.Seeds);
        Assert.Equal(spec.Arms.Count * 3, trials.Count);
        // one SFT backbone: every trial has the same task, model and SFT spec (the SFT cache key)
        Assert.Single(trials.Select(t => (t.Task, t.Model.Preset, t.Model.Sft)).Distinct());
        Assert.True(trials[0].Model.Sft.Enabled);
        Assert.Equal(16, spec.Eval.AvgK);
        Assert.Equal(16, spec.Eval.PassKSamples);
    }

    [Fact]
    public void SeedsReplaceTheSpecsSeedsAndNameTheSweepAfterThem()
    {
        var spec = SweepSpecParser.Parse(DemoCommand.BuiltInSpec()).Spec!;
        var rerun = SweepSpecParser.Parse(DemoCommand.WithSeeds(DemoCommand.BuiltInSpec(), [4, 5, 6, 7]));
        Assert.True(rerun.IsValid, string.Join("; ", rerun.Errors));
        Assert.Equal($"{spec.Name}-seeds-4-5-6-7", rerun.Spec!.Name);
        Assert.Equal([4, 5, 6, 7], rerun.Spec.Seeds);
        var trials = SweepExpander.Expand(rerun.Spec);
        Assert.Equal(spec.Arms.Count * 4, trials.Count);
        // everything but the seeds is the demo's
        Assert.Equal(SweepExpander.Expand(spec).Select(t => (t.Arm, t.Config with { Seed = 0 }, t.Task, t.Eval)).Distinct(),
            trials.Select(t => (t.Arm, t.Config with { Seed = 0 }, t.Task, t.Eval)).Distinct());
    }

    [Theory]
    [InlineData("4,5,x", "\"x\" is not a whole number")]
    [InlineData("4,-1", "\"-1\" is not a whole number ≥ 0")]
    [InlineData("4,4", "4 appears twice")]
    public void BadSeedsAreRefusedNamingTheOption(string seeds, string reason)
    {
        var result = CliRunner.Run("demo", "--seeds", seeds, "--simulated", "--data-dir", Path.Combine(Path.GetTempPath(), "dsdr-never-started"));
        Assert.Equal(2, result.Exit);
        Assert.Contains("--seeds", result.Error);
        Assert.Contains(reason, result.Error);
    }

    [Fact]
    public void WebOptionsKeepDataCheckpointsAndKeyUnderTheDataFolderAndReadTheEnvironment()
    {
        var data = Path.Combine(Path.GetTempPath(), "dsdr-cli-web-options");
        var environment = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DSDR_PG"] = "Host=pg;Username=dsdr",
            ["Dsdr:ApiKey"] = "from-the-environment-0123",
        }).Build();
        var web = WebPlatform.WebOptions(new PlatformOptions("http://localhost:5080", "cpu:3", data), environment);
        Assert.Equal(Path.Combine(data, "postgres"), web.DataDirectory);
        Assert.Equal(Path.Combine(data, "checkpoints"), web.CheckpointDirectory);
        Assert.Equal(Path.Combine(data, "api-key"), Web.Hosting.ApiKey.FilePathFor(web));
        Assert.Equal(3, web.Devices.Count);
        Assert.Equal("Host=pg;Username=dsdr", web.ConnectionString);
        Assert.Equal("from-the-environment-0123", web.ApiKey);

        var given = WebPlatform.WebOptions(new PlatformOptions("http://localhost:5080", "cpu:1", data, "Host=mine", "my-own-key-0123456789"), environment);
        Assert.Equal(("Host=mine", "my-own-key-0123456789"), (given.ConnectionString, given.ApiKey));
    }
}

/// <summary>dsdr demo end to end on a real platform with the simulated runner: runs, and a rerun resumes the same sweep.</summary>
public class DemoSmokeTests
{
    [Fact]
    public void DemoRunsTheSweepToTheEndAndARerunFindsItDone()
    {
        var data = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var jsonPath = Path.Combine(data, "results.json");
            var reportFolder = Path.Combine(data, "report");
            string[] Args() => ["demo", "--simulated", "--data-dir", data, "--urls", "http://127.0.0.1:0",
                "--silo-port", PlatformFixture.FreePort().ToString(), "--gateway-port", PlatformFixture.FreePort().ToString(), "--json", jsonPath,
                "--report", reportFolder];
            Directory.CreateDirectory(data);
            var first = CliRunner.Run(Args());
            Assert.True(first.Exit == 0, first.Output + first.Error);
            Assert.Matches(@"dashboard: http://127\.0\.0\.1:\d+/sweeps/demo", first.Output);
            Assert.Contains("API key: ", first.Output);
            Assert.Contains("submitted sweep demo: 15 trials", first.Output);
            Assert.Contains("grpo completed 150/150", first.Output);
            Assert.Contains("demo: completed", first.Output);
            // the result table: Backbone and the five arms, Avg@16, pass@16 and distinct columns (simulated evaluations)
            foreach (var row in new[] { "Backbone", "grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc" }) Assert.Contains($"| {row} |", first.Output);
            Assert.Contains("Avg@16", first.Output);
            Assert.Contains("pass@16", first.Output);
            Assert.Contains("distinct", first.Output);
            // with intervals and the paired difference against grpo, and the same table as JSON in --json's file
            Assert.Contains("Avg@16 95 % CI", first.Output);
            Assert.Contains("Δ vs grpo", first.Output);
            Assert.Contains($"result table (json) written to {jsonPath}", first.Output);
            var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(jsonPath)).RootElement;
            Assert.Equal(["Backbone", "grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc"], json.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("row").GetString()));
            var dsdrCell = json.GetProperty("rows")[3].GetProperty("cells")[0];
            Assert.Equal("grpo", dsdrCell.GetProperty("delta").GetProperty("reference").GetString());
            Assert.True(dsdrCell.TryGetProperty("ciLow", out _) && dsdrCell.TryGetProperty("std", out _));
            Assert.True(File.Exists(Path.Combine(data, "api-key")));
            // --report: the report of the demo's sweep, as 'dsdr report' writes it; the demo has no λ grid and says so
            Assert.Contains($"report of sweep demo written to {reportFolder}", first.Output);
            var report = File.ReadAllText(Path.Combine(reportFolder, "report.md"));
            Assert.Contains("## Claims", report);
            Assert.Contains("The sweep has no λ grid", report);
            Assert.True(File.Exists(Path.Combine(reportFolder, "figures", "pass-at-k-simulated.svg")));

            var second = CliRunner.Run(Args());
            Assert.True(second.Exit == 0, second.Output + second.Error);
            Assert.Contains("resuming sweep demo", second.Output);
            Assert.Contains("demo: completed", second.Output);
            // the key is shown once, on the start that generated it; later starts say where it is (issue 18: not in every service log)
            var key = File.ReadAllText(Path.Combine(data, "api-key")).Trim();
            Assert.Contains($"API key: {key} (new, shown once", first.Output);
            Assert.DoesNotContain(key, second.Output);
            Assert.Contains($"API key: in {Path.Combine(data, "api-key")}", second.Output);
            Assert.Equal(key, CliRunner.Run("key", "--data-dir", data).Output.Trim()); // the same key, on request
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

public class DemoProgressTests
{
    [Fact]
    public void SftIsInProgressWhileALockExistsAndNoFinishedBackbone()
    {
        var cache = Path.Combine(Path.GetTempPath(), "dsdr-cli-sft", Guid.NewGuid().ToString("N"));
        try
        {
            Assert.False(DemoCommand.SftInProgress(cache));
            Directory.CreateDirectory(cache);
            File.WriteAllText(Path.Combine(cache, "sft-abc.lock"), "");
            Directory.CreateDirectory(Path.Combine(cache, ".sft-abc.tmp-1"));
            Assert.True(DemoCommand.SftInProgress(cache));
            Directory.CreateDirectory(Path.Combine(cache, "sft-abc"));
            File.WriteAllText(Path.Combine(cache, "sft-abc", Learning.Sft.SftWarmStart.SummaryFile), "{}");
            Assert.False(DemoCommand.SftInProgress(cache));
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }
}
