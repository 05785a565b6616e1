using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dsdr.Core.Tasks;

/// <summary>
/// Which fields of a row hold the problem text, the gold answer and the id: dotted paths into nested objects
/// ("reward_model.ground_truth"), a number segment indexes a list ("final_answer.0"). A null field keeps the
/// recognised layout's fields.
/// </summary>
public sealed record FieldMapping(string? PromptField = null, string? AnswerField = null, string? IdField = null)
{
    public static FieldMapping None { get; } = new();
    public bool IsEmpty => PromptField is null && AnswerField is null && IdField is null;
}

/// <summary>What a data file holds as the platform reads it: the recognised layout and every problem.</summary>
public sealed record ProblemFile(string Layout, IReadOnlyList<Problem> Problems);

/// <summary>
/// Reads math problems as Hugging Face publishes them: JSONL (one JSON object a line, blank lines skipped) or parquet
/// (nested columns included), a file or a folder of such files. The layout is recognised from the first row's fields
/// (<see cref="Layouts"/>): DAPO-Math-17k (the prompt as chat messages, the gold in reward_model.ground_truth),
/// MATH500, AIME 2024/2025, AMC, Minerva, OlympiadBench (final_answer, a list); any other through a
/// <see cref="FieldMapping"/>. Every row is read before any is returned: a bad row fails the whole file with its file,
/// row and field.
/// </summary>
public static class BenchmarkLoader
{
    /// <summary>The extensions read as data; other files in a folder (README.md, .gitattributes) are skipped.</summary>
    public static IReadOnlyList<string> DataExtensions { get; } = [".parquet", ".jsonl"];

    /// <summary>A recognised layout: its name, the fields that mark it, and where it keeps text, gold and id (first present wins).</summary>
    public sealed record Layout(string Name, string[] Markers, string[] PromptFields, string[] AnswerFields, string[] IdFields);

    // Generic candidates every problem/answer layout shares, so a file mixing "problem" and "question" rows still reads.
    private static readonly string[] TextFields = ["problem", "question", "Problem", "Question"];
    private static readonly string[] GoldFields = ["answer", "gold", "Answer", "final_answer"];
    private static readonly string[] IdFields = ["id", "unique_id", "ID"];

    /// <summary>Tried in order against the first row; the last (problem or question with an answer) is the generic JSONL of earlier versions.</summary>
    public static IReadOnlyList<Layout> Layouts { get; } =
    [
        new("dapo-math-17k", ["prompt", "reward_model"], ["prompt"], ["reward_model.ground_truth"], ["extra_info.index", .. IdFields]),
        new("olympiadbench", ["question", "final_answer"], ["question"], ["final_answer"], IdFields),
        new("math500", ["problem", "answer", "unique_id"], TextFields, GoldFields, ["unique_id", .. IdFields]),
        new("aime2024", ["Problem", "Answer"], ["Problem", .. TextFields], ["Answer", .. GoldFields], ["ID", .. IdFields]),
        new("amc", ["problem", "answer", "url"], TextFields, GoldFields, IdFields),
        new("minerva", ["question", "answer"], TextFields, GoldFields, IdFields),
        new("problem-answer", [], TextFields, GoldFields, IdFields),
    ];

    /// <summary>DAPO-Math-17k wraps each problem in its own "Answer:" instruction; the platform's math instruction replaces it.</summary>
    private const string DapoPrefix = "Solve the following math problem step by step. The last line of your response should be of the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.";
    private const string DapoSuffix = "Remember to put your answer on its own line after \"Answer:\".";

    /// <param name="path">A .jsonl or .parquet file, or a folder of them (read in ordinal path order).</param>
    /// <param name="dataset">Dataset name of every problem; the file name without extension when null.</param>
    /// <param name="prompt">Turns the problem text into the prompt; the text itself when null.</param>
    /// <param name="mapping">Fields to read instead of the recognised layout's.</param>
    /// <exception cref="InvalidDataException">"file:line: what is wrong" (JSONL) or "file: row N: what is wrong" (parquet).</exception>
    /// <exception cref="FileNotFoundException">The file or folder does not exist, or the folder holds no data file.</exception>
    public static IReadOnlyList<Problem> Load(string path, string? dataset = null, Func<string, string>? prompt = null, FieldMapping? mapping = null) =>
        Read(path, dataset, prompt, mapping).Problems;

