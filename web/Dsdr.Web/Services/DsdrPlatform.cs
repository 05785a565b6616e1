using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Contracts;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Core.Sweeps;
using Dsdr.Silo.Postgres;
using Dsdr.Storage.Repositories;
using Dsdr.Web.Hosting;
using Dsdr.Web.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StoredRolloutGroup = Dsdr.Storage.Repositories.RolloutGroupRecord;

namespace Dsdr.Web.Services;

/// <summary>
/// The platform behind the API and the dashboard: submissions and cancellations go to the sweep grains; reads come
/// from PostgreSQL (sweeps, trials, metrics, evals, rollout groups, problems) and, for the live pool, from the scheduler.
/// A sweep's id is its spec's name (the parser already restricts it to letters, digits, '.', '_' and '-').
/// </summary>
public sealed class DsdrPlatform(
    IGrainFactory grains,
    SweepRepository sweeps,
    TrialRepository trials,
    MetricRepository metrics,
    EvalRepository evals,
    EvalProblemRepository evalProblems,
    RolloutGroupRepository rolloutGroups,
    ProblemRepository problems,
    PoolHistory poolHistory,
    DsdrWebOptions options,
    PlatformAccess access) : IDsdrPlatform
{
    /// <summary>Attempts a trial gets before it counts as failed.</summary>
    public const int MaxAttempts = 3;

    /// <summary>Submissions one at a time in this host, so two ids equal but for case cannot both pass the check.</summary>
    private readonly SemaphoreSlim _submissions = new(1, 1);

    public SweepPreview Preview(string specJson)
    {
        var parsed = SweepSpecParser.Parse(specJson ?? "", options.SpecOptions());
        if (!parsed.IsValid) return new SweepPreview(null, parsed.Errors, [], [], []);
        var spec = parsed.Spec!;
        var expanded = SweepExpander.Expand(spec);
        return new SweepPreview(spec.Name, [],
            [.. expanded.Select(t => new PreviewTrial(t.TrialId, t.Arm, t.Row, t.Seed, t.Config.TotalSteps))], spec.Arms, spec.Seeds);
    }

    public async Task<SweepSubmitted> SubmitAsync(string specJson, ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        await access.EnsureOperatorAsync(caller, "submit a sweep");
        var spec = SweepSpecParser.Parse(specJson ?? "", options.SpecOptions()).GetSpecOrThrow();
        var sweepId = spec.Name;
        var normalised = SweepSpecWriter.ToJson(spec, indented: false);
        await _submissions.WaitAsync(cancellationToken);
        try
        {
            return await SubmitAsync(spec, sweepId, normalised, cancellationToken);
        }
        finally
        {
            _submissions.Release();
        }
    }

    private async Task<SweepSubmitted> SubmitAsync(SweepSpec spec, string sweepId, string normalised, CancellationToken cancellationToken)
    {
        var existing = await sweeps.GetAsync(sweepId, cancellationToken);
        if (existing is not null && SpecDifference(existing.Spec, spec) is { } difference)
            throw new SweepConflictException(sweepId, difference);
        // sweep ids are unique regardless of case: "Ablation" and "ablation" would be two sweeps a reader cannot tell apart
        if (existing is null && await sweeps.FindIgnoringCaseAsync(sweepId, cancellationToken) is { } other)
            throw new SweepConflictException(sweepId, other, $"sweep ids are unique regardless of case and '{other}' exists");

        var expanded = SweepExpander.Expand(spec);
        var submission = new SweepSubmission(sweepId, spec.Name, [.. expanded.Select(Descriptor)], MaxAttempts, normalised, spec.EarlyStopping);
        try
        {
            // Also for an identical resubmission: the grain re-initialises idempotently, so a sweep cut off half-way resumes.
            await grains.GetGrain<ISweepGrain>(sweepId).SubmitAsync(submission).WaitAsync(cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            throw new SweepConflictException(sweepId, ex.Message);
        }
        return new SweepSubmitted(sweepId, expanded.Count, Created: existing is null);
    }

    /// <summary>
    /// The trial as the grains schedule it: Core's TrialSpec as config JSON (plus, with the simulated runner, the
    /// "simulation" plan: the trial's totalSteps, checkpoints and evaluations at the spec's eval interval with its sample counts), its resources as
    /// needs and priority.
    /// </summary>
    public TrialDescriptor Descriptor(TrialSpec trial)
    {
        var configJson = trial.ToJson();
        if (options.Simulated)
        {
            var config = JsonNode.Parse(configJson)!.AsObject();
            config["simulation"] = new JsonObject
            {
                ["steps"] = trial.Config.TotalSteps,
                ["stepMilliseconds"] = options.SimulatedStepMilliseconds,
                ["checkpointEvery"] = trial.Eval.EverySteps,
                ["evalEvery"] = trial.Eval.EverySteps,
                ["avgK"] = trial.Eval.AvgK,
                ["passKSamples"] = trial.Eval.PassKSamples,
                ["diversitySamples"] = trial.Eval.DiversitySamples,
            };
            configJson = config.ToJsonString();
        }
        return new TrialDescriptor(trial.TrialId, trial.SweepName, trial.Arm, trial.Row, trial.Seed, configJson,
            new TrialNeeds(trial.Resources.Device, trial.Resources.MemoryGiB), trial.Resources.Priority);
    }

    /// <summary>A stored spec, read back without this host's limits and data roots (it met those in force when it was submitted).</summary>
    private static SweepParseResult StoredSpec(string json) => SweepSpecParser.Parse(json, StoredSpecOptions);

    private static readonly SweepSpecParserOptions StoredSpecOptions =
        new(int.MaxValue) { Limits = new SpecLimitOptions(SpecLimits.StepsCeiling, long.MaxValue) };

    /// <summary>Null when the stored spec is the same sweep; else which top-level parts differ.</summary>
    private static string? SpecDifference(string storedJson, SweepSpec submitted)
    {
        var stored = StoredSpec(storedJson);
        if (!stored.IsValid) return "the stored sweep was not submitted from a spec";
        var a = JsonNode.Parse(SweepSpecWriter.ToJson(stored.Spec!, indented: false))!.AsObject();
        var b = JsonNode.Parse(SweepSpecWriter.ToJson(submitted, indented: false))!.AsObject();
        var differing = a.Select(p => p.Key).Union(b.Select(p => p.Key))
            .Where(key => !JsonNode.DeepEquals(a[key], b[key])).ToList();
        return differing.Count == 0 ? null : $"its {string.Join(", ", differing.Select(k => $"\"{k}\""))} differ";
    }

    public async Task<IReadOnlyList<SweepListItem>> ListSweepsAsync(int limit = 100, int offset = 0, CancellationToken cancellationToken = default)
    {
        var rows = await sweeps.ListAsync(limit, offset, cancellationToken);
        return [.. rows.Select(r => new SweepListItem(r.SweepId, r.Name, r.Status.Name(), (int)r.Trials, (int)r.Queued, (int)r.Running,
            (int)r.Completed, (int)r.Failed, (int)r.Cancelled, r.CreatedAt, r.UpdatedAt, (int)r.Stopped))];
    }

    public async Task<SweepDetails?> GetSweepAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        var row = await sweeps.GetAsync(sweepId, cancellationToken);
        if (row is null) return null;
        var trialItems = await TrialItemsAsync(sweepId, cancellationToken);
        var spec = StoredSpec(row.Spec).Spec;
        var records = await evals.ResultTableAsync(sweepId, EvalStepChoice.Final, cancellationToken: cancellationToken);
        var arms = spec?.Arms ?? [.. trialItems.Select(t => t.Arm).Distinct()];
        // What the evaluations wrote once there are any (a simulated runner names its own benchmark), else what the spec asks for.
        IReadOnlyList<string> benchmarks = records.Count > 0 || spec is null
            ? [.. records.Select(r => r.Benchmark).Distinct().Order(StringComparer.Ordinal)]
            : spec.Eval.Benchmarks.Count > 0 ? spec.Eval.Benchmarks : spec.Task.BenchmarkNames;
        var metricKeys = records.Select(r => new MetricKey(r.Metric, r.K)).Distinct().Order().ToList();
        // The spec as Core writes it (the table's jsonb reorders keys).
        var specJson = spec is null ? row.Spec : SweepSpecWriter.ToJson(spec);
        return new SweepDetails(Summary(row, trialItems), specJson, trialItems, arms, benchmarks, metricKeys);
    }

    public async Task<CoverageLedger?> GetCoverageAsync(string sweepId, CancellationToken cancellationToken = default) =>
        await sweeps.GetAsync(sweepId, cancellationToken) is null
            ? null
            : SolutionCoverage.Build(await evalProblems.FinalCoverageAsync(sweepId, cancellationToken));

    public async Task<SweepListItem?> CancelSweepAsync(string sweepId, ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        await access.EnsureOperatorAsync(caller, "cancel a sweep");
        var row = await sweeps.GetAsync(sweepId, cancellationToken);
        if (row is null) return null;
        var progress = await grains.GetGrain<ISweepGrain>(sweepId).CancelAsync().WaitAsync(cancellationToken);
        var status = progress.Status is SweepStatus.NotSubmitted ? row.Status.Name() : progress.Status.Name();
        return new SweepListItem(sweepId, row.Name, status, progress.Total, progress.Queued, progress.Running, progress.Completed,
            progress.Failed, progress.Cancelled, row.CreatedAt, DateTime.UtcNow, progress.Stopped);
    }

    public async Task<ResultTable?> GetResultTableAsync(string sweepId, ResultQuery query, CancellationToken cancellationToken = default)
    {
        if (await ResultInputsAsync(sweepId, query, cancellationToken) is not { } inputs) return null;
        return ResultTableBuilder.Build(inputs.Records, inputs.Options, inputs.Problems) with { Missing = inputs.Missing };
    }

    public async Task<SweepReport?> GetReportAsync(string sweepId, ResultQuery query, CancellationToken cancellationToken = default)
    {
        if (await ResultInputsAsync(sweepId, query with { IncludeBackbone = true }, cancellationToken) is not { } inputs) return null;
        var row = await sweeps.GetAsync(sweepId, cancellationToken);
        if (row is null) return null;
        var spec = StoredSpec(row.Spec).Spec;
        var trialRows = await trials.ListBySweepAsync(sweepId, cancellationToken);
        var ordered = trialRows.OrderBy(r => TrialConfig.Index(r.Config) ?? int.MaxValue).ToList();
        var evaluations = new List<TrialEvalRecord>();
        foreach (var t in ordered)
            evaluations.AddRange((await evals.ListByTrialAsync(t.TrialId, cancellationToken))
                .Select(e => new TrialEvalRecord(t.TrialId, t.Arm, t.Row, t.Seed, e.Step, e.Benchmark, e.Metric, e.K, e.Value)));
        // every point: the late-entropy values are means over the stored steps, not over a downsampled curve
        var curves = await metrics.GetSeriesAsync([.. ordered.Select(t => t.TrialId)], TrainingCurveNames.All, int.MaxValue, cancellationToken);
        return SweepReportBuilder.Build(new SweepReportInputs
        {
            SweepId = sweepId,
            Name = row.Name,
            Status = row.Status.Name(),
            Spec = spec,
            Trials = [.. ordered.Select(t => new ReportTrial(t.TrialId, t.Arm, t.Row, t.Seed, t.Status))],
            TableRecords = inputs.Records,
            TableProblems = inputs.Problems,
            TableOptions = inputs.Options,
            Step = string.IsNullOrWhiteSpace(query.Step) ? "final" : query.Step,
            Evaluations = evaluations,
            Curves = [.. curves.Select(c => new TrialCurve(c.TrialId, c.Name, [.. c.Points.Select(p => new StepValue(p.Step, p.Value))]))],
            PlatformCommit = PlatformCommit,
        });
    }

    /// <summary>The commit this platform was built from ("unknown" when its build does not say).</summary>
    public static string PlatformCommit { get; } = Dsdr.Learning.Compute.TrialEnvironment.CommitOf(typeof(DsdrPlatform).Assembly);

    /// <summary>
    /// A result table's inputs: each trial's figures at the chosen step (plus every trial's step 0 for the Backbone row), the
    /// per-problem rows of those evaluations, and the table options (rows in the sweep's order, intervals and differences
    /// against <see cref="ResultQuery.Reference"/>, required to exist when given). Null when there is no such sweep.
    /// </summary>
    private async Task<(List<TrialEvalRecord> Records, IReadOnlyList<TrialProblemRecord> Problems, ResultTableOptions Options, IReadOnlyList<MissingResult> Missing)?> ResultInputsAsync(
        string sweepId, ResultQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var choice = ResultSteps.Parse(query.Step);
        var row = await sweeps.GetAsync(sweepId, cancellationToken);
        if (row is null) return null;
        var spec = StoredSpec(row.Spec).Spec;
        // what the sweep evaluated (or, before its first evaluation, will): a query for anything else is refused, not answered empty
        var figures = await evals.EvaluatedFiguresAsync(sweepId, cancellationToken);
        if (figures.Count == 0 && spec is not null) figures = Api.ResultQueryParser.ExpectedFigures(spec);
        if (figures.Count > 0 && Api.ResultQueryParser.Unevaluated(query.Metrics, choice, figures) is { } bad)
            throw new BadResultQueryException(bad.Parameter, bad.Reason);
        var records = (await evals.ResultTableAsync(sweepId, choice, cancellationToken: cancellationToken)).ToList();
        var tableOptions = spec is null ? new ResultTableOptions() : ResultTableOptions.ForTrials(SweepExpander.Expand(spec));
        // A trial whose last evaluation is its step-0 one (stopped before its next) has no RL result yet.
        records.RemoveAll(r => r.Step == 0);
        // the sweep's trials that gave the table nothing, so a short or absent row says why
        var sweepTrials = await trials.ListBySweepAsync(sweepId, cancellationToken);
        // a trial stopped early has no full run's figures: it is its own kind in the note, not a short run in the table
        var stopped = sweepTrials.Where(t => t.Status == TrialStatus.Stopped).Select(t => t.TrialId).ToHashSet(StringComparer.Ordinal);
        records.RemoveAll(r => stopped.Contains(r.TrialId));
        var missing = MissingResults.Of(sweepTrials.OrderBy(t => TrialConfig.Index(t.Config) ?? int.MaxValue)
            .Select(t => new TrialResultState(t.TrialId, t.Row, t.Status.Name(), t.Error)), records.Select(r => r.TrialId));
        // The Backbone row is every trial's step-0 evaluation (the SFT model before RL).
        if (query.IncludeBackbone) records.AddRange(await evals.ResultTableAsync(sweepId, EvalStepChoice.AtStep(0), cancellationToken: cancellationToken));
        var problemRows = await evalProblems.ListAsync([.. records.Select(r => (r.TrialId, r.Step)).Distinct()], cancellationToken);
        var statistics = new ResultStatisticsOptions
        {
            Reference = query.Reference ?? ResultStatisticsOptions.DefaultReference,
            ReferenceRequired = query.Reference is not null,
        };
        return (records, problemRows, tableOptions with { Metrics = query.Metrics, IncludeBackbone = query.IncludeBackbone, Statistics = statistics }, missing);
    }

    public async Task<TrialDetails?> GetTrialAsync(string trialId, CancellationToken cancellationToken = default)
    {
        var row = await trials.GetAsync(trialId, cancellationToken);
        if (row is null) return null;
        var figures = await evals.ListByTrialAsync(trialId, cancellationToken);
        var names = await metrics.NamesAsync(trialId, cancellationToken);
        var steps = await rolloutGroups.StepsAsync(trialId, cancellationToken);
        var live = await LiveStepsAsync([row], cancellationToken);
        var attempts = await trials.ListAttemptsAsync(trialId, cancellationToken);
        return new TrialDetails(TrialItem(row, live.GetValueOrDefault(trialId)), row.Config,
            [.. figures.Select(e => new EvalFigure(e.Step, e.Benchmark, e.Metric, e.K, e.Value))], names, steps,
            [.. attempts.Select(a => new TrialAttemptView(a.Attempt, NodeOf(a.SlotId), a.SlotId, a.ResumedFromStep, a.StartedAt, a.EndedAt, a.Outcome, a.Reason))]);
    }

    public Task<IReadOnlyList<MetricCurve>> GetMetricsAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names, int maxPoints = 500,
        CancellationToken cancellationToken = default) =>
        CurvesAsync(trialIds, names, null, null, maxPoints, cancellationToken);

    public Task<IReadOnlyList<MetricCurve>> GetMetricWindowAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names, int fromStep, int toStep,
        int maxPoints = 500, CancellationToken cancellationToken = default) =>
        CurvesAsync(trialIds, names, fromStep, toStep, maxPoints, cancellationToken);

    private async Task<IReadOnlyList<MetricCurve>> CurvesAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names, int? fromStep, int? toStep,
        int maxPoints, CancellationToken cancellationToken)
    {
        var rows = (await trials.ListAsync(trialIds, cancellationToken)).ToDictionary(r => r.TrialId, StringComparer.Ordinal);
        if (rows.Count == 0) return [];
        IReadOnlyCollection<string> wanted = names;
        if (wanted.Count == 0)
        {
            var all = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var id in rows.Keys) all.UnionWith(await metrics.NamesAsync(id, cancellationToken));
            wanted = all;
        }
        var series = await metrics.GetSeriesAsync(rows.Keys, wanted, fromStep, toStep, maxPoints, cancellationToken);
        return [.. series.Select(s =>
        {
            var t = rows[s.TrialId];
            return new MetricCurve(s.TrialId, t.Arm, t.Row, t.Seed, s.Name, [.. s.Points.Select(p => new CurvePoint(p.Step, p.Value))], s.TotalPoints);
        })];
    }

    public async Task<IReadOnlyList<SeedBandCurve>> GetSeedBandsAsync(IReadOnlyCollection<string> trialIds, string name, int? fromStep, int? toStep,
        int maxPoints = 300, CancellationToken cancellationToken = default)
    {
        var rows = await trials.ListAsync(trialIds, cancellationToken);
        if (rows.Count == 0) return [];
        var order = trialIds.Distinct(StringComparer.Ordinal).Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
        var summaries = await metrics.GetSummariesAsync([.. rows.Select(r => r.TrialId)], [name], fromStep, toStep, maxPoints, maxPoints, cancellationToken);
        return SeedBandCurves.Build(summaries, [.. rows.OrderBy(r => order.GetValueOrDefault(r.TrialId, int.MaxValue)).Select(r => TrialItem(r))]);
    }

    public async Task<RolloutStepView?> GetRolloutsAsync(string trialId, int? step, CancellationToken cancellationToken = default)
    {
        if (await trials.GetAsync(trialId, cancellationToken) is null) return null;
        var steps = await rolloutGroups.StepsAsync(trialId, cancellationToken);
        var chosen = step ?? (steps.Count > 0 ? steps[^1] : 0);
        var groups = steps.Contains(chosen) ? await rolloutGroups.ListAsync(trialId, chosen, cancellationToken) : [];
        return new RolloutStepView(trialId, chosen, steps, [.. groups.Select(RolloutJson.ToView)]);
    }

    public async Task<PoolView> GetPoolAsync(CancellationToken cancellationToken = default)
    {
        var pool = await grains.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey).GetPoolAsync().WaitAsync(cancellationToken);
        var slots = new List<SlotView>();
        foreach (var slot in pool.Slots.OrderBy(s => s.SlotKey, StringComparer.Ordinal))
        {
            var step = slot.TrialId is { } running && await trials.GetAsync(running, cancellationToken) is { } row ? row.LastStep ?? 0 : 0;
            var slash = slot.SlotKey.IndexOf('/');
            slots.Add(new SlotView(slot.SlotKey, slot.Node, slash >= 0 ? slot.SlotKey[(slash + 1)..] : slot.SlotKey, slot.Capacity.MemoryGiB,
                slot.State != SlotState.Offline, slot.State == SlotState.Busy ? slot.TrialId : null, step, slot.LastSeen));
        }
        return new PoolView(slots, pool.QueuedTrials, poolHistory.Samples);
    }

    public async Task<ProblemView?> GetProblemAsync(string dataset, string problemId, CancellationToken cancellationToken = default)
    {
        var row = await problems.GetAsync(dataset, problemId, cancellationToken);
        var history = await grains.GetGrain<IProblemGrain>(GrainKeys.Problem(dataset, problemId)).GetAsync().WaitAsync(cancellationToken);
        if (row is null && history.Groups == 0) return null;
        // The Problem grain owns the counts and the distinct solutions; the table adds the text and the gold answer.
        return history.Groups > 0
            ? new ProblemView(dataset, problemId, row?.Prompt, row?.Answer, history.Groups, history.Attempts, history.Solved,
                history.DistinctCorrectSolutions, history.CorrectSolutions)
            : new ProblemView(dataset, problemId, row!.Prompt, row.Answer, 0, (int)row.Attempts, (int)row.Correct, row.DistinctCorrect, []);
    }

    private async Task<IReadOnlyList<TrialListItem>> TrialItemsAsync(string sweepId, CancellationToken cancellationToken)
    {
        var rows = await trials.ListBySweepAsync(sweepId, cancellationToken);
        var live = await LiveStepsAsync(rows, cancellationToken);
        // Expansion order (the spec's arms, grid points, seeds) when the config says it; else the table's order.
        return [.. rows.Select(r => (Row: r, Index: TrialConfig.Index(r.Config))).OrderBy(x => x.Index ?? int.MaxValue)
            .Select(x => TrialItem(x.Row, live.GetValueOrDefault(x.Row.TrialId)))];
    }

    /// <summary>
    /// The step running trials have reached by their step metrics: the trials table records a step at checkpoints
    /// and status changes only, so between checkpoints the metrics are ahead of it.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, int>> LiveStepsAsync(IEnumerable<TrialRow> rows, CancellationToken cancellationToken)
    {
        var running = rows.Where(r => r.Status == TrialStatus.Running).Select(r => r.TrialId).ToList();
        return await metrics.LastStepsAsync(running, Dsdr.Runner.StepMetricNames.RewardMean, cancellationToken);
    }

    // "node-a/cuda:0" → "node-a" (a key without a node part is shown whole)
    private static string NodeOf(string slotKey) => slotKey.IndexOf('/') is > 0 and var slash ? slotKey[..slash] : slotKey;

    private static TrialListItem TrialItem(TrialRow r, int liveStep = 0) =>
        new(r.TrialId, r.SweepId, r.Arm, r.Row, r.Seed, r.Status.Name(), Math.Max(r.LastStep ?? 0, liveStep), TrialConfig.TotalSteps(r.Config), r.Attempts,
            r.SlotId, r.Error, r.StartedAt, r.FinishedAt, r.FailedAttempts, r.LastFailure);

    private static SweepListItem Summary(SweepRow row, IReadOnlyList<TrialListItem> items)
    {
        int Count(TrialStatus status) => items.Count(t => t.Status == status.Name());
        return new SweepListItem(row.SweepId, row.Name, row.Status.Name(), items.Count, Count(TrialStatus.Queued), Count(TrialStatus.Running),
            Count(TrialStatus.Completed), Count(TrialStatus.Failed), Count(TrialStatus.Cancelled), row.CreatedAt, row.UpdatedAt, Count(TrialStatus.Stopped));
    }
}

