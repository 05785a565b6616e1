using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;

namespace Dsdr.Cli.Tests;

/// <summary>dsdr report against a real platform (simulated runner): a λ-grid sweep run to the end, then its report folder.</summary>
[Collection(PlatformCollection.Name)]
public class ReportCommandTests(PlatformFixture platform)
{
    private const string SweepId = "cli-report";

    // grpo and dsdr-no-gd pin λd; dsdr runs at two: 1 + 2 + 1 rows × 2 seeds; no dsdr-no-gc, so the GC claims are not testable
    private const string Spec = """
        {"name": "cli-report", "task": {"kind": "countdown", "numbers": 3}, "model": {"preset": "countdown"},
         "base": {"totalSteps": 40}, "arms": ["grpo", "dsdr", "dsdr-no-gd"], "grid": {"lambdaD": [0.01, 0.1]}, "seeds": [0, 1],
         "eval": {"everySteps": 20, "avgK": 4, "passKSamples": 4, "diversitySamples": 4}}
        """;

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private CliRunner.Result Run(string stdin, params string[] args) => CliRunner.RunWithInput(stdin, [.. args, "--api", platform.Url]);

    private async Task CompletedSweepAsync()
    {
        var submitted = Run(Spec, "sweep", "submit", "-", "--api-key", platform.ApiKey);
        Assert.True(submitted.Exit == 0, submitted.Error);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!Run("", "sweep", "status", SweepId).Output.Contains(": completed", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting for the sweep to complete.");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task The_report_folder_has_the_table_the_figures_and_every_claim_with_its_numbers_and_verdict()
    {
        await CompletedSweepAsync();
        var folder = Path.Combine(platform.DataDirectory, "report-out", "nested-new");
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        var result = Run("", "report", SweepId, "--out", folder);
        Assert.True(result.Exit == 0, result.Error);
        Assert.Contains($"report of sweep {SweepId} written to {folder}", result.Output);
        Assert.Contains("claims: ", result.Output);

        foreach (var file in new[] { "report.md", "report.json", "table.csv", "table.json" }) Assert.True(File.Exists(Path.Combine(folder, file)), file);
        var figures = Path.Combine(folder, "figures");
        foreach (var name in new[] { "pass-at-k-simulated", "delta-pass-at-k-simulated", "entropy", "similarity-semantic", "similarity-formula",
                     "distinct-simulated", "diversitydistinct-simulated", "lambda-lambdad-avg-4-simulated", "lambda-lambdad-pass-4-simulated" })
        {
            var png = File.ReadAllBytes(Path.Combine(figures, name + ".png"));
            Assert.True(png.Length > 1000 && png.AsSpan(0, 8).SequenceEqual(PngSignature), $"{name}.png is not a PNG");
            var svg = XDocument.Load(Path.Combine(figures, name + ".svg"));
            Assert.Equal("svg", svg.Root!.Name.LocalName);
        }
        Assert.Empty(Directory.EnumerateFiles(folder, "*.tmp", SearchOption.AllDirectories));

        // the table files are the results API's renderings of the same table
        var report = JsonSerializer.Deserialize<SweepReport>(File.ReadAllText(Path.Combine(folder, "report.json")), Web.Api.ApiJson.Options)!;
        using (var http = new HttpClient())
        {
            var api = await http.GetStringAsync($"{platform.Url}api/sweeps/{SweepId}/results?format=json&{report.TableQuery}");
            Assert.Equal(api, ResultTableRenderer.ToJson(ResultTableRenderer.FromJson(JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "table.json"))).RootElement)));
            var csv = await http.GetStringAsync($"{platform.Url}api/sweeps/{SweepId}/results?format=csv&{report.TableQuery}");
            Assert.Equal(csv, File.ReadAllText(Path.Combine(folder, "table.csv")));
        }

