using System.CommandLine;
using Dsdr.Cli.Platform;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr serve</c>: the single-node platform (PostgreSQL — embedded unless a connection string is given —, silo,
/// learner slots, REST API, dashboard) in this process until Ctrl-C, which stops it cleanly (the silo leaves, running
/// trials stop at their next step with a checkpoint, PostgreSQL stops).
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliIo io, PlatformStarter start)
    {
        var platform = new PlatformArguments("platform", "cpu:2");
        var connection = new Option<string?>("--connection-string")
        {
            Description = "PostgreSQL to use instead of the embedded server (default: ConnectionStrings__Dsdr or DSDR_PG when set).",
        };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = "API key required on POST routes (default: Dsdr__ApiKey, else one generated at first start and kept in --data-dir).",
        };
        var command = new Command("serve", "Run the single-node platform (PostgreSQL, silo, learner slots, REST API, dashboard) until Ctrl-C.")
        {
            connection, apiKey,
        };
        platform.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var options = platform.Read(parse, NullIfBlank(parse.GetValue(connection)), NullIfBlank(parse.GetValue(apiKey)));
            io.Output.WriteLine("dsdr serve: starting the platform (PostgreSQL, silo, learner slots, API, dashboard)…");
            await using var session = await PlatformCliOptions.StartAsync(start, options, ct);
            io.Output.WriteLine($"dashboard: {session.Url}");
            io.Output.WriteLine($"API:       {new Uri(session.Url, "api/sweeps")}   {PlatformCliOptions.KeyLine(session, options.DataDirectory)}");
            io.Output.WriteLine($"submit a sweep: dsdr sweep submit examples/countdown-ablation.json --api {session.Url} --api-key {PlatformCliOptions.KeyArgument(session, options.DataDirectory)}");
            io.Output.WriteLine("Ctrl-C stops.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                io.Output.WriteLine("stopping: the silo leaves, running trials stop at their next step and keep their checkpoints…");
            }
            await session.StopAsync();
            io.Output.WriteLine("stopped.");
            return CliExit.Ok;
        });
        return command;
    }

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
