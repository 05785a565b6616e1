using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Dsdr.Cli.Api;
using Dsdr.Core.Results;

namespace Dsdr.Cli.Commands;

/// <summary>
/// `dsdr sweep submit|status|results|cancel|coverage|export`: the REST API of a running platform (<c>--api</c>, default
/// http://localhost:5080; <c>--api-key</c> or Dsdr__ApiKey for the mutating routes). A refused request exits 2 with
/// one line per ProblemDetails error; an unreachable or failing server exits 1 and says how to start one.
/// </summary>
internal static class SweepApiCommands
{
    public static IEnumerable<Command> Create(CliIo io, Func<HttpClient> http)
    {
        yield return Submit(io, http);
        yield return Status(io, http);
        yield return Results(io, http);
        yield return Cancel(io, http);
        yield return Coverage(io, http);
        yield return Export(io, http);
    }

    /// <summary>--api and --api-key, as every command that talks to a running platform takes them.</summary>
    internal sealed class ApiOptions
    {
        public readonly Option<string> Api = new("--api")
        {
            Description = $"Base URL of the platform's REST API (default {DsdrApiClient.DefaultUrl}).",
            DefaultValueFactory = _ => DsdrApiClient.DefaultUrl,
        };

        public readonly Option<string?> ApiKey = new("--api-key")
        {
            Description = $"The platform's API key, sent as {DsdrApiClient.ApiKeyHeader} (default: the {DsdrApiClient.ApiKeyEnvironmentVariable} environment variable).",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Api);
            command.Options.Add(ApiKey);
        }

