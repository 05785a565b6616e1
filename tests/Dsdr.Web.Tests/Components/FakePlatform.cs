using System.Collections.Concurrent;
using System.Security.Claims;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Web.Security;
using Dsdr.Storage.Repositories;
using Dsdr.Web.Services;

namespace Dsdr.Web.Tests.Components;

/// <summary>
/// A hand-written platform for component tests: the preview is real (Core's parser and expander), submissions are
/// recorded, and every read returns what the test put in its public fields.
/// </summary>
public sealed class FakePlatform : IDsdrPlatform
{
    public List<SweepListItem> Sweeps { get; set; } = [];
    public Dictionary<string, SweepDetails> SweepDetails { get; } = [];
    public Dictionary<string, ResultTable> Tables { get; } = [];
    public Dictionary<string, TrialDetails> Trials { get; } = [];
    public List<MetricCurve> Curves { get; } = [];
    public Dictionary<string, RolloutStepView> Rollouts { get; } = [];
    public PoolView Pool { get; set; } = new([], 0, []);
    public Dictionary<string, ProblemView> Problems { get; } = [];

    public ConcurrentQueue<string> Submitted { get; } = new();
    public ConcurrentQueue<string> Previewed { get; } = new();
    // the pages' refresh calls the platform from the renderer's thread pool while a test reads: a concurrent collection
    public System.Collections.Concurrent.ConcurrentQueue<(IReadOnlyCollection<string> Trials, IReadOnlyCollection<string> Names)> MetricRequests { get; } = new();
    public Exception? SubmitFailure { get; set; }
    public int ListCalls;
    /// <summary>Every read, by method: what a page loaded and how often.</summary>
    public ConcurrentDictionary<string, int> Reads { get; } = new();
    public int ReadCount => Reads.Values.Sum();

    private void Read([System.Runtime.CompilerServices.CallerMemberName] string method = "") => Reads.AddOrUpdate(method, 1, (_, n) => n + 1);

    public SweepPreview Preview(string specJson)
    {
        Previewed.Enqueue(specJson);
        var parsed = SweepSpecParser.Parse(specJson);
        if (!parsed.IsValid) return new SweepPreview(null, parsed.Errors, [], [], []);
        var spec = parsed.Spec!;
        return new SweepPreview(spec.Name, [],
            [.. SweepExpander.Expand(spec).Select(t => new PreviewTrial(t.TrialId, t.Arm, t.Row, t.Seed, t.Config.TotalSteps))], spec.Arms, spec.Seeds);
    }

    public List<string> Cancelled { get; } = [];
    /// <summary>The real policy check the platform makes on its command path; refusals are counted.</summary>
    public Func<ClaimsPrincipal, string, Task> EnsureOperator { get; set; } = (caller, action) =>
        caller.IsOperator() ? Task.CompletedTask : Task.FromException(new PlatformAccessDeniedException($"{action}: not an operator"));

    public async Task<SweepSubmitted> SubmitAsync(string specJson, ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        await EnsureOperator(caller, "submit a sweep");
        if (SubmitFailure is { } failure) throw failure;
        var spec = SweepSpecParser.Parse(specJson).GetSpecOrThrow();
        Submitted.Enqueue(specJson);
        return new SweepSubmitted(spec.Name, SweepExpander.Expand(spec).Count, true);
    }