    /// <summary>As <see cref="Load"/>, with the layout recognised (a folder's files may differ: their names, joined by "+").</summary>
    public static ProblemFile Read(string path, string? dataset = null, Func<string, string>? prompt = null, FieldMapping? mapping = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        mapping ??= FieldMapping.None;
        if (Directory.Exists(path))
        {
            var files = DataFiles(path);
            if (files.Count == 0)
                throw new FileNotFoundException($"Data folder {path} holds no {string.Join(" or ", DataExtensions)} file.", path);
            dataset ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
            var parts = files.Select(f => ReadFile(f, dataset, prompt, mapping,
                idPrefix: files.Count == 1 ? "" : Path.GetRelativePath(path, f) + ":")).ToList();
            return new ProblemFile(string.Join("+", parts.Select(p => p.Layout).Distinct()), [.. parts.SelectMany(p => p.Problems)]);
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"Benchmark file {path} does not exist.", path);
        return ReadFile(path, dataset ?? Path.GetFileNameWithoutExtension(path), prompt, mapping, idPrefix: "");
    }

    /// <summary>The data files under <paramref name="folder"/> (recursively, hidden entries skipped), in ordinal order.</summary>
    public static IReadOnlyList<string> DataFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => DataExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Where(f => !Path.GetRelativePath(folder, f).Split(Path.DirectorySeparatorChar).Any(s => s.StartsWith('.')))
            .Order(StringComparer.Ordinal).ToList();

    private static ProblemFile ReadFile(string path, string dataset, Func<string, string>? prompt, FieldMapping mapping, string idPrefix)
    {
        var parquet = string.Equals(Path.GetExtension(path), ".parquet", StringComparison.OrdinalIgnoreCase);
        var rows = parquet ? ParquetRows.Read(path) : JsonlRows(path);
        Layout? layout = null;
        var problems = new List<Problem>();
        foreach (var (row, number) in rows)
        {
            var where = parquet ? $"{path}: row {number}" : $"{path}:{number}";
            layout ??= Mapped(Recognise(row), mapping);
            problems.Add(ParseRow(row, layout, dataset, prompt, where, idPrefix + number.ToString(CultureInfo.InvariantCulture), idPrefix));
        }
        if (layout is null) throw new InvalidDataException($"{path}: holds no rows.");
        return new ProblemFile(layout.Name, problems);
    }

    /// <summary>The first layout whose marker fields the row has (the generic one otherwise).</summary>
    public static Layout Recognise(JsonObject row) =>
        Layouts.First(l => l.Markers.All(m => row.ContainsKey(m)));

    private static Layout Mapped(Layout layout, FieldMapping mapping) =>
        mapping.IsEmpty ? layout : new Layout(
            "fields",
            [],
            mapping.PromptField is { } p ? [p] : layout.PromptFields,
            mapping.AnswerField is { } a ? [a] : layout.AnswerFields,
            mapping.IdField is { } i ? [i] : layout.IdFields);

    /// <summary>One JSONL row; <paramref name="where"/> ("file:line") prefixes every error.</summary>
    public static Problem ParseLine(string line, string dataset, Func<string, string>? prompt, string where, int lineNumber) =>
        ParseRow(ParseJson(line, where), null, dataset, prompt, where, lineNumber.ToString(CultureInfo.InvariantCulture), "");

