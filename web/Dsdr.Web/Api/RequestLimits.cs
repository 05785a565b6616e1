using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Dsdr.Web.Api;

/// <summary>
/// Limits on what a request may look like, answered as problem details. Kestrel refuses what breaks its own limits
/// before any middleware runs, with an empty body; so its limits are raised (<see cref="ConfigureKestrel"/>) and the
/// application's are enforced here instead: a URL over <see cref="MaxUrlBytes"/> is a 414 with a body saying what to
/// change. Beyond Kestrel's raised limits, and for what it refuses outright (a NUL decoded into the path, a malformed
/// request line), its bare answer is rewritten into problem details on the way out (<see cref="KestrelRejections"/>).
/// </summary>
public static class RequestLimits
{
    /// <summary>Longest request target (path and query) the application takes.</summary>
    public const int MaxUrlBytes = 8 * 1024;
    /// <summary>Kestrel's request-line limit, raised from its 8 KiB so an over-long URL reaches <see cref="UseDsdrRequestLimits"/>.</summary>
    public const int KestrelRequestLineBytes = 64 * 1024;
    /// <summary>Kestrel's header limit (request line included), raised with it.</summary>
    public const int KestrelHeaderBytes = 96 * 1024;

    public static void ConfigureKestrel(KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxRequestLineSize = KestrelRequestLineBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = KestrelHeaderBytes;
        KestrelRejections.AnswerAsProblemDetails(kestrel);
    }

    /// <summary>The checks, first in the pipeline after the exception handler.</summary>
    public static IApplicationBuilder UseDsdrRequestLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : http.Request.Path + http.Request.QueryString;
        if (target.Length > MaxUrlBytes)
        {
            await WriteAsync(http, StatusCodes.Status414UriTooLong, "URL too long",
                $"The request's URL is {target.Length} bytes; this server takes at most {MaxUrlBytes}. Send long inputs in a POST body, or ask for less.");
            return;
        }
        await next(http);
    });

    private static async Task WriteAsync(HttpContext http, int status, string title, string detail)
    {
        http.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        var written = await http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
        if (!written) await http.Response.WriteAsync($"{status} {title}: {detail}");
    }
}
