using System.Text.Json;

namespace Dsdr.Cli.Tests;

public class SweepCommandTests
{
    [Fact]
    public void ExpandPrintsOneTableRowPerTrial()
    {
        var result = CliRunner.Run("sweep", "expand", RepoPaths.Example("countdown-ablation.json"));
        Assert.Equal(0, result.Exit);
        Assert.Contains("5 trials", result.Output);
        foreach (var arm in new[] { "grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc" })
            Assert.Contains(arm, result.Output);
    }

    [Fact]
    public void ExpandJsonListsTrialsWithStableIds()
    {
        var first = CliRunner.Run("sweep", "expand", "--json", RepoPaths.Example("dsdr-lambda-grid.json"));
        var second = CliRunner.RunWithInput(File.ReadAllText(RepoPaths.Example("dsdr-lambda-grid.json")), "sweep", "expand", "--json", "-");
        Assert.Equal(0, first.Exit);
        var ids = JsonDocument.Parse(first.Output).RootElement.EnumerateArray().Select(t => t.GetProperty("trialId").GetString()).ToList();
        Assert.Equal(30, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public void InvalidSpecExitsTwoNamingEachBadField()
    {
        const string spec = """{"name":"x","task":{"kind":"countdown"},"model":{"preset":"small"},"arms":["grpo","foo"],"seeds":[1,1]}""";
        var result = CliRunner.RunWithInput(spec, "sweep", "expand", "-");
        Assert.Equal(2, result.Exit);
        Assert.Equal("", result.Output);
        Assert.Contains("$.arms[1]: unknown arm \"foo\"", result.Error);
        Assert.Contains("$.seeds[1]: duplicate seed 1", result.Error);
        Assert.All(result.Error.TrimEnd().Split('\n'), line => Assert.StartsWith("dsdr: ", line));
    }

    [Fact]
    public void MissingFileExitsTwo()
    {
        var result = CliRunner.Run("sweep", "expand", "/no/such/spec.json");
        Assert.Equal(2, result.Exit);
        Assert.Contains("'/no/such/spec.json' not found", result.Error);
    }
}