    private static IEnumerable<(JsonObject Row, int Number)> JsonlRows(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return (ParseJson(line, $"{path}:{lineNumber}"), lineNumber);
        }
    }

    private static JsonObject ParseJson(string line, string where)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(line); }
        catch (JsonException e) { throw new InvalidDataException($"{where}: not valid JSON ({e.Message})."); }
        return node as JsonObject ?? throw new InvalidDataException($"{where}: expected a JSON object, got {Kind(node)}.");
    }

    private static Problem ParseRow(JsonObject row, Layout? layout, string dataset, Func<string, string>? prompt, string where, string rowId, string idPrefix)
    {
        layout ??= Recognise(row);
        var (textField, textNode) = First(row, layout.PromptFields);
        var text = textNode is null
            ? throw new InvalidDataException($"{where}: no problem text; expected {Expected(layout.PromptFields)} (layout {layout.Name}; the row's fields: {Fields(row)}).")
            : PromptText(textNode, textField!, where);
        var (goldField, goldNode) = First(row, layout.AnswerFields);
        string gold;
        if (goldNode is not null) gold = AnswerText(goldNode, goldField!, where);
        else
        {
            var (_, solution) = First(row, ["solution", "Solution"]);
            gold = solution is null
                ? throw new InvalidDataException($"{where}: no gold answer; expected {Expected(layout.AnswerFields)}, or a \"solution\" with a \\boxed{{}} answer (layout {layout.Name}; the row's fields: {Fields(row)}).")
                : MathAnswer.LastBoxed(Scalar(solution, "solution", where)) ?? throw new InvalidDataException($"{where}: \"solution\" has no \\boxed{{}} answer and there is no {Expected(layout.AnswerFields)} field.");
            goldField = "solution";
        }
        if (string.IsNullOrWhiteSpace(gold)) throw new InvalidDataException($"{where}: field \"{goldField}\": the gold answer is empty.");
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException($"{where}: field \"{textField}\": the problem text is empty.");
        var (idField, idNode) = First(row, layout.IdFields);
        var id = idNode is null ? rowId : idPrefix + Scalar(idNode, idField!, where);
        return new Problem(dataset, id, prompt is null ? text : prompt(text), gold.Trim());
    }

    // The first present (non-null) field of the paths.
    private static (string? Field, JsonNode? Node) First(JsonObject row, string[] paths)
    {
        foreach (var path in paths)
            if (At(row, path) is { } node) return (path, node);
        return (null, null);
    }

    /// <summary>The node at a dotted path (a key with a dot in it is matched whole first); null when absent or null.</summary>
    public static JsonNode? At(JsonNode? node, string path)
    {
        if (node is null) return null;
        if (node is JsonObject o && o.TryGetPropertyValue(path, out var whole)) return whole;
        var dot = path.IndexOf('.');
        if (dot < 0) return node is JsonArray a && int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count ? a[i] : null;
        var (head, rest) = (path[..dot], path[(dot + 1)..]);
        return At(At(node, head), rest);
    }

    // A problem's text: a string or number, or chat messages [{role, content}] whose last user turn is the problem.
    private static string PromptText(JsonNode node, string field, string where)
    {
        if (node is not JsonArray messages || !messages.All(m => m is JsonObject)) return Scalar(node, field, where);
        var user = messages.OfType<JsonObject>().LastOrDefault(m => m["role"]?.GetValueKind() == JsonValueKind.String && (string)m["role"]! == "user");
        if (user?["content"] is not JsonValue content || content.GetValueKind() != JsonValueKind.String)
            throw new InvalidDataException($"{where}: field \"{field}\" must be a string, a number or chat messages [{{\"role\": \"user\", \"content\": ...}}], got {Kind(node)} without a user message.");
        return StripDapoInstruction((string)content!);
    }

    /// <summary>The problem inside DAPO-Math-17k's "Answer:" instruction (the text unchanged when it has none).</summary>
    public static string StripDapoInstruction(string text)
    {
        var t = text.Trim();
        if (t.StartsWith(DapoPrefix, StringComparison.Ordinal)) t = t[DapoPrefix.Length..];
        if (t.EndsWith(DapoSuffix, StringComparison.Ordinal)) t = t[..^DapoSuffix.Length];
        return t.Trim();
    }

    // A gold answer: a string or number, or a list of them (OlympiadBench's final_answer; several answers are joined by ", ").
    private static string AnswerText(JsonNode node, string field, string where) =>
        node is JsonArray list
            ? list.Count == 0
                ? throw new InvalidDataException($"{where}: field \"{field}\": the gold answer is empty (an empty list).")
                : string.Join(", ", list.Select((x, i) => x is null ? "" : Scalar(x, $"{field}.{i}", where)))
            : Scalar(node, field, where);

    private static string Scalar(JsonNode node, string field, string where) => node.GetValueKind() switch
    {
        JsonValueKind.String => (string)node!,
        JsonValueKind.Number => node.ToJsonString(),
        _ => throw new InvalidDataException($"{where}: field \"{field}\" must be a string or a number, got {Kind(node)}."),
    };

    private static string Kind(JsonNode? node) => node is null ? "null" : node.GetValueKind().ToString();
    private static string Expected(string[] fields) => string.Join(" or ", fields.Select(f => $"\"{f}\""));
    private static string Fields(JsonObject row) => row.Count == 0 ? "none" : string.Join(", ", row.Select(p => p.Key));
}
