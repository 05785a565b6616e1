using System.Text.Json;

namespace Dsdr.Core.Tasks;

/// <summary>
/// Reads a Hugging Face style JSONL benchmark (MATH500, AIME, …): one JSON object per line with
/// the text in "problem" or "question", the gold in "answer" or "gold" (string or number), or else
/// a "solution" whose last \boxed{} is the gold, and an optional "id" or "unique_id" (else the
/// 1-based line number). Blank lines are skipped.
/// </summary>
public static class BenchmarkLoader
{
    private static readonly string[] TextFields = ["problem", "question"];
    private static readonly string[] GoldFields = ["answer", "gold"];
    private static readonly string[] IdFields = ["id", "unique_id"];

    /// <param name="path">The .jsonl file.</param>
    /// <param name="dataset">Dataset name of every problem; the file name without extension when null.</param>
    /// <param name="prompt">Turns the problem text into the prompt; the text itself when null.</param>
    /// <exception cref="InvalidDataException">"file:line: what is wrong" for the first malformed line.</exception>
    public static IReadOnlyList<Problem> Load(string path, string? dataset = null, Func<string, string>? prompt = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Benchmark file {path} does not exist.", path);
        dataset ??= Path.GetFileNameWithoutExtension(path);
        var problems = new List<Problem>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            problems.Add(ParseLine(line, dataset, prompt, $"{path}:{lineNumber}", lineNumber));
        }
        return problems;
    }

    /// <summary>One row; <paramref name="where"/> ("file:line") prefixes every error.</summary>
    public static Problem ParseLine(string line, string dataset, Func<string, string>? prompt, string where, int lineNumber)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new InvalidDataException($"{where}: not valid JSON ({e.Message})."); }
        using (doc)
        {
            var row = doc.RootElement;
            if (row.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{where}: expected a JSON object, got {row.ValueKind}.");
            var text = FirstString(row, TextFields, where)
                ?? throw new InvalidDataException($"{where}: no problem text; expected a string field \"problem\" or \"question\".");
            var gold = FirstString(row, GoldFields, where);
            if (gold is null)
            {
                var solution = FirstString(row, ["solution"], where);
                gold = solution is null
                    ? throw new InvalidDataException($"{where}: no gold answer; expected \"answer\" or \"gold\", or a \"solution\" with a \\boxed{{}} answer.")
                    : MathAnswer.LastBoxed(solution) ?? throw new InvalidDataException($"{where}: \"solution\" has no \\boxed{{}} answer and there is no \"answer\" field.");
            }
            if (string.IsNullOrWhiteSpace(gold)) throw new InvalidDataException($"{where}: the gold answer is empty.");
            var id = FirstString(row, IdFields, where) ?? lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new Problem(dataset, id, prompt is null ? text : prompt(text), gold.Trim());
        }
    }

    // The first present field of the names, as text (numbers in their JSON spelling); null when none is present.
    private static string? FirstString(JsonElement row, string[] names, string where)
    {
        foreach (var name in names)
        {
            if (!row.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) continue;
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Number => value.GetRawText(),
                _ => throw new InvalidDataException($"{where}: field \"{name}\" must be a string or a number, got {value.ValueKind}."),
            };
        }
        return null;
    }
}
