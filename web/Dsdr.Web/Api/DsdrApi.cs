using System.Globalization;
using System.Text;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Web.Security;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dsdr.Web.Api;

/// <summary>
/// The REST API of DESIGN.md, grouped by resource: sweeps, trials, pool, problems. Every error is a problem-details
/// document (<see cref="ApiProblems"/>); POST routes need the operator policy, which the X-Api-Key header satisfies
/// (<see cref="DsdrAuth.ApiKeyScheme"/>).
/// </summary>
public static class DsdrApi
{
    /// <summary>Largest sweep spec accepted, in bytes.</summary>
    public const int MaxSpecBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IEndpointRouteBuilder MapDsdrApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        MapSweeps(api.MapGroup("/sweeps").WithTags("Sweeps"));
        MapTrials(api.MapGroup("/trials").WithTags("Trials"));
        api.MapGet("/pool", GetPool).WithTags("Pool").WithName("GetPool")
            .WithSummary("The pool: learner slots, what they run, the queue length and utilisation over time.");
        api.MapGet("/problems/{dataset}/{id}", GetProblem).WithTags("Problems").WithName("GetProblem")
            .WithSummary("A problem's text, gold answer and history across trials (attempts, pass rate, distinct correct solutions).");
        return app;
    }

    private static void MapSweeps(RouteGroupBuilder sweeps)
    {
        sweeps.MapPost("/", SubmitSweep).WithName("SubmitSweep").RequireAuthorization(DsdrAuth.OperatePolicy)
            .Accepts<SweepSpecDocument>("application/json")
            .WithSummary("Submits a sweep spec (JSON): validated by Core, expanded into trials, queued. The sweep id is the spec's name; " +
                         "resubmitting the identical spec returns the sweep (200), a different spec under the same name is a 409.");
        sweeps.MapGet("/", ListSweeps).WithName("ListSweeps").WithSummary("Sweeps, newest first, with their trials counted by status.");
        sweeps.MapGet("/{id}", GetSweep).WithName("GetSweep").WithSummary("A sweep with its spec and trials.");
        sweeps.MapPost("/{id}/cancel", CancelSweep).WithName("CancelSweep").RequireAuthorization(DsdrAuth.OperatePolicy)
            .WithSummary("Cancels the sweep's queued and running trials (running ones stop at their next step).");
        sweeps.MapGet("/{id}/results", GetResults).WithName("GetSweepResults")
            .Produces<string>(StatusCodes.Status200OK, "application/json", "text/csv", "text/markdown", "application/x-latex")
            .WithSummary("The paper-style result table (mean ± std over seeds, 95 % bootstrap CI over problems and seeds, paired Δ vs a reference row; " +
                         "Backbone row from step-0 evaluations) as json, csv, markdown or latex; ?metric=avg@16,pass@16,distinct picks metrics; " +
                         "?step=final|best:<benchmark>:<metric@k>; ?reference=grpo (a row, an arm or backbone; default grpo).");
        sweeps.MapGet("/{id}/report", GetReport).WithName("GetSweepReport")
            .WithSummary("What `dsdr report` draws, computed with the platform's statistics (docs/STATISTICS.md): the result table (the results API's " +
                         "document for the report's metrics, see tableQuery), pass@k curves with 95 % bootstrap bands, Δpass@k vs the reference row with " +
                         "bands and the smallest significant k, training curves (entropy, similarities) and distinct correct over evaluation steps " +
                         "with seed bands, λ sensitivity when the grid varies λd, λℓ or τ, and each of the paper's claims with its Δ, CI, p and verdict. " +
                         "?metric=, ?step= and ?reference= as for the results.");
        sweeps.MapGet("/{id}/coverage", GetCoverage).WithName("GetSweepCoverage")
            .WithSummary("The solution-coverage ledger from each trial's final evaluation: per problem (benchmark/problem id) the rows that " +
                         "evaluated it with their seeds, the seeds that solved it (any correct Pass@1, Avg@k or pass@k rollout) and the most " +
                         "distinct correct solutions one seed found; per ordered pair of rows (a, b) the problems a solved and b did not.");
        sweeps.MapGet("/{id}/export", ExportSweep).WithName("ExportSweep")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/zip")
            .WithSummary("Everything the sweep recorded, in one zip: trials, metrics (every step metric), evals (every evaluation figure) and " +
                         "eval_problems (every per-problem evaluation outcome), one file each, as ?format=csv (default) or ?format=parquet. " +
                         "Columns are typed (text, int32, float64, boolean, UTC timestamp; null where the value is absent) and every row " +
                         "carries its trial's id, arm, row and seed.");
    }

    private static void MapTrials(RouteGroupBuilder trials)
    {
        trials.MapGet("/{id}", GetTrial).WithName("GetTrial").WithSummary("A trial with its config, evaluations, metric names, rollout steps and attempts (slot, start and end, outcome, and why a failed one failed).");
        trials.MapGet("/{id}/metrics", GetTrialMetrics).WithName("GetTrialMetrics")
            .WithSummary("The trial's step-metric curves (?names=loss,reward/mean; all when omitted), downsampled to ?maxPoints= (default 500).");
        trials.MapGet("/{id}/rollouts", GetTrialRollouts).WithName("GetTrialRollouts")
            .WithSummary("One training step's scored rollout groups (?step=; the latest recorded step when omitted).");
    }

    /// <summary>What POST /api/sweeps takes: a sweep spec (see examples/README.md); only for the OpenAPI document.</summary>
    public sealed record SweepSpecDocument(string Name, object Task, object Model, IReadOnlyList<string> Arms, IReadOnlyList<int> Seeds,
        string? Description = null, object? Base = null, object? Grid = null, object? Eval = null, object? Resources = null, int? MaxTrials = null, object? Search = null);

    // ---- sweeps ----

    internal static async Task<Results<Created<SweepSubmitted>, Ok<SweepSubmitted>, ProblemHttpResult>> SubmitSweep(
        HttpRequest request, IDsdrPlatform platform, CancellationToken cancellationToken)
    {
        // the route's policy has already admitted the caller; the platform checks it again on its command path
        if (request.ContentLength > MaxSpecBytes)
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Sweep spec too large",
                detail: $"The spec is {request.ContentLength} bytes; the limit is {MaxSpecBytes}.");
        string json;
        // strict UTF-8: an invalid byte is refused, not silently replaced by U+FFFD
        using (var reader = new StreamReader(request.Body, StrictUtf8))
        {
            var buffer = new char[MaxSpecBytes + 1];
            int read;
            try
            {
                read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken);
            }
            catch (DecoderFallbackException)
            {
                return ApiProblems.InvalidSpec([new SpecError("$", "the body is not valid UTF-8 text; send the spec as UTF-8 encoded JSON")]);
            }
            if (read > MaxSpecBytes)
                return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Sweep spec too large",
                    detail: $"The spec is longer than the limit of {MaxSpecBytes} bytes.");
            json = new string(buffer, 0, read);
        }
        try
        {
            var submitted = await platform.SubmitAsync(json, request.HttpContext.User, cancellationToken);
            return submitted.Created
                ? TypedResults.Created($"/api/sweeps/{Uri.EscapeDataString(submitted.SweepId)}", submitted)
                : TypedResults.Ok(submitted);
        }
        catch (SweepSpecException ex)
        {
            return ApiProblems.InvalidSpec(ex.Errors);
        }
        catch (SweepConflictException ex)
        {
            return ApiProblems.Conflict(ex);
        }
    }

    internal static async Task<Results<Ok<IReadOnlyList<SweepListItem>>, ProblemHttpResult>> ListSweeps(
        IDsdrPlatform platform, string? limit, string? offset, CancellationToken cancellationToken)
    {
        if (!TryInt(limit, 100, 1, 1000, out var take)) return ApiProblems.BadParameter("limit", $"\"{limit}\" is not a whole number from 1 to 1000.");
        if (!TryInt(offset, 0, 0, int.MaxValue, out var skip)) return ApiProblems.BadParameter("offset", $"\"{offset}\" is not a whole number ≥ 0.");
        return TypedResults.Ok(await platform.ListSweepsAsync(take, skip, cancellationToken));
    }

    internal static async Task<Results<Ok<SweepDetails>, ProblemHttpResult>> GetSweep(string id, IDsdrPlatform platform, CancellationToken cancellationToken) =>
        await platform.GetSweepAsync(id, cancellationToken) is { } sweep ? TypedResults.Ok(sweep) : ApiProblems.NotFound("sweep", id);

    internal static async Task<Results<Ok<SweepListItem>, ProblemHttpResult>> CancelSweep(string id, IDsdrPlatform platform, HttpContext http,
        CancellationToken cancellationToken) =>
        await platform.CancelSweepAsync(id, http.User, cancellationToken) is { } sweep ? TypedResults.Ok(sweep) : ApiProblems.NotFound("sweep", id);

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetResults(
        string id, IDsdrPlatform platform, string? metric, string? format, string? step, string? backbone, string? reference, CancellationToken cancellationToken)
    {
        if (ResultQueryParser.Format(format) is not { } chosen)
            return ApiProblems.BadParameter("format", $"\"{format}\" is not a result format; use one of {string.Join(", ", ResultTableRenderer.Formats)}.");
        bool includeBackbone = true;
        if (backbone is not null && !bool.TryParse(backbone, out includeBackbone))
            return ApiProblems.BadParameter("backbone", $"\"{backbone}\" is not true or false.");
        var (query, problem) = ResultQueryOf(metric, step, reference, includeBackbone);
        if (problem is not null) return problem;
        ResultTable? table;
        try
        {
            table = await platform.GetResultTableAsync(id, query!, cancellationToken);
        }
        catch (UnknownReferenceException ex)
        {
            return ApiProblems.BadParameter("reference", ex.Message);
        }
        catch (BadResultQueryException ex)
        {
            return ApiProblems.BadParameter(ex.Parameter, ex.Message);
        }
        if (table is null) return ApiProblems.NotFound("sweep", id);
        return TypedResults.Content(ResultTableRenderer.Render(table, chosen.Format), chosen.ContentType);
    }

    internal static async Task<Results<Ok<SweepReport>, ProblemHttpResult>> GetReport(
        string id, IDsdrPlatform platform, string? metric, string? step, string? reference, CancellationToken cancellationToken)
    {
        var (query, problem) = ResultQueryOf(metric, step, reference, includeBackbone: true);
        if (problem is not null) return problem;
        SweepReport? report;
        try
        {
            report = await platform.GetReportAsync(id, query!, cancellationToken);
        }
        catch (UnknownReferenceException ex)
        {
            return ApiProblems.BadParameter("reference", ex.Message);
        }
        catch (BadResultQueryException ex)
        {
            return ApiProblems.BadParameter(ex.Parameter, ex.Message);
        }
        return report is null ? ApiProblems.NotFound("sweep", id) : TypedResults.Ok(report);
    }

    internal static async Task<Results<Ok<CoverageLedger>, ProblemHttpResult>> GetCoverage(string id, IDsdrPlatform platform, CancellationToken cancellationToken) =>
        await platform.GetCoverageAsync(id, cancellationToken) is { } ledger ? TypedResults.Ok(ledger) : ApiProblems.NotFound("sweep", id);

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportSweep(
        string id, SweepExporter exporter, string? format, CancellationToken cancellationToken)
    {
        var chosen = string.IsNullOrWhiteSpace(format) ? "csv" : format.Trim().ToLowerInvariant();
        if (!SweepExporter.Formats.Contains(chosen))
            return ApiProblems.BadParameter("format", $"\"{format}\" is not an export format; use format=csv or format=parquet.");
        using var zip = new MemoryStream();
        if (!await exporter.WriteZipAsync(id, chosen, zip, cancellationToken)) return ApiProblems.NotFound("sweep", id);
        return TypedResults.File(zip.ToArray(), "application/zip", $"{id}-{chosen}.zip");
    }

    /// <summary>The result query of ?metric=&amp;step=&amp;reference= (shared by the results and report routes), or the 400 naming the bad parameter.</summary>
    private static (ResultQuery? Query, ProblemHttpResult? Problem) ResultQueryOf(string? metric, string? step, string? reference, bool includeBackbone)
    {
        var (metrics, metricError) = ResultQueryParser.ParseMetrics(metric);
        if (metricError is not null) return (null, ApiProblems.BadParameter("metric", metricError));
        try
        {
            ResultSteps.Parse(step);
        }
        catch (FormatException ex)
        {
            return (null, ApiProblems.BadParameter("step", ex.Message));
        }
        if (reference is not null && string.IsNullOrWhiteSpace(reference))
            return (null, ApiProblems.BadParameter("reference", "is empty; name the reference row or arm, e.g. reference=grpo (or leave it out for grpo)."));
        return (new ResultQuery(metrics, string.IsNullOrWhiteSpace(step) ? "final" : step, includeBackbone, reference?.Trim()), null);
    }

    // ---- trials ----

    internal static async Task<Results<Ok<TrialDetails>, ProblemHttpResult>> GetTrial(string id, IDsdrPlatform platform, CancellationToken cancellationToken) =>
        await platform.GetTrialAsync(id, cancellationToken) is { } trial ? TypedResults.Ok(trial) : ApiProblems.NotFound("trial", id);

    internal static async Task<Results<Ok<IReadOnlyList<MetricCurve>>, ProblemHttpResult>> GetTrialMetrics(
        string id, IDsdrPlatform platform, string? names, string? maxPoints, CancellationToken cancellationToken)
    {
        if (!TryInt(maxPoints, 500, 2, 100_000, out var points))
            return ApiProblems.BadParameter("maxPoints", $"\"{maxPoints}\" is not a whole number from 2 to 100000.");
        var list = (names ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (await platform.GetTrialAsync(id, cancellationToken) is not { } trial) return ApiProblems.NotFound("trial", id);
        var unknown = list.Where(n => !trial.MetricNames.Contains(n)).ToList();
        if (unknown.Count > 0)
            return ApiProblems.BadParameter("names", $"trial '{id}' has no metric {string.Join(", ", unknown.Select(n => $"\"{n}\""))}; " +
                (trial.MetricNames.Count == 0 ? "it has recorded none yet." : $"it has {string.Join(", ", trial.MetricNames)}."));
        return TypedResults.Ok(await platform.GetMetricsAsync([id], list, points, cancellationToken));
    }

    internal static async Task<Results<Ok<RolloutStepView>, ProblemHttpResult>> GetTrialRollouts(
        string id, IDsdrPlatform platform, string? step, CancellationToken cancellationToken)
    {
        int? chosen = null;
        if (!string.IsNullOrWhiteSpace(step))
        {
            if (!int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
                return ApiProblems.BadParameter("step", $"\"{step}\" is not a training step (a whole number ≥ 0).");
            chosen = s;
        }
        var view = await platform.GetRolloutsAsync(id, chosen, cancellationToken);
        if (view is null) return ApiProblems.NotFound("trial", id);
        if (chosen is { } wanted && !view.Steps.Contains(wanted))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No rollouts at this step",
                detail: $"Trial '{id}' has no rollout groups at step {wanted}; " +
                        (view.Steps.Count == 0 ? "it has recorded none yet." : $"recorded steps: {string.Join(", ", view.Steps)}."));
        return TypedResults.Ok(view);
    }

    // ---- pool, problems ----

    internal static async Task<Ok<PoolView>> GetPool(IDsdrPlatform platform, CancellationToken cancellationToken) =>
        TypedResults.Ok(await platform.GetPoolAsync(cancellationToken));

    internal static async Task<Results<Ok<ProblemView>, ProblemHttpResult>> GetProblem(string dataset, string id, IDsdrPlatform platform,
        CancellationToken cancellationToken) =>
        await platform.GetProblemAsync(dataset, id, cancellationToken) is { } problem
            ? TypedResults.Ok(problem)
            : ApiProblems.NotFound("problem", $"{dataset}/{id}");

    private static bool TryInt(string? text, int fallback, int min, int max, out int value)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            value = fallback;
            return true;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }
}