/// <summary>Reads what the web shows from a stored trial config (Core's TrialSpec JSON, or a bare simulation plan).</summary>
internal static class TrialConfig
{
    public static int TotalSteps(string configJson) =>
        Read(configJson, root =>
            root.TryGetProperty("config", out var c) && c.TryGetProperty("totalSteps", out var t) && t.TryGetInt32(out var steps) ? steps
            : root.TryGetProperty("simulation", out var s) && s.TryGetProperty("steps", out var n) && n.TryGetInt32(out var simulated) ? simulated
            : (int?)null) ?? 0;

    public static int? Index(string configJson) =>
        Read(configJson, root => root.TryGetProperty("index", out var i) && i.TryGetInt32(out var index) ? index : (int?)null);

    private static int? Read(string json, Func<JsonElement, int?> read)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? read(document.RootElement) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The result table's evaluation step: "final" or "best:&lt;benchmark&gt;:&lt;metric@k&gt;".</summary>
public static class ResultSteps
{
    /// <summary>Parses the step choice; a bad one throws a <see cref="FormatException"/> saying what to write.</summary>
    public static EvalStepChoice Parse(string? step)
    {
        if (string.IsNullOrWhiteSpace(step) || step == "final") return EvalStepChoice.Final;
        var parts = step.Split(':');
        if (parts.Length == 3 && parts[0] == "best" && parts[1].Length > 0 && parts[2].Length > 0)
        {
            var metric = MetricKey.Parse(parts[2]);
            return EvalStepChoice.BestAt(parts[1], metric.Metric, metric.K);
        }
        throw new FormatException($"step \"{step}\" is not \"final\" or \"best:<benchmark>:<metric>\" (e.g. best:countdown:avg@16)");
    }
}

/// <summary>Stored rollout groups (the silo writes them with <see cref="RolloutGroupRows"/>) as the dashboard's rollout view.</summary>
internal static class RolloutJson
{
    public static RolloutGroupView ToView(StoredRolloutGroup row)
    {
        var group = RolloutGroupRows.FromRow(row);
        return new RolloutGroupView(group.ProblemKey, group.Prompt,
            [.. group.Rollouts.Select(r => new RolloutView(r.Text, r.Reward, r.Correct, r.SolutionKey, r.Diversity, r.ShapedReward, r.Advantage, r.CouplingWeight))],
            group.Gold);
    }
}

public static class DsdrPlatformServices
{
    /// <summary>
    /// The platform service (API and dashboard), the pool history and its sampler, the change notifier pages update from
    /// and its feed from PostgreSQL. Needs the storage, an Orleans client or silo, and <see cref="DsdrWebOptions"/>.
    /// </summary>
    public static IServiceCollection AddDsdrPlatform(this IServiceCollection services)
    {
        services.AddSingleton<PlatformChanges>();
        services.AddSingleton<IPlatformChanges>(sp => sp.GetRequiredService<PlatformChanges>());
        services.AddHostedService<PlatformChangeFeed>();
        services.AddSingleton(sp => new PoolHistory(sp.GetRequiredService<DsdrWebOptions>().PoolHistoryLength));
        services.AddSingleton<IDsdrPlatform, DsdrPlatform>();
        services.AddSingleton(sp => (DsdrPlatform)sp.GetRequiredService<IDsdrPlatform>());
        services.AddSingleton<SweepExporter>();
        services.AddHostedService<PoolSampler>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Components.Live.DashboardOptions.Default);
        return services;
    }
}