        var markdown = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.StartsWith("# Sweep report: cli-report", markdown);
        foreach (var section in new[] { "## Result table", "## Claims", "## Figures", "### Pass@k", "### Δpass@k", "### Training", "### λ sensitivity" })
            Assert.Contains(section, markdown);
        Assert.Contains("STATISTICS.md", markdown);
        Assert.Contains("| Backbone |", markdown);
        Assert.Contains("![", markdown);
        Assert.Contains("figures/lambda-lambdad-avg-4-simulated.png", markdown);

        // every claim of the document is a row of the claims table with its Δ, CI, p and verdict
        Assert.Equal(12, report.Claims.Count); // 11 on the benchmark, the entropy claim on the training curves
        var claimRows = markdown.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        foreach (var claim in report.Claims)
        {
            var line = Assert.Single(claimRows, l => l.StartsWith($"| {claim.Claim} | {claim.Benchmark ?? "training"} |", StringComparison.Ordinal));
            Assert.Contains($"| **{claim.Word}** |", line);
            if (claim.Delta is { } d)
            {
                Assert.Contains($"| {Signed(d.Mean, claim.Rate)} |", line);
                if (d.CiLow is { } lo && d.CiHigh is { } hi) Assert.Contains($"| [{Signed(lo, claim.Rate)}, {Signed(hi, claim.Rate)}] |", line);
            }
            else Assert.Contains("| – | – | – |", line);
        }
        var gc = report.Claims.Where(c => c.Claim.StartsWith("Removing GC", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gc.Count);
        Assert.All(gc, c => Assert.Equal("not testable", c.Word));
        Assert.NotNull(report.Claims.Single(c => c.Claim == SweepReportBuilder.EntropyClaimText).Delta);
        Assert.Contains(report.Claims, c => c.Claim.StartsWith("Removing GD", StringComparison.Ordinal) && c.Delta is not null);
    }

    [Fact]
    public async Task A_refused_or_unreachable_request_and_a_bad_folder_exit_as_the_sweep_verbs_do()
    {
        var missing = Run("", "report", "no-such-sweep", "--out", Path.Combine(platform.DataDirectory, "report-missing"));
        Assert.Equal(2, missing.Exit);
        Assert.Equal("dsdr: There is no sweep 'no-such-sweep'.", missing.Error.Trim());

        await CompletedSweepAsync();
        var badReference = Run("", "report", SweepId, "--out", Path.Combine(platform.DataDirectory, "report-bad"), "--reference", "ppo");
        Assert.Equal(2, badReference.Exit);
        Assert.Contains("reference: reference \"ppo\" is not a row of this table", badReference.Error);
        var badStep = Run("", "report", SweepId, "--out", Path.Combine(platform.DataDirectory, "report-bad"), "--step", "latest");
        Assert.Equal(2, badStep.Exit);
        Assert.Contains("step:", badStep.Error);

        var file = Path.Combine(platform.DataDirectory, "a-file");
        File.WriteAllText(file, "");
        var notAFolder = Run("", "report", SweepId, "--out", file);
        Assert.Equal(2, notAFolder.Exit);
        Assert.Contains("is a file; give a folder", notAFolder.Error);
        var noParent = Run("", "report", SweepId, "--out", Path.Combine(platform.DataDirectory, "no-such-parent", "report"));
        Assert.Equal(2, noParent.Exit);
        Assert.Contains("no-such-parent' does not exist; create it first", noParent.Error);
        Assert.False(Directory.Exists(Path.Combine(platform.DataDirectory, "no-such-parent")));

        var unreachable = CliRunner.Run("report", SweepId, "--out", Path.Combine(platform.DataDirectory, "report-x"), "--api", "http://127.0.0.1:1");
        Assert.Equal(1, unreachable.Exit);
        Assert.Contains("cannot reach the Dsdr API", unreachable.Error);
    }

    private static string Signed(double x, bool rate)
    {
        var text = rate ? (100 * x).ToString("0.00", CultureInfo.InvariantCulture) : x.ToString("0.000", CultureInfo.InvariantCulture);
        return text.StartsWith('-') ? text : "+" + text;
    }
}
