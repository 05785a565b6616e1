using System.Text.RegularExpressions;
using Dsdr.Core.Method;

namespace Dsdr.Bench.Scoring;

/// <summary>
/// The named peer: a straightforward implementation of the same extraction rules and scoring formulas — LINQ,
/// interpreted (non-compiled) regular expressions through the static Regex methods, a chain of Regex.Replace for
/// normalisation, and per-pair recomputation (every e_ij computed from the raw vectors for each i, the union of
/// the other formula sets rebuilt for each i). It handles the well-formed text of <see cref="Corpus"/>; the bench
/// asserts that it gives exactly the outputs of Dsdr.Core.
/// </summary>
public static class Naive
{
    private const string Segment =
        @"\$\$(?<m>.*?)\$\$|\\\[(?<m>.*?)\\\]|\\\((?<m>.*?)\\\)|\\boxed\{(?<m>(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}|\$(?<m>[^\s$][^$]*?)(?<=\S)\$(?!\d)";
    private const string Boxed = @"\\boxed\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}";
    private const string Markup = @"\\begin\{(?:array|tabular)\*?\}\{[^{}]*\}|\\(?:begin|end)\{[a-zA-Z]+\*?\}|\\(?:label|tag)\*?\{[^{}]*\}|\\(?:nonumber|notag)(?![a-zA-Z])|(?<!\\)&";
    private const string PlainRun =
        @"(?<![\w.\\])(?:\d+(?:\.\d+)?|[a-zA-Z](?!\w))(?:[ \t]*(?:\*\*|[-+*/^=])[ \t]*(?:\d+(?:\.\d+)?|[a-zA-Z](?!\w)))+(?![\w.]\w)";
    private const string HasOperator =
        @"[=+\-*/^<>≤≥≠≈±∓]|\\(?:frac|dfrac|tfrac|sqrt|sum|prod|int|oint|lim|binom|dbinom|choose|le|leq|ge|geq|lt|gt|ne|neq|approx|equiv|sim|simeq|cong|propto|pm|mp|mod|bmod|pmod|log|ln|exp|sin|cos|tan|cot|sec|csc)(?![a-zA-Z])";
    private const string SingleNumberOrSymbol =
        @"^[+\-]?(?:(?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(?:\^\{?\\circ\}?|\\?%)?|\d+/\d+|\\[dt]?frac\{\d+\}\{\d+\}|(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?|_[a-zA-Z0-9])?'*)$";

    public static IReadOnlySet<string> Extract(string text)
    {
        var formulas = new List<string>();
        var segments = Regex.Matches(text, Segment, RegexOptions.Singleline).Cast<Match>().ToList();
        string prose = Regex.Replace(text, Segment, "\n", RegexOptions.Singleline);
        var plain = Regex.Matches(prose, PlainRun).Cast<Match>().Select(m => (Index: ProseToTextIndex(segments, m.Index), Text: m.Value));
        var math = segments.SelectMany(m => MathFormulas(m.Groups["m"].Value).Select(f => (Index: m.Index, Text: f)));
        var ordered = plain.Concat(math).OrderBy(x => x.Index).Select(x => x.Text);
        foreach (var raw in ordered)
        {
            string f = Normalize(raw);
            if (IsFormula(f) && !formulas.Contains(f)) formulas.Add(f);
        }
        return new Dsdr.Core.Formulas.FormulaSet(formulas);
    }

    // where a match in the prose (segments replaced by one "\n") sits in the original text
    private static int ProseToTextIndex(List<Match> segments, int proseIndex)
    {
        int shift = 0;
        foreach (var s in segments)
        {
            if (s.Index - shift > proseIndex) break;
            shift += s.Length - 1;
        }
        return proseIndex + shift;
    }

    private static IEnumerable<string> MathFormulas(string math)
    {
        while (Regex.IsMatch(math, Boxed)) math = Regex.Replace(math, Boxed, "$1");
        math = Regex.Replace(math, Markup, "");
        return math.Split(@"\\").Where(line => line.Length > 0);
    }

    public static string Normalize(string f)
    {
        f = Regex.Replace(f, @"\\[,;:!\s]", "");
        f = Regex.Replace(f, @"\\(?:cdot|times)(?![a-zA-Z])|[×*·⋅]", "*");
        f = Regex.Replace(f, @"\\div(?![a-zA-Z])|÷", "/");
        f = f.Replace("−", "-");
        f = Regex.Replace(f, @"\\(?:left|right)(?:\.|(?![a-zA-Z]))", "");
        f = Regex.Replace(f, @"\\q?quad(?![a-zA-Z])", "");
        f = Regex.Replace(f, @"\s+", "");
        return f.TrimEnd('.', ',', ';', ':');
    }

    public static bool IsFormula(string f) =>
        f.Length > 1 && Regex.IsMatch(f, "[a-zA-Z0-9]") && Regex.IsMatch(f, HasOperator) && !Regex.IsMatch(f, SingleNumberOrSymbol);

    public static GroupScores Score(double[] r, float[][] z, IReadOnlySet<string>[] s, ScoringConfig c)
    {
        int g = r.Length;
        Func<int, int, double> e = (i, j) => (1 - z[i].Zip(z[j], (a, b) => (double)a * b).Sum()) / 2;
        var correct = Enumerable.Range(0, g).Where(i => r[i] == 1).ToArray();
        double[] semantic = Enumerable.Range(0, g).Select(i =>
        {
            var neighbours = Enumerable.Range(0, g).Where(j => j != i && (c.SemanticNeighbours == SemanticNeighbours.Group || r[j] == 1)).ToList();
            return neighbours.Count == 0 ? 0.0 : neighbours.Sum(j => e(i, j)) / neighbours.Count;
        }).ToArray();
        double[] formula = Enumerable.Range(0, g).Select(i =>
        {
            var others = s.Where((_, j) => j != i).SelectMany(x => x).ToHashSet();
            return s[i].Count == 0 ? 0.0 : (double)s[i].Count(f => !others.Contains(f)) / s[i].Count;
        }).ToArray();
        double[] d = semantic.Zip(formula, (a, b) => 0.5 * (a + b)).ToArray();
        double[] clipped = d.Select(x => Math.Clamp(x, 0.0, c.SigmaD)).ToArray();
        double[] shaped = r.Select((ri, i) => ri + (ri == 1 ? c.LambdaD * clipped[i] : 0.0)).ToArray();
        double mean = shaped.Sum() / g;
        double std = g < 2 ? 0 : Math.Sqrt(shaped.Sum(x => (x - mean) * (x - mean)) / (g - 1));
        double[] advantages = g < 2 ? new double[g] : shaped.Select(x => (x - mean) / (c.StdNormalize ? std + c.Epsilon : 1.0)).ToArray();
        double max = correct.Length == 0 ? 0 : correct.Max(i => c.Tau * clipped[i]);
        double total = correct.Sum(i => Math.Exp(c.Tau * clipped[i] - max));
        double[] weights = Enumerable.Range(0, g).Select(i => r[i] == 1 ? Math.Exp(c.Tau * clipped[i] - max) / total : 0.0).ToArray();
        return new GroupScores(semantic, formula, d, clipped, shaped, advantages, weights);
    }
}
