using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dsdr.Core.Sweeps;
using Spectre.Console;

namespace Dsdr.Cli.Commands;

/// <summary>`dsdr sweep …`: sweep specs offline (expand) and sweeps on a running platform (submit, status, results, cancel).</summary>
internal static class SweepCommand
{
    public static Command Create(CliIo io, Func<HttpClient>? http = null)
    {
        var sweep = new Command("sweep", "Sweep specs: expand them into trials; submit, follow, cancel sweeps and get their result tables from a running platform.");
        sweep.Subcommands.Add(CreateExpand(io));
        foreach (var command in SweepApiCommands.Create(io, http ?? (() => new HttpClient())))
            sweep.Subcommands.Add(command);
        return sweep;
    }

    private static Command CreateExpand(CliIo io)
    {
        var file = new Argument<string>("FILE") { Description = "Sweep spec (JSON); '-' reads standard input." };
        var json = new Option<bool>("--json") { Description = "Print the trials as JSON instead of a table." };
        var expand = new Command("expand", "Validate a sweep spec and print its trial matrix.") { file, json };
        expand.SetAction(parse =>
        {
            var spec = Parse(CliFiles.ReadAllText(parse.GetValue(file), io, "sweep spec"));
            var trials = SweepExpander.Expand(spec);
            if (parse.GetValue(json)) io.Output.WriteLine(JsonSerializer.Serialize(trials, SweepJson.Indented));
            else WriteTable(spec, trials, io.Output);
            return CliExit.Ok;
        });
        return expand;
    }

    /// <summary>Parses a spec or throws one line per error ("path: reason").</summary>
    internal static SweepSpec Parse(string json)
    {
        var result = SweepSpecParser.Parse(json);
        if (result.IsValid) return result.Spec!;
        var lines = result.Errors.Select(e => e.ToString());
        throw new CliInputException($"invalid sweep spec: {string.Join(Environment.NewLine + "dsdr: ", lines)}");
    }

    private static void WriteTable(SweepSpec spec, IReadOnlyList<TrialSpec> trials, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        var table = new Table { Border = TableBorder.Simple, Title = new TableTitle($"{spec.Name}: {trials.Count} trials") };
        foreach (var header in new[] { "#", "trial", "arm", "row", "seed", "steps", "lr", "λd", "λℓ", "τ", "clip" })
            table.AddColumn(header);
        foreach (var t in trials)
        {
            var c = t.Config;
            table.AddRow(Cells(t.Index.ToString(CultureInfo.InvariantCulture), t.TrialId, t.Arm, t.Row,
                t.Seed.ToString(CultureInfo.InvariantCulture), c.TotalSteps.ToString(CultureInfo.InvariantCulture),
                Number(c.LearningRate), Number(c.LambdaD), Number(c.LambdaL), Number(c.Tau),
                $"{Number(c.ClipLow)}/{Number(c.ClipHigh)}"));
        }
        console.Write(table);
    }

    private static Spectre.Console.Rendering.IRenderable[] Cells(params string[] texts) =>
        texts.Select(t => (Spectre.Console.Rendering.IRenderable)new Text(t)).ToArray();

    private static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
