using System.CommandLine;
using Dsdr.Learning.Embedding;

namespace Dsdr.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, CliIo.FromConsole());

    /// <summary>Parses and runs one command line; bad input exits 2 with one line naming what is wrong.</summary>
    internal static int Run(string[] args, CliIo io, Platform.PlatformStarter? platform = null)
    {
        var parse = BuildRoot(io, platform).Parse(args);
        if (parse.Errors.Count > 0)
        {
            var error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(e.Message.Contains)) ?? parse.Errors[0];
            io.Error.WriteLine($"dsdr: {error.Message} (see '{string.Join(' ', ["dsdr", .. CommandPath(parse), "--help"])}')");
            return CliExit.BadInput;
        }
        try
        {
            // InvokeAsync: only the asynchronous path turns Ctrl-C/SIGTERM into the command's cancellation token
            return parse.InvokeAsync(new InvocationConfiguration
            {
                Output = io.Output,
                Error = io.Error,
                EnableDefaultExceptionHandler = false,
                // Ctrl-C cancels the command's token; serve/demo then stop the platform cleanly, which takes seconds
                ProcessTerminationTimeout = TimeSpan.FromSeconds(90),
            }).GetAwaiter().GetResult();
        }
        catch (CliInputException e)
        {
            io.Error.WriteLine($"dsdr: {e.Message}");
            return CliExit.BadInput;
        }
        catch (CliUnavailableException e)
        {
            io.Error.WriteLine($"dsdr: {e.Message}");
            return CliExit.Failed;
        }
    }

    internal static RootCommand BuildRoot(CliIo io, Platform.PlatformStarter? platform = null)
    {
        var root = new RootCommand("dsdr: RL experiments on language models with DSDR, GRPO and DAPO.");
        root.Subcommands.Add(Commands.ScoreCommand.Create(io, () => MiniLmEmbedder.Get(new MiniLmOptions())));
        root.Subcommands.Add(Commands.GenerateCommand.Create(io));
        root.Subcommands.Add(Commands.VerifyCommand.Create(io));
        root.Subcommands.Add(Commands.DataCommand.Create(io));
        root.Subcommands.Add(Commands.SweepCommand.Create(io));
        root.Subcommands.Add(Commands.ArmsCommand.Create(io));
        root.Subcommands.Add(Commands.ReportCommand.Create(io));
        root.Subcommands.Add(Commands.DoctorCommand.Create(io));
        root.Subcommands.Add(Commands.UserCommand.Create(io));
        root.Subcommands.Add(Commands.KeyCommand.Create(io));
        root.Subcommands.Add(Commands.TrainCommand.Create(io, () => MiniLmEmbedder.Get(new MiniLmOptions()), Learning.Training.TrialRunner.SftWarmStartDefault, Learning.Training.TrialRunner.EvaluatorDefault));
        root.Subcommands.Add(Commands.ServeCommand.Create(io, platform ?? Platform.WebPlatform.StartAsync));
        root.Subcommands.Add(Commands.DemoCommand.Create(io, platform ?? Platform.WebPlatform.StartAsync));
        return root;
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is not null; result = (System.CommandLine.Parsing.CommandResult)result.Parent!)
            names.Insert(0, result.Command.Name);
        return names;
    }
}

/// <summary>The streams a command reads and writes; the console in production, strings in tests.</summary>
internal sealed record CliIo(TextReader Input, TextWriter Output, TextWriter Error)
{
    public static CliIo FromConsole() => new(Console.In, Console.Out, Console.Error);
}

internal static class CliExit
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
}

/// <summary>Bad input from the user: reported as one line, exit code 2.</summary>
internal sealed class CliInputException(string message) : Exception(message);

/// <summary>Something the command needs is not there (e.g. no platform answers at --api): reported as one line, exit code 1.</summary>
internal sealed class CliUnavailableException(string message) : Exception(message);