        public DsdrApiClient Client(ParseResult parse, Func<HttpClient> http) =>
            new(http(), BaseAddress(parse.GetValue(Api)!),
                parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(DsdrApiClient.ApiKeyEnvironmentVariable));
    }

    /// <summary>The API's base address; a URL without a scheme or with a path that is not a folder is refused or completed.</summary>
    internal static Uri BaseAddress(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CliInputException($"--api: '{text}' is not an http(s) URL; write e.g. {DsdrApiClient.DefaultUrl}.");
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    private static Argument<string> SweepId() => new("ID") { Description = "The sweep's id (what 'dsdr sweep submit' printed)." };

    private static Command Submit(CliIo io, Func<HttpClient> http)
    {
        var api = new ApiOptions();
        var file = new Argument<string>("FILE") { Description = "Sweep spec (JSON); '-' reads standard input." };
        var command = new Command("submit", "Submit a sweep spec to the platform; resubmitting the same spec is a no-op.") { file };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var json = CliFiles.ReadAllText(parse.GetValue(file), io, "sweep spec");
            SweepCommand.Parse(json); // the same errors as the server, without a round trip
            var answer = await api.Client(parse, http).SubmitAsync(json, ct);
            var id = Text(answer, "sweepId");
            var trials = Number(answer, "trials");
            var created = Bool(answer, "created") ?? true;
            io.Output.WriteLine(created
                ? $"submitted sweep {id}: {trials} trials queued"
                : $"sweep {id} was already submitted with this spec ({trials} trials); nothing new queued");
            io.Output.WriteLine($"follow it with: dsdr sweep status {id}");
            return CliExit.Ok;
        });
        return command;
    }

    private static Command Status(CliIo io, Func<HttpClient> http)
    {
        var api = new ApiOptions();
        var id = SweepId();
        var json = new Option<bool>("--json") { Description = "Print the API's JSON answer instead of a table." };
        var command = new Command("status", "Show a sweep's progress and its trials.") { id, json };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var details = await api.Client(parse, http).GetSweepAsync(parse.GetValue(id)!, ct);
            if (parse.GetValue(json)) io.Output.WriteLine(JsonSerializer.Serialize(details, CliJson.Indented));
            else WriteStatus(details, io.Output);
            return CliExit.Ok;
        });
        return command;
    }

    private static Command Results(CliIo io, Func<HttpClient> http)
    {
        var api = new ApiOptions();
        var id = SweepId();
        var format = new Option<string>("--format")
        {
            Description = "Table format: json, csv, markdown or latex.",
            DefaultValueFactory = _ => "markdown",
        };
        format.AcceptOnlyFromAmong([.. ResultTableRenderer.Formats]);
        var metric = new Option<string[]>("--metric")
        {
            Description = "A column's metric, e.g. avg@16, pass@16, distinct (repeat the option for several; default: all).",
        };
        var reference = new Option<string?>("--reference")
        {
            Description = "The row every other row's paired difference (Δ) is against: a row label, an arm or backbone (default: grpo).",
        };
        var command = new Command("results",
            "Print a sweep's result table: mean ± std over seeds per row, the 95 % bootstrap CI over problems and seeds, and Δ against the reference row.")
        { id, format, metric, reference };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var metrics = CheckedMetrics(parse.GetValue(metric));
            var chosen = parse.GetValue(format)!;
            var table = await api.Client(parse, http).GetResultsAsync(parse.GetValue(id)!, chosen, metrics, ct, parse.GetValue(reference));
            io.Output.WriteLine(chosen == "json" ? Indent(table) : table.TrimEnd());
            return CliExit.Ok;
        });
        return command;
    }

    /// <summary>--metric values as given, each checked to be "name" or "name@k" (a bad one is a <see cref="CliInputException"/> naming it).</summary>
    internal static IReadOnlyList<string> CheckedMetrics(string[]? metrics)
    {
        foreach (var m in metrics ?? [])
        {
            try
            {
                MetricKey.Parse(m);
            }
            catch (FormatException e)
            {
                throw new CliInputException($"--metric '{m}': {e.Message}");
            }
        }
        return metrics ?? [];
    }

    private static Command Cancel(CliIo io, Func<HttpClient> http)
    {
        var api = new ApiOptions();
        var id = SweepId();
        var command = new Command("cancel", "Cancel a sweep's queued and running trials (running ones stop at their next step).") { id };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var sweep = await api.Client(parse, http).CancelAsync(parse.GetValue(id)!, ct);
            io.Output.WriteLine($"cancelled: {Summary(sweep)}");
            return CliExit.Ok;
        });
        return command;
    }

    private static Command Coverage(CliIo io, Func<HttpClient> http)
    {
        var api = new ApiOptions();
        var id = SweepId();
        var json = new Option<bool>("--json") { Description = "Print the API's JSON answer instead of tables." };
        var command = new Command("coverage",
            "Show which rows (and seeds) solved each held-out problem at their final evaluation, the most distinct correct solutions, " +
            "and per pair of rows the problems only the first solved.") { id, json };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var ledger = await api.Client(parse, http).GetCoverageAsync(parse.GetValue(id)!, ct);
            if (parse.GetValue(json)) io.Output.WriteLine(JsonSerializer.Serialize(ledger, CliJson.Indented));
            else WriteCoverage(ledger, io.Output);
            return CliExit.Ok;
        });
        return command;
    }

    private static void WriteCoverage(JsonElement ledger, TextWriter output)
    {
        var rows = (Property(ledger, "rows")?.EnumerateArray() ?? default).Select(r => r.GetString() ?? "").ToList();
        var problems = Property(ledger, "problems") is { ValueKind: JsonValueKind.Array } p ? p.EnumerateArray().ToList() : [];
        if (problems.Count == 0)
        {
            output.WriteLine("no per-problem evaluations yet: the ledger fills in as trials evaluate.");
            return;
        }
        output.WriteLine("solved only by A (problems A solved with some seed and B with none):");
        var pairs = Property(ledger, "pairs") is { ValueKind: JsonValueKind.Array } pa ? pa.EnumerateArray().ToList() : [];
        CliTable.Write(output, ["A", "B", "only A", "problems"], [.. pairs.Select(x =>
        {
            var list = Property(x, "problems")?.EnumerateArray().Select(e => e.GetString() ?? "").ToList() ?? [];
            return new[] { Text(x, "a"), Text(x, "b"), list.Count.ToString(CultureInfo.InvariantCulture),
                string.Join(" ", list.Take(8)) + (list.Count > 8 ? $" … (+{list.Count - 8})" : "") };
        })]);
        output.WriteLine();
        output.WriteLine("per problem: seeds that solved it / seeds evaluated, most distinct correct solutions of one seed:");
        CliTable.Write(output, ["problem", .. rows], [.. problems.Select(problem =>
        {
            var cells = Property(problem, "rows")?.EnumerateArray().ToList() ?? [];
            return new[] { $"{Text(problem, "benchmark")}/{Text(problem, "problemId")}" }.Concat(rows.Select(row =>
                cells.FirstOrDefault(c => Text(c, "row") == row) is { ValueKind: JsonValueKind.Object } c
                    ? $"{Property(c, "solvedSeeds")?.GetArrayLength()}/{Property(c, "seeds")?.GetArrayLength()} ({Number(c, "maxDistinctCorrect")} distinct)"
                    : "–")).ToArray();
        })]);
    }

    private static Command Export(CliIo io, Func<HttpClient> http)
    {
        var api = new ApiOptions();
        var id = SweepId();
        var format = new Option<string>("--format") { Description = "File format: csv or parquet.", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "parquet");
        var output = new Option<string>("--out") { Description = "Folder the files are written to (created when missing).", Required = true };
        var command = new Command("export",
            "Write everything a sweep recorded to a folder: trials, metrics, evals and eval_problems, one typed CSV or Parquet file each.")
        { id, format, output };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var chosen = parse.GetValue(format)!;
            var folder = parse.GetValue(output)!;
            var zip = await api.Client(parse, http).GetExportAsync(parse.GetValue(id)!, chosen, ct);
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliInputException($"--out: cannot create the folder '{folder}' ({e.Message}).");
            }
            using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
            foreach (var entry in archive.Entries)
            {
                // the server names the files; a name with a folder in it is not one of them
                if (entry.Name != entry.FullName || entry.Name.Length == 0)
                    throw new CliUnavailableException($"the export holds an unexpected entry '{entry.FullName}'; is {api.Client(parse, http).BaseAddress} a Dsdr API?");
                var path = Path.Combine(folder, entry.Name);
                entry.ExtractToFile(path, overwrite: true);
                io.Output.WriteLine($"{path} ({entry.Length} bytes)");
            }
            return CliExit.Ok;
        });
        return command;
    }

    private static void WriteStatus(JsonElement details, TextWriter output)
    {
        var sweep = Property(details, "sweep") ?? details;
        output.WriteLine(Summary(sweep));
        if (Property(details, "trials") is not { ValueKind: JsonValueKind.Array } trials) return;
        var rows = trials.EnumerateArray().Select(t => new[]
        {
            Text(t, "trialId"), Text(t, "arm"), Text(t, "row"), Number(t, "seed"), Text(t, "status"),
            $"{Number(t, "step")}/{Number(t, "totalSteps")}", Number(t, "attempts"), Text(t, "slotKey"), Text(t, "error"),
        }).ToList();
        CliTable.Write(output, ["trial", "arm", "row", "seed", "status", "step", "attempts", "slot", "error"], rows);
    }

    /// <summary>"ID (name): status — N trials: r running, q queued, c completed, f failed, x cancelled[, s stopped early]".</summary>
    internal static string Summary(JsonElement sweep) =>
        $"{Text(sweep, "sweepId")} ({Text(sweep, "name")}): {Text(sweep, "status")} — {Number(sweep, "trials")} trials: " +
        $"{Number(sweep, "running")} running, {Number(sweep, "queued")} queued, {Number(sweep, "completed")} completed, " +
        $"{Number(sweep, "failed")} failed, {Number(sweep, "cancelled")} cancelled" +
        (Number(sweep, "stopped") is var stopped and not ("0" or "?") ? $", {stopped} stopped early" : "");

    private static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object) return null;
        foreach (var p in element.EnumerateObject())
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }

    private static string Text(JsonElement element, string name) => Property(element, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => "",
        { ValueKind: JsonValueKind.String } v => v.GetString()!,
        { } v => v.ToString(),
    };

    private static string Number(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble().ToString(CultureInfo.InvariantCulture) : "?";

    private static bool? Bool(JsonElement element, string name) => Property(element, name)?.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static string Indent(string json)
    {
        try
        {
            return JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, CliJson.Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
