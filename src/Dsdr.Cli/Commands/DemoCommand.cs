using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dsdr.Cli.Platform;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Web.Services;
using Spectre.Console;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr demo</c>: the single-node platform (embedded PostgreSQL, silo, CPU slots, API, dashboard) in this process,
/// the default ablation sweep (examples/demo.json, built into the binary) submitted through it, live progress, and the
/// result table (Avg@16, pass@16, distinct correct answers) at the end. Ctrl-C stops cleanly; running it again with the
/// same data folder resumes (the sweep id is the same, so resubmitting is a no-op; trials continue from checkpoints).
/// </summary>
internal static class DemoCommand
{
    public const string SpecResource = "demo.json";

    /// <summary>One CPU slot per trial of the demo: on 2 cores the five trials share the cores from start to end, none waits in the queue.</summary>
    public const string DemoDevices = "cpu:5";

    /// <summary>The columns of the demo's result table.</summary>
    public static IReadOnlyList<MetricKey> ResultMetrics { get; } =
        [new(EvalMetrics.AvgAtK, 16), new(EvalMetrics.PassAtK, 16), new(EvalMetrics.DistinctCorrect)];

    public static Command Create(CliIo io, PlatformStarter start, TimeSpan? pollInterval = null)
    {
        var platform = new PlatformArguments("demo", DemoDevices);
        var spec = new Option<string?>("--spec") { Description = "Run this sweep spec instead of the built-in demo (examples/demo.json)." };
        var json = new Option<string?>("--json")
        {
            Description = "When the sweep ends, write its result table as JSON to this file (the API's ?format=json document: mean, std, n, ciLow, ciHigh, delta vs grpo).",
        };
        var seeds = new Option<string?>("--seeds")
        {
            Description = "Run the same experiment on these seeds instead of the spec's (comma-separated, e.g. 4,5,6); the sweep is named after them, e.g. demo-seeds-4-5-6.",
        };
        var report = new Option<string?>("--report")
        {
            Description = "When the sweep ends, write its report into this folder (what 'dsdr report' writes: report.md, the table, figures, the paper's claims).",
        };
        var command = new Command("demo",
            "Start the single-node platform, run the default ablation (grpo, dapo, dsdr, dsdr-no-gd, dsdr-no-gc on Countdown) and print its result table. " +
            "Ctrl-C stops; run it again to resume.")
        {
            spec, json, seeds, report,
        };
        platform.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var specJson = parse.GetValue(spec) is { } path ? CliFiles.ReadAllText(path, io, "--spec") : BuiltInSpec();
            if (parse.GetValue(seeds) is { } seedList) specJson = WithSeeds(specJson, ParseSeeds(seedList));
            var parsed = SweepCommand.Parse(specJson);
            var options = platform.Read(parse);
            var jsonPath = parse.GetValue(json) is { } p ? CliFiles.WritablePath(p, "--json") : null;
            var reportFolder = parse.GetValue(report) is { } r ? CliFiles.WritableFolder(r, "--report") : null;
            return await RunAsync(io, start, options, specJson, parsed, jsonPath, reportFolder, pollInterval ?? TimeSpan.FromSeconds(2), ct);
        });
        return command;
    }

    /// <summary>"4,5,6" → [4, 5, 6]: distinct whole numbers; anything else is a <see cref="CliInputException"/> naming --seeds.</summary>
    public static IReadOnlyList<int> ParseSeeds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var seeds = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed) || seed < 0)
                throw new CliInputException($"--seeds: \"{part}\" is not a whole number ≥ 0; write the seeds comma-separated, e.g. --seeds 4,5,6.");
            if (seeds.Contains(seed)) throw new CliInputException($"--seeds: {seed} appears twice; give each seed once.");
            seeds.Add(seed);
        }
        return seeds;
    }

    /// <summary>The spec with its seeds replaced and its name (so its sweep id) and trial budget following them.</summary>
    public static string WithSeeds(string specJson, IReadOnlyList<int> seeds)
    {
        if (System.Text.Json.Nodes.JsonNode.Parse(specJson) is not System.Text.Json.Nodes.JsonObject root)
            throw new CliInputException("The demo spec is not a JSON object.");
        var name = root["name"]?.GetValue<string>() ?? "demo";
        var before = root["seeds"] is System.Text.Json.Nodes.JsonArray old ? Math.Max(1, old.Count) : 1;
        root["name"] = $"{name}-seeds-{string.Join('-', seeds)}";
        root["seeds"] = new System.Text.Json.Nodes.JsonArray([.. seeds.Select(s => System.Text.Json.Nodes.JsonValue.Create(s))]);
        // the trial budget scales with the seeds: maxTrials·n/n₀ (rounded up)
        if (root["maxTrials"] is { } budget)
            root["maxTrials"] = Math.Max(budget.GetValue<int>(), (budget.GetValue<int>() * seeds.Count + before - 1) / before);
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>examples/demo.json as built into this binary.</summary>
    public static string BuiltInSpec()
    {
        using var stream = typeof(DemoCommand).Assembly.GetManifestResourceStream(SpecResource)
            ?? throw new InvalidOperationException($"The demo spec ({SpecResource}) is missing from this build of dsdr.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<int> RunAsync(CliIo io, PlatformStarter start, PlatformOptions options, string specJson, SweepSpec spec,
        string? jsonPath, string? reportFolder, TimeSpan poll, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        io.Output.WriteLine($"dsdr demo: {spec.Name} — {string.Join(", ", spec.Arms)}; data in {options.DataDirectory}");
        io.Output.WriteLine("starting the platform (PostgreSQL, silo, learner slots, API, dashboard)…");
        var session = await PlatformCliOptions.StartAsync(start, options, ct);
        await using (session)
        {
            try
            {
                SweepSubmitted submitted;
                try
                {
                    submitted = await session.Platform.SubmitAsync(specJson, Web.Security.DsdrAuth.ProcessOperator("dsdr demo"), ct);
                }
                catch (SweepSpecException e)
                {
                    // the platform's own limits and data roots (Dsdr__Limits__*, Dsdr__DataRoots) refuse what the offline check let through
                    throw new CliInputException($"the platform refused the spec: {string.Join(Environment.NewLine + "dsdr: ", e.Errors.Select(x => x.ToString()))}");
                }
                catch (SweepConflictException e)
                {
                    throw new CliInputException(e.Message);
                }
                io.Output.WriteLine($"platform up in {clock.Elapsed.TotalSeconds:0.0} s");
                io.Output.WriteLine($"dashboard: {new Uri(session.Url, $"sweeps/{Uri.EscapeDataString(submitted.SweepId)}")}");
                io.Output.WriteLine($"API:       {new Uri(session.Url, "api/sweeps")}   {PlatformCliOptions.KeyLine(session, options.DataDirectory)}");
                io.Output.WriteLine(submitted.Created
                    ? $"submitted sweep {submitted.SweepId}: {submitted.Trials} trials"
                    : $"resuming sweep {submitted.SweepId} ({submitted.Trials} trials, submitted before)");
                var sftCache = Path.Combine(WebPlatform.CheckpointsFolder(options), Runner.TrainerTrialRunner.SftCacheName);
                var final = await FollowAsync(io, session.Platform, submitted.SweepId, poll, clock, () => SftInProgress(sftCache), ct);
                var table = await ResultTableAsync(io, session.Platform, submitted.SweepId);
                io.Output.WriteLine();
                // counted from the trials: the sweep's own row may lag behind its trials' last status change
                var counts = TrialCounts.Of(final.Trials.Select(t => RunStatuses.ParseTrial(t.Status)));
                var (completed, failed, cancelled) = (counts.Completed, counts.Failed, counts.Cancelled);
                var outcome = RunStatuses.SweepOf(counts, cancelRequested: cancelled > 0).Name();
                io.Output.WriteLine($"{final.Sweep.Name}: {outcome} after {Elapsed(clock.Elapsed)} — {completed} completed, {failed} failed, {cancelled} cancelled");
                foreach (var trial in final.Trials.Where(t => t.Error is not null))
                    io.Output.WriteLine($"  {trial.Arm} ({trial.TrialId}): {trial.Error}");
                io.Output.WriteLine();
                io.Output.WriteLine(table is null || table.Rows.Count == 0 ? "(no evaluations recorded)" : ResultTableRenderer.ToMarkdown(table, new ResultFormat(Decimals: 2)).TrimEnd());
                if (jsonPath is not null && table is not null)
                {
                    await File.WriteAllTextAsync(jsonPath, ResultTableRenderer.ToJson(table, indented: true), CancellationToken.None);
                    io.Output.WriteLine($"result table (json) written to {jsonPath}");
                }
                if (reportFolder is not null) await WriteReportAsync(io, session.Platform, submitted.SweepId, reportFolder);
                return failed == 0 && cancelled == 0 ? CliExit.Ok : CliExit.Failed;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                io.Output.WriteLine();
                io.Output.WriteLine($"stopping after {Elapsed(clock.Elapsed)}: trials stop at their next step and keep their checkpoints; run 'dsdr demo' again (same --data-dir) to resume.");
                return CliExit.Failed;
            }
            finally
            {
                await session.StopAsync();
            }
        }
    }

    /// <summary>The demo's table (Avg@16, pass@16, distinct with the Backbone row; CIs and Δ vs grpo); a platform failure is said, not thrown.</summary>
    private static async Task<ResultTable?> ResultTableAsync(CliIo io, IDsdrPlatform platform, string sweepId)
    {
        try
        {
            return await platform.GetResultTableAsync(sweepId, new ResultQuery(ResultMetrics), CancellationToken.None);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            io.Error.WriteLine($"dsdr: the platform could not build the result table: {e.Message}");
            return null;
        }
    }

    /// <summary>The sweep's report, as 'dsdr report' writes it, from the platform in this process; a platform failure is said, not thrown.</summary>
    private static async Task WriteReportAsync(CliIo io, IDsdrPlatform platform, string sweepId, string folder)
    {
        Core.Reports.SweepReport? report;
        try
        {
            report = await platform.GetReportAsync(sweepId, new ResultQuery(), CancellationToken.None);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            io.Error.WriteLine($"dsdr: the platform could not build the report: {e.Message}");
            return;
        }
        if (report is null) io.Error.WriteLine($"dsdr: the platform has no sweep {sweepId} to report on.");
        else ReportCommand.Write(io, report, folder);
    }

    /// <summary>Polls the sweep until no trial is queued or running; shows a live table on a terminal, lines otherwise.</summary>
    private static async Task<SweepDetails> FollowAsync(CliIo io, IDsdrPlatform platform, string sweepId, TimeSpan poll, Stopwatch clock,
        Func<bool> sftInProgress, CancellationToken ct)
    {
        async Task<SweepDetails> Read() => await platform.GetSweepAsync(sweepId, ct)
            ?? throw new InvalidOperationException($"Sweep {sweepId} vanished from the platform.");
        var details = await Read();
        if (PlatformCliOptions.IsTerminal(io))
        {
            await AnsiConsole.Live(ProgressTable(details, clock.Elapsed, sftInProgress())).AutoClear(false).StartAsync(async live =>
            {
                while (!IsFinished(details))
                {
                    await Task.Delay(poll, ct);
                    details = await Read();
                    live.UpdateTarget(ProgressTable(details, clock.Elapsed, sftInProgress()));
                }
            });
            return details;
        }
        var lastLine = "";
        var lastWritten = TimeSpan.Zero;
        while (true)
        {
            var line = ProgressLine(details) + (sftInProgress() ? SftNote : "");
            // a line when something changed state, else one every 15 s
            if (StatusPart(line) != StatusPart(lastLine) || clock.Elapsed - lastWritten >= TimeSpan.FromSeconds(15) || IsFinished(details))
            {
                io.Output.WriteLine($"[{Elapsed(clock.Elapsed)}] {line}");
                lastLine = line;
                lastWritten = clock.Elapsed;
            }
            if (IsFinished(details)) return details;
            await Task.Delay(poll, ct);
            details = await Read();
        }
    }

    internal static bool IsFinished(SweepDetails details) =>
        details.Trials.Count > 0 && details.Trials.All(t => RunStatuses.TryParseTrial(t.Status, out var s) && s.IsTerminal());

    /// <summary>"grpo running 40/150 · dapo queued 0/150 · …".</summary>
    internal static string ProgressLine(SweepDetails details) =>
        string.Join(" · ", details.Trials.Select(t => $"{Label(t)} {t.Status} {t.Step}/{t.TotalSteps}"));

    private static string StatusPart(string line) =>
        string.Join(' ', line.Split(" · ").Select(part => string.Join(' ', part.Split(' ').SkipLast(1))));

    private static string Label(TrialListItem t) => t.Row == t.Arm || string.IsNullOrEmpty(t.Row) ? $"{t.Arm}" : $"{t.Row}";

    private const string SftNote = " (training the shared SFT backbone first)";

    /// <summary>A trial holds the SFT cache's lock file (the backbone is being trained) and no finished backbone is there yet.</summary>
    internal static bool SftInProgress(string cacheFolder) =>
        Directory.Exists(cacheFolder)
        && Directory.EnumerateFiles(cacheFolder, "sft-*.lock").Any()
        && !Directory.EnumerateDirectories(cacheFolder, "sft-*").Any(d => File.Exists(Path.Combine(d, Learning.Sft.SftWarmStart.SummaryFile)));

    private static Table ProgressTable(SweepDetails details, TimeSpan elapsed, bool sftInProgress)
    {
        var title = $"{Markup.Escape(details.Sweep.Name)} — {Elapsed(elapsed)}{(sftInProgress ? Markup.Escape(SftNote) : "")}";
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(title) };
        foreach (var header in new[] { "trial", "seed", "status", "step", "progress", "slot" }) table.AddColumn(header);
        foreach (var t in details.Trials)
        {
            var fraction = t.TotalSteps > 0 ? Math.Clamp((double)t.Step / t.TotalSteps, 0, 1) : 0;
            const int width = 30;
            var filled = (int)Math.Round(fraction * width);
            var colour = t.Status switch { "completed" => "green", "failed" => "red", "cancelled" => "grey", "running" => "yellow", _ => "blue" };
            table.AddRow(Markup.Escape(Label(t)), t.Seed.ToString(CultureInfo.InvariantCulture), $"[{colour}]{Markup.Escape(t.Status)}[/]",
                $"{t.Step}/{t.TotalSteps}", $"[{colour}]{new string('█', filled)}[/][grey]{new string('░', width - filled)}[/]",
                Markup.Escape(t.SlotKey ?? ""));
        }
        return table;
    }

    private static string Elapsed(TimeSpan t) => t.ToString(t.TotalHours >= 1 ? @"h\:mm\:ss" : @"mm\:ss", CultureInfo.InvariantCulture);
}
