using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Dsdr.Deploy.Tests;

/// <summary>A systemd unit file: sections of Key=Value entries (a key may repeat), comments and continuations handled.</summary>
public sealed record SystemdUnit(IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> Sections)
{
    public static SystemdUnit Parse(string text)
    {
        var sections = new Dictionary<string, List<KeyValuePair<string, string>>>(StringComparer.Ordinal);
        List<KeyValuePair<string, string>>? current = null;
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';')) continue;
            while (line.EndsWith('\\') && i + 1 < lines.Length) line = line[..^1] + " " + lines[++i].Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = [];
                sections[line[1..^1]] = current;
                continue;
            }
            if (current is null) throw new FormatException($"'{line}' comes before any [Section].");
            var eq = line.IndexOf('=');
            if (eq <= 0) throw new FormatException($"Not Key=Value: '{line}'.");
            current.Add(new(line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }
        return new SystemdUnit(sections.ToDictionary(s => s.Key, s => (IReadOnlyList<KeyValuePair<string, string>>)s.Value));
    }

    public IReadOnlyList<string> All(string section, string key) =>
        Sections.TryGetValue(section, out var entries) ? entries.Where(e => e.Key == key).Select(e => e.Value).ToList() : [];

    public string? Get(string section, string key) => All(section, key) is { Count: > 0 } values ? values[^1] : null;

    /// <summary>%i, %H and %% as systemd expands them for an instance on a host.</summary>
    public static string Specifiers(string text, string instance, string host) =>
        Regex.Replace(text, "%[iIHh%]", m => m.Value switch
        {
            "%i" or "%I" => instance,
            "%H" => host,
            "%%" => "%",
            _ => throw new FormatException($"No sample value for specifier {m.Value}."),
        });

    /// <summary>The assignments of one Environment= line ("A=1 \"B=two words\"").</summary>
    public static IEnumerable<KeyValuePair<string, string>> Assignments(string value) =>
        Words(value).Select(w => w.Split('=', 2) is [var k, var v] ? new KeyValuePair<string, string>(k, v) : throw new FormatException($"Not an assignment: '{w}'."));

    /// <summary>
    /// ExecStart's words as the process receives them: ${VAR} stays one word, a bare $VAR word splits on whitespace
    /// (so an empty one vanishes). Undefined variables are reported through <paramref name="undefined"/>.
    /// </summary>
    public static IReadOnlyList<string> Command(string execStart, IReadOnlyDictionary<string, string> environment, ICollection<string> undefined)
    {
        var result = new List<string>();
        foreach (var word in Words(execStart))
        {
            if (Regex.Match(word, @"^\$(\w+)$") is { Success: true } bare)
            {
                if (!environment.TryGetValue(bare.Groups[1].Value, out var value)) undefined.Add(bare.Groups[1].Value);
                result.AddRange((value ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                continue;
            }
            result.Add(Regex.Replace(word, @"\$\{(\w+)\}", m =>
            {
                if (environment.TryGetValue(m.Groups[1].Value, out var value)) return value;
                undefined.Add(m.Groups[1].Value);
                return "";
            }));
        }
        return result;
    }

    /// <summary>Whitespace-separated words; double quotes group.</summary>
    private static IEnumerable<string> Words(string text)
    {
        var word = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in text)
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any) yield return word.ToString();
                word.Clear();
                any = false;
                continue;
            }
            word.Append(c);
            any = true;
        }
        if (quoted) throw new FormatException($"Unclosed quote in '{text}'.");
        if (any) yield return word.ToString();
    }

    /// <summary>systemd time spans: "300", "300s", "5min", "5min 30s".</summary>
    public static TimeSpan TimeSpan(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var plain)) return System.TimeSpan.FromSeconds(plain);
        var total = System.TimeSpan.Zero;
        var parts = Regex.Matches(text.Replace(" ", "", StringComparison.Ordinal), @"(\d+)(ms|min|s|h)");
        if (parts.Sum(m => m.Length) != text.Replace(" ", "", StringComparison.Ordinal).Length) throw new FormatException($"Not a systemd time span: '{text}'.");
        foreach (Match m in parts)
        {
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => System.TimeSpan.FromHours(n), "min" => System.TimeSpan.FromMinutes(n),
                "s" => System.TimeSpan.FromSeconds(n), _ => System.TimeSpan.FromMilliseconds(n),
            };
        }
        return total;
    }
}
