using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Dsdr.Learning.Tests.Training;

/// <summary>
/// Issue 19's provocation: four real trials (GRPO, DAPO, DSDR from a small SFT backbone, and DSDR with a KL reference from
/// random weights; 50 steps each, evaluations, checkpoints) in one process, each on its own thread as learner slots run
/// them, with a 512 KiB gen-0 budget (DOTNET_GCgen0size) and a thread forcing collections without pause. Before the fix
/// this gave native errors within seconds ("Unknown scalar type", "Expected false to be true"). It must give none, every
/// trial at its first attempt, and each trial's metric and evaluation rows must equal those of the trial run alone.
/// The harness is tests/Dsdr.Learning.Stress, started as a child process because the GC reads its settings at start.
/// </summary>
[Collection(LearnerStressCollection.Name)]
public class LearnerStressTests(ITestOutputHelper output)
{
    private const int Steps = 50;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(6);

    [Fact]
    public void Trials_side_by_side_under_constant_collections_have_no_native_errors_and_match_their_solo_runs()
    {
        var root = TestModels.TempFolder();
        var together = RunHarness(Path.Combine(root, "together"), "together", gcPressure: true);
        var alone = RunHarness(Path.Combine(root, "alone"), "alone", gcPressure: false);

        // the runtime honoured the small gen-0 budget: a 64 MiB allocation took ~128 gen-0 collections (a few by default)
        Assert.True(together.Gen0CollectionsPer64MiB >= 64, $"DOTNET_GCgen0size=0x80000 not honoured: {together.Gen0CollectionsPer64MiB} gen-0 collections per 64 MiB");
        foreach (var report in new[] { together, alone })
            foreach (var trial in report.Trials)
            {
                Assert.True(trial.Errors.Count == 0, $"{report.Mode} {trial.TrialId}: " + string.Join("; ", trial.Errors.Select(e => $"attempt {e.Attempt} {e.Type}: {e.Message} {e.Where}")));
                Assert.True(trial.Completed && trial.Attempts == 1, $"{report.Mode} {trial.TrialId}: completed {trial.Completed} after {trial.Attempts} attempts");
                Assert.Equal(Steps, trial.StepRows.Count);
            }
        foreach (var (side, solo) in together.Trials.Zip(alone.Trials))
        {
            Assert.Equal(solo.TrialId, side.TrialId);
            Assert.Equal(solo.StepRows, side.StepRows);
            Assert.Equal(solo.EvalRows, side.EvalRows);
        }
    }

    private StressReport RunHarness(string folder, string mode, bool gcPressure)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { HarnessDll(), "--out", folder, "--mode", mode, "--steps", Steps.ToString() }) start.ArgumentList.Add(arg);
        if (gcPressure)
        {
            start.ArgumentList.Add("--gc-loop");
            start.Environment["DOTNET_GCgen0size"] = "0x80000";
        }
        else start.Environment.Remove("DOTNET_GCgen0size");
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the stress harness ({mode}) ran past {Limit.TotalMinutes} minutes; its output: {stdout.Result} {stderr.Result}");
        }
        output.WriteLine($"{mode}: {stdout.Result.Trim()} (exit {process.ExitCode}, {clock.Elapsed.TotalSeconds:0} s)");
        if (stderr.Result.Length > 0) output.WriteLine(stderr.Result);
        var reportFile = Path.Combine(folder, "report.json");
        Assert.True(File.Exists(reportFile), $"the stress harness ({mode}) wrote no report (exit {process.ExitCode}): {stderr.Result}");
        return JsonSerializer.Deserialize<StressReport>(File.ReadAllText(reportFile))!;
    }

    /// <summary>Dsdr.Learning.Stress.dll in its project's output folder (same configuration as this test assembly).</summary>
    private static string HarnessDll()
    {
        var testFolder = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(testFolder);
        var configuration = Path.GetFileName(Path.GetDirectoryName(testFolder)!);
        var dll = Path.Combine(TestModels.RepositoryRoot(), "tests", "Dsdr.Learning.Stress", "bin", configuration, framework, "Dsdr.Learning.Stress.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build tests/Dsdr.Learning.Stress first.", dll);
    }

    private sealed record StressError(int Attempt, bool Native, string Type, string Message, string? Where);
    private sealed record TrialOutcome(string TrialId, string Arm, int Attempts, bool Completed, List<StressError> Errors, List<string> StepRows, List<string> EvalRows);
    private sealed record StressReport(string Mode, bool GcLoop, string? Gen0Size, int Gen0CollectionsPer64MiB, int[] Collections, double Seconds, TrialOutcome[] Trials);
}

/// <summary>The stress test runs alone: it is timed against a limit and loads both cores by itself.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LearnerStressCollection
{
    public const string Name = "learner stress";
}
