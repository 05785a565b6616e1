using Dsdr.Core.Sweeps;
using Dsdr.Web.Hosting;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dsdr.Web.Api;

/// <summary>One field of a rejected sweep spec: its JSON path and how to fix it (the "errors" extension of a 400).</summary>
public sealed record SpecErrorDto(string Path, string Reason);

/// <summary>Every error the API answers, as RFC 9457 problem details.</summary>
public static class ApiProblems
{
    public const string ErrorsExtension = "errors";

    public static ProblemHttpResult InvalidSpec(IReadOnlyList<SpecError> errors) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The sweep spec is invalid",
            Detail = $"{errors.Count} error(s): " + string.Join("; ", errors.Take(10).Select(e => e.ToString())) + (errors.Count > 10 ? "; …" : ""),
            Extensions = { [ErrorsExtension] = errors.Select(e => new SpecErrorDto(e.Path, e.Reason)).ToList() },
        });

    public static ProblemHttpResult NotFound(string what, string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No such {what}", detail: $"There is no {what} '{id}'.");

    public static ProblemHttpResult Conflict(SweepConflictException ex) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Sweep id already used", detail: ex.Message,
            extensions: new Dictionary<string, object?> { ["sweepId"] = ex.SweepId, ["existingSweepId"] = ex.ExistingSweepId });

    /// <summary>A bad query parameter: names it and says what to write.</summary>
    public static ProblemHttpResult BadParameter(string parameter, string reason) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"Invalid query parameter '{parameter}'", detail: reason,
            extensions: new Dictionary<string, object?> { ["parameter"] = parameter });

    public static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: $"Missing or wrong {DsdrWebOptions.ApiKeyHeader} header", detail: detail);
}

/// <summary>
/// The safety net behind the endpoints: known exceptions become their status (invalid spec 400, conflict 409, bad
/// request 400, cluster unreachable 503); anything else a 500 that names the trace id, never the stack trace.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            SweepSpecException spec => new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The sweep spec is invalid",
                Detail = spec.Message,
                Extensions = { [ApiProblems.ErrorsExtension] = spec.Errors.Select(e => new SpecErrorDto(e.Path, e.Reason)).ToList() },
            },
            SweepConflictException conflict => new ProblemDetails { Status = StatusCodes.Status409Conflict, Title = "Sweep id already used", Detail = conflict.Message },
            Security.PlatformAccessDeniedException denied => new ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Needs the operator role", Detail = denied.Message },
            BadHttpRequestException bad => new ProblemDetails { Status = bad.StatusCode, Title = "Bad request", Detail = bad.Message },
            TimeoutException or Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException
                => new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "The cluster did not answer",
                    Detail = "The Orleans cluster is unreachable or still starting; retry in a few seconds.",
                },
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => null,
            _ => new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "The server failed",
                Detail = $"An unexpected {exception.GetType().Name} occurred; the server log has the details under trace id {httpContext.TraceIdentifier}.",
            },
        };
        if (problem is null) return true; // the client went away: nothing to answer
        if (problem.Status >= 500) LogFailure(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string path);
}
