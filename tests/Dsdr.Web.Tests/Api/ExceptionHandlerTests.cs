using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Web.Api;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dsdr.Web.Tests.Api;

/// <summary>The API's safety net: exceptions that escape an endpoint become problem details, never a stack trace.</summary>
public sealed class ExceptionHandlerTests
{
    private static async Task<(int Status, JsonElement Problem)> HandleAsync(Exception exception)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "GET";
        context.Request.Path = "/api/sweeps";
        context.Response.Body = new MemoryStream();
        var handler = new ApiExceptionHandler(services.GetRequiredService<IProblemDetailsService>(), NullLogger<ApiExceptionHandler>.Instance);

        Assert.True(await handler.TryHandleAsync(context, exception, CancellationToken.None));

        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, JsonDocument.Parse(context.Response.Body).RootElement.Clone());
    }

    [Fact]
    public async Task An_unexpected_exception_is_a_500_naming_the_trace_id_without_message_or_stack_trace()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("secret connection string Password=hunter2");
        }
        catch (InvalidOperationException ex)
        {
            thrown = ex;
        }

        var (status, problem) = await HandleAsync(thrown);

        Assert.Equal(500, status);
        var text = problem.GetRawText();
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain(" at ", text);
        Assert.Contains("InvalidOperationException", problem.GetProperty("detail").GetString());
        Assert.Contains("trace id", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Spec_and_conflict_exceptions_keep_their_statuses()
    {
        var (specStatus, spec) = await HandleAsync(new SweepSpecException([new SpecError("$.seeds[0]", "must be a whole number")]));
        Assert.Equal(400, specStatus);
        Assert.Equal("$.seeds[0]", spec.GetProperty("errors")[0].GetProperty("path").GetString());

        var (conflictStatus, _) = await HandleAsync(new SweepConflictException("s", "its \"seeds\" differ"));
        Assert.Equal(409, conflictStatus);

        var (timeoutStatus, _) = await HandleAsync(new TimeoutException());
        Assert.Equal(503, timeoutStatus);
    }
}
