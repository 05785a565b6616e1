using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Core.Tasks;

namespace Dsdr.Cli.Commands;

/// <summary>`dsdr verify`: the task verifiers' binary reward for one answer or a JSONL file of them.</summary>
internal static class VerifyCommand
{
    private sealed record Item(string Task, string Answer, string Gold);

    public static Command Create(CliIo io)
    {
        var task = new Option<string>("--task") { Description = $"Task whose verifier to use: {string.Join(", ", TaskCatalog.Names)}." };
        var answer = new Option<string>("--answer") { Description = "The response text to verify." };
        var gold = new Option<string>("--gold") { Description = "The gold answer (Countdown: \"3 5 8 -> 64\")." };
        var jsonl = new Option<string>("--jsonl") { Description = "Verify every line {\"task\",\"answer\",\"gold\"} of FILE ('-' = standard input)." };
        var verify = new Command("verify", "Check answers with a task's verifier; prints {\"correct\":bool,\"extracted\":...} per answer.")
        {
            task, answer, gold, jsonl,
        };
        verify.SetAction(parse =>
        {
            var file = parse.GetValue(jsonl);
            var items = file is not null
                ? ReadJsonl(CliFiles.ReadAllText(file, io, "answers file"), file)
                : [SingleItem(parse.GetValue(task), parse.GetValue(answer), parse.GetValue(gold))];
            var tasks = items.Select(i => i.Task).Distinct().ToDictionary(name => name, name => TaskCatalog.Get(name));
            foreach (var item in items)
                io.Output.WriteLine(ToJson(tasks[item.Task].Verify(item.Answer, item.Gold)));
            return CliExit.Ok;
        });
        return verify;
    }

    private static Item SingleItem(string? task, string? answer, string? gold)
    {
        if (task is null || answer is null || gold is null)
            throw new CliInputException("verify needs --task, --answer and --gold (or --jsonl FILE).");
        return new Item(KnownTask(task, "--task"), answer, gold);
    }

    private static string KnownTask(string name, string where) =>
        TaskCatalog.Names.Contains(name)
            ? name
            : throw new CliInputException($"{where}: unknown task \"{name}\"; use one of {string.Join(", ", TaskCatalog.Names)}.");

    /// <summary>Reads every line before any is verified, so a bad line stops the run with nothing written.</summary>
    private static List<Item> ReadJsonl(string text, string file)
    {
        var items = new List<Item>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var where = $"{file}:{i + 1}";
            JsonObject row;
            try
            {
                row = JsonNode.Parse(line) as JsonObject ?? throw new CliInputException($"{where}: expected an object {{\"task\",\"answer\",\"gold\"}}.");
            }
            catch (JsonException e)
            {
                throw new CliInputException($"{where}: not valid JSON ({e.Message}).");
            }
            items.Add(new Item(KnownTask(Field(row, "task", where), $"{where}: task"), Field(row, "answer", where), Field(row, "gold", where)));
        }
        return items;
    }

    private static string Field(JsonObject row, string name, string where) =>
        row[name] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new CliInputException($"{where}: \"{name}\" must be a string.");

    private static string ToJson(Verdict verdict) =>
        new JsonObject { ["correct"] = verdict.Correct, ["extracted"] = verdict.Extracted }.ToJsonString(CliJson.Compact);
}
