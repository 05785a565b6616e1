using System.CommandLine;
using System.Text.Json.Nodes;
using Dsdr.Core.Tasks;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr data inspect PATH [--json]</c>: what a data file (or folder of them) holds as the platform reads it: the
/// recognised layout, the row count and the first rows' prompt and answer. A file the platform cannot read exits 2
/// with the loader's message, the one a sweep on that file fails with.
/// </summary>
internal static class DataCommand
{
    public static Command Create(CliIo io)
    {
        var path = new Argument<string>("PATH") { Description = "A .parquet or .jsonl file, or a folder of them." };
        var json = new Option<bool>("--json") { Description = "Print {layout, rows, samples: [{prompt, answer}]}." };
        var samples = new Option<int>("--samples") { Description = "How many first rows to show (default 3).", DefaultValueFactory = _ => 3 };
        var promptField = new Option<string?>("--prompt-field") { Description = "Field of the problem text (a dotted path such as meta.text), as a spec's promptField." };
        var answerField = new Option<string?>("--answer-field") { Description = "Field of the gold answer (a dotted path such as reward_model.ground_truth), as a spec's answerField." };
        var inspect = new Command("inspect", "Show the layout, row count and first problems of a data file as the platform reads it.")
        {
            path, json, samples, promptField, answerField,
        };
        inspect.SetAction(parse =>
        {
            var count = parse.GetValue(samples);
            if (count < 0) throw new CliInputException("--samples must be 0 or more.");
            ProblemFile file;
            try
            {
                file = BenchmarkLoader.Read(parse.GetValue(path)!, mapping: new FieldMapping(parse.GetValue(promptField), parse.GetValue(answerField)));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new CliInputException(e.Message);
            }
            var shown = file.Problems.Take(count).ToList();
            if (parse.GetValue(json))
            {
                var samplesJson = new JsonArray([.. shown.Select(p => new JsonObject { ["prompt"] = p.Prompt, ["answer"] = p.Gold })]);
                io.Output.WriteLine(new JsonObject { ["layout"] = file.Layout, ["rows"] = file.Problems.Count, ["samples"] = samplesJson }.ToJsonString(CliJson.Indented));
                return CliExit.Ok;
            }
            io.Output.WriteLine($"layout: {file.Layout}");
            io.Output.WriteLine($"rows:   {file.Problems.Count}");
            foreach (var p in shown)
            {
                io.Output.WriteLine();
                io.Output.WriteLine($"[{p.Id}] prompt: {p.Prompt}");
                io.Output.WriteLine($"[{p.Id}] answer: {p.Gold}");
            }
            return CliExit.Ok;
        });
        return new Command("data", "Look at data files as the platform reads them.") { inspect };
    }
}
