using System.Text;

namespace Dsdr.Deploy.Tests;

/// <summary>
/// Compose's variable substitution on string values: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
/// ${VAR:?error}, ${VAR?error}, and $$ for a literal $.
/// </summary>
public static class ComposeInterpolation
{
    public static string Resolve(string text, IReadOnlyDictionary<string, string> variables)
    {
        var result = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length) { result.Append(text[i]); continue; }
            var next = text[i + 1];
            if (next == '$') { result.Append('$'); i++; continue; }
            if (next == '{')
            {
                var end = ClosingBrace(text, i + 2);
                result.Append(Substitute(text[(i + 2)..end], variables));
                i = end;
                continue;
            }
            var nameEnd = i + 1;
            while (nameEnd < text.Length && (char.IsLetterOrDigit(text[nameEnd]) || text[nameEnd] == '_')) nameEnd++;
            if (nameEnd == i + 1) { result.Append('$'); continue; }
            result.Append(variables.TryGetValue(text[(i + 1)..nameEnd], out var value) ? value : "");
            i = nameEnd - 1;
        }
        return result.ToString();
    }

    /// <summary>Every string in a YAML tree resolved (keys are left as written, as Compose does).</summary>
    public static object ResolveTree(object node, IReadOnlyDictionary<string, string> variables) => node switch
    {
        string s => Resolve(s, variables),
        IDictionary<object, object> map => map.ToDictionary(e => e.Key, e => ResolveTree(e.Value, variables)),
        List<object> list => list.Select(item => ResolveTree(item, variables)).ToList(),
        _ => node,
    };

    private static int ClosingBrace(string text, int from)
    {
        var depth = 1;
        for (var j = from; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return j;
        }
        throw new FormatException($"Unclosed '${{' in \"{text}\".");
    }

    private static string Substitute(string expression, IReadOnlyDictionary<string, string> variables)
    {
        var op = expression.IndexOfAny([':', '-', '?']);
        if (op < 0) return variables.GetValueOrDefault(expression, "");
        var name = expression[..op];
        var emptyCounts = expression[op] == ':';
        var kind = emptyCounts ? expression[op + 1] : expression[op];
        var argument = Resolve(expression[(op + (emptyCounts ? 2 : 1))..], variables);
        var present = variables.TryGetValue(name, out var value) && (!emptyCounts || value.Length > 0);
        return kind switch
        {
            '-' => present ? value! : argument,
            '?' => present ? value! : throw new ArgumentException($"Compose needs {name}: {argument}"),
            _ => throw new FormatException($"Unsupported substitution '${{{expression}}}'."),
        };
    }
}