    public Task<IReadOnlyList<SweepListItem>> ListSweepsAsync(int limit = 100, int offset = 0, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref ListCalls);
        Read();
        return Task.FromResult<IReadOnlyList<SweepListItem>>(Sweeps.Skip(offset).Take(limit).ToList());
    }

    public Task<SweepDetails?> GetSweepAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        Read();
        return Task.FromResult(SweepDetails.GetValueOrDefault(sweepId));
    }

    public async Task<SweepListItem?> CancelSweepAsync(string sweepId, ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        await EnsureOperator(caller, "cancel a sweep");
        Cancelled.Add(sweepId);
        return SweepDetails.GetValueOrDefault(sweepId)?.Sweep;
    }

    public ConcurrentQueue<ResultQuery> TableQueries { get; } = new();

    public Task<ResultTable?> GetResultTableAsync(string sweepId, ResultQuery query, CancellationToken cancellationToken = default)
    {
        Read();
        TableQueries.Enqueue(query);
        return Task.FromResult(Tables.GetValueOrDefault(sweepId));
    }

    public Task<Dsdr.Core.Reports.SweepReport?> GetReportAsync(string sweepId, ResultQuery query, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The dashboard does not read sweep reports; the API tests use the real platform.");

    public Task<TrialDetails?> GetTrialAsync(string trialId, CancellationToken cancellationToken = default)
    {
        Read();
        return Task.FromResult(Trials.GetValueOrDefault(trialId));
    }

    public Task<IReadOnlyList<MetricCurve>> GetMetricsAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names, int maxPoints = 500,
        CancellationToken cancellationToken = default)
    {
        MetricRequests.Enqueue((trialIds, names));
        Read();
        return Task.FromResult<IReadOnlyList<MetricCurve>>(Curves
            .Where(c => trialIds.Contains(c.TrialId) && (names.Count == 0 || names.Contains(c.Name))).ToList());
    }

    public List<(int From, int To)> WindowRequests { get; } = [];

    public Task<IReadOnlyList<MetricCurve>> GetMetricWindowAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names, int fromStep, int toStep,
        int maxPoints = 500, CancellationToken cancellationToken = default)
    {
        WindowRequests.Add((fromStep, toStep));
        Read();
        return Task.FromResult<IReadOnlyList<MetricCurve>>(Curves
            .Where(c => trialIds.Contains(c.TrialId) && (names.Count == 0 || names.Contains(c.Name)))
            .Select(c => c with { Points = c.Points.Where(p => p.Step >= fromStep && p.Step <= toStep).ToList() }).ToList());
    }

    public ConcurrentQueue<(IReadOnlyCollection<string> Trials, string Name, int? From, int? To)> BandRequests { get; } = new();

    /// <summary>The real band math (Core's SeedBand through SeedBandCurves) over <see cref="Curves"/>, every point exact.</summary>
    public Task<IReadOnlyList<SeedBandCurve>> GetSeedBandsAsync(IReadOnlyCollection<string> trialIds, string name, int? fromStep, int? toStep,
        int maxPoints = 300, CancellationToken cancellationToken = default)
    {
        BandRequests.Enqueue((trialIds, name, fromStep, toStep));
        Read();
        var items = SweepDetails.Values.SelectMany(d => d.Trials).Concat(Trials.Values.Select(t => t.Trial))
            .DistinctBy(t => t.TrialId).Where(t => trialIds.Contains(t.TrialId)).ToList();
        var summaries = new List<MetricSummary>();
        foreach (var c in Curves.Where(c => c.Name == name && trialIds.Contains(c.TrialId)))
        {
            var points = c.Points.Where(p => p.Step >= (fromStep ?? int.MinValue) && p.Step <= (toStep ?? int.MaxValue)).ToList();
            if (points.Count > 0) summaries.Add(new MetricSummary(c.TrialId, name, 1, [.. points.Select(p => MetricBucket.Point(p.Step, p.Value))], points.Count));
        }
        return Task.FromResult(SeedBandCurves.Build(summaries, items));
    }

    public Task<RolloutStepView?> GetRolloutsAsync(string trialId, int? step, CancellationToken cancellationToken = default)
    {
        Read();
        return Task.FromResult(Rollouts.GetValueOrDefault(trialId));
    }

    public Task<PoolView> GetPoolAsync(CancellationToken cancellationToken = default)
    {
        Read();
        return Task.FromResult(Pool);
    }

    public Dictionary<string, CoverageLedger> Coverage { get; } = [];

    public Task<CoverageLedger?> GetCoverageAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        Read();
        return Task.FromResult(Coverage.GetValueOrDefault(sweepId) ?? (SweepDetails.ContainsKey(sweepId) ? CoverageLedger.Empty : null));
    }

    public Task<ProblemView?> GetProblemAsync(string dataset, string problemId, CancellationToken cancellationToken = default)
    {
        Read();
        return Task.FromResult(Problems.GetValueOrDefault($"{dataset}/{problemId}"));
    }
}
