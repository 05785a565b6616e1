using System.Text;
using System.Text.RegularExpressions;

namespace Dsdr.Core.Tasks;

/// <summary>
/// Final answers of math benchmarks: where a response states its answer, and when two answers
/// mean the same thing. Nothing here throws on bad text.
/// </summary>
public static partial class MathAnswer
{
    /// <summary>Relative tolerance of numeric comparison: |a − b| ≤ 1e-6 · max(|a|, |b|).</summary>
    public const double RelativeTolerance = 1e-6;

    /// <summary>Texts longer than this are not compared structurally (only as plain text).</summary>
    private const int MaxStructuredLength = 2000;

    /// <summary>
    /// Content of the last \boxed{…} or \fbox{…} (nested braces honoured; "\boxed 5" also read),
    /// or null when there is none, it is empty or its braces never close.
    /// </summary>
    public static string? LastBoxed(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var at = Math.Max(text.LastIndexOf("\\boxed", StringComparison.Ordinal), text.LastIndexOf("\\fbox", StringComparison.Ordinal));
        if (at < 0) return null;
        var i = at + (text.AsSpan(at).StartsWith("\\boxed") ? "\\boxed".Length : "\\fbox".Length);
        if (i < text.Length && text[i] == ' ')
        {
            // "\boxed 5": the next run of non-space characters.
            while (i < text.Length && text[i] == ' ') i++;
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != '$') i++;
            return i > start ? text[start..i] : null;
        }
        if (i >= text.Length || text[i] != '{') return null;
        var close = MatchingBrace(text, i);
        if (close < 0) return null;
        var content = text[(i + 1)..close].Trim();
        return content.Length == 0 ? null : content;
    }

    // Index of the '}' closing the '{' at open (escaped \{ \} do not count), or −1.
    private static int MatchingBrace(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '{' or '}') { i++; continue; }
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return -1;
    }

    /// <summary>"answer is", "answer:", "Answer is:" (any case).</summary>
    [GeneratedRegex(@"\banswer\s*(?:is|:)\s*:?", RegexOptions.IgnoreCase)]
    internal static partial Regex AnswerIsPattern();

    /// <summary>
    /// The stated final answer: the last \boxed{…} (or \fbox{…}); else what follows the last
    /// "the answer is" / "answer:" up to the end of that line or sentence, without $ delimiters
    /// and a final period. Null when the response states none.
    /// </summary>
    public static string? Extract(string? response)
    {
        if (string.IsNullOrWhiteSpace(response)) return null;
        if (LastBoxed(response) is { } boxed) return JoinedBoxes(response) ?? boxed;
        var matches = AnswerIsPattern().Matches(response);
        if (matches.Count == 0) return null;
        var last = matches[^1];
        var rest = response[(last.Index + last.Length)..];
        var newline = rest.IndexOf('\n');
        if (newline >= 0) rest = rest[..newline];
        var sentenceEnd = SentenceEnd().Match(rest);
        if (sentenceEnd.Success) rest = rest[..sentenceEnd.Index];
        rest = StripDelimiters(rest.Trim().TrimEnd('.').Trim()).TrimEnd('.').Trim();
        return rest.Length == 0 ? null : rest;
    }

    [GeneratedRegex(@"\.\s")]
    private static partial Regex SentenceEnd();

    // What may stand between two \boxed{} of one answer: "$\boxed{-2}$, $\boxed{1}$", "x=\boxed{3} and x=\boxed{5}".
    [GeneratedRegex(@"^\s*\$?\s*(?:,|,?\s*and|,?\s*or)\s*\$?\s*(?:[A-Za-z]\s*=\s*)?$")]
    private static partial Regex BoxSeparator();

    /// <summary>
    /// The last run of \boxed{…} that only ',' / 'and' / 'or' separate (the roots of a list given one box each), joined
    /// by ", "; null when the last box stands alone.
    /// </summary>
    private static string? JoinedBoxes(string text)
    {
        var boxes = new List<(int Start, int End, string Content)>();
        for (var at = text.IndexOf("\\boxed{", StringComparison.Ordinal); at >= 0; at = text.IndexOf("\\boxed{", at + 1, StringComparison.Ordinal))
        {
            var open = at + "\\boxed".Length;
            var close = MatchingBrace(text, open);
            if (close < 0) break;
            boxes.Add((at, close + 1, text[(open + 1)..close].Trim()));
        }
        if (boxes.Count < 2 || boxes[^1].End <= text.LastIndexOf("\\boxed", StringComparison.Ordinal)) return null;
        var first = boxes.Count - 1;
        while (first > 0 && BoxSeparator().IsMatch(text[boxes[first - 1].End..boxes[first].Start])) first--;
        return first == boxes.Count - 1 ? null : string.Join(", ", boxes.Skip(first).Select(b => b.Content));
    }

    private static string StripDelimiters(string s)
    {
        foreach (var (open, close) in new[] { ("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]") })
        {
            if (s.Length >= open.Length + close.Length && s.StartsWith(open, StringComparison.Ordinal) && s.EndsWith(close, StringComparison.Ordinal))
                s = s[open.Length..^close.Length].Trim();
        }
        return s;
    }

    /// <summary>
    /// True when two answers are the same: equal after normalisation, or equal as structures
    /// (tuples and intervals ordered with their brackets, sets and bare lists unordered, unions of
    /// intervals) whose scalar parts evaluate to equal values (integers exactly, other numbers
    /// within <see cref="RelativeTolerance"/>; expressions in variables at several sample points).
    /// </summary>
    public static bool Equivalent(string? a, string? b)
    {
        if (a is null || b is null) return false;
        try
        {
            var na = Normalize(a);
            var nb = Normalize(b);
            if (na.Length == 0 || nb.Length == 0) return false;
            if (Squash(na) == Squash(nb)) return true;
            if (na.Length > MaxStructuredLength || nb.Length > MaxStructuredLength) return false;
            return Same(Structure(na, 0), Structure(nb, 0));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A verifier answers false on anything it cannot read; it never throws.
            return false;
        }
    }

    private static string Squash(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));

    [GeneratedRegex(@"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|displaystyle|textstyle)(?![a-zA-Z])")]
    private static partial Regex SizingCommands();

    // \! and \, (not the row break \\ followed by one of them).
    [GeneratedRegex(@"(?<!\\)\\[!,]")]
    private static partial Regex ThinSpaces();

    [GeneratedRegex(@"(?<!\\)\\(?:[;: ]|qquad(?![a-zA-Z])|quad(?![a-zA-Z]))")]
    private static partial Regex WideSpaces();

    [GeneratedRegex(@"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°")]
    private static partial Regex Degrees();

    [GeneratedRegex(@"\\(?:text|textrm|textnormal|mbox|mathrm|textit|mathit)\s*\{([^{}]*)\}(\s*\^\s*(?:\{\s*\d\s*\}|\d))?")]
    private static partial Regex TextGroup();

    [GeneratedRegex(@"\\(?:mathbf|boldsymbol|textbf|bf)\s*\{([^{}]*)\}")]
    private static partial Regex BoldGroup();

    [GeneratedRegex(@"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?\s*(?:=|\\in)(?![=])")]
    private static partial Regex VariablePrefix();

    [GeneratedRegex(@"_\{\s*([a-zA-Z0-9])\s*\}")]
    private static partial Regex SingleCharSubscript();

    [GeneratedRegex(@"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")]
    private static partial Regex ThousandsSeparated();

    /// <summary>
    /// Text form with presentation removed: $ and \( \) delimiters, \left \right and sizing, \! \, \; \:
    /// spacing, \dfrac \tfrac → \frac, degrees, percent, dollar signs, \text{units} after a value
    /// (a lone \text{…} is unwrapped), bold, a leading "x =" or "x \in", thousands separators, braces
    /// around a one-character subscript (4210_{5} → 4210_5) and a final period.
    /// </summary>
    public static string Normalize(string answer)
    {
        var s = StripDelimiters(answer.Trim());
        s = s.Replace("\\$", "").Replace("$", "");
        s = SizingCommands().Replace(s, "");
        s = ThinSpaces().Replace(s, "");
        s = WideSpaces().Replace(s, " ").Replace("{,}", ",").Replace("~", " ");
        s = s.Replace("\\dfrac", "\\frac").Replace("\\tfrac", "\\frac").Replace("\\cfrac", "\\frac");
        s = s.Replace("π", "\\pi ").Replace("∞", "\\infty ").Replace("√", "\\sqrt").Replace("×", "\\times ").Replace("·", "\\cdot ").Replace("÷", "\\div ");
        s = s.Replace('−', '-').Replace("\\le ", "\\leq ").Replace("\\ge ", "\\geq ").Replace("\\varnothing", "\\emptyset");
        s = Degrees().Replace(s, "");
        s = s.Replace("\\%", "").Replace("%", "");
        s = BoldGroup().Replace(s, "$1");
        // Units: drop \text{…} after a value; unwrap it when nothing else is left.
        var withoutText = TextGroup().Replace(s, "").Trim();
        s = withoutText.Length > 0 && withoutText.Any(c => char.IsAsciiDigit(c) || c == '\\') ? withoutText : TextGroup().Replace(s, "$1");
        s = s.Trim().TrimEnd('.').Trim();
        var prefix = VariablePrefix().Match(s);
        if (prefix.Success && s.Count(c => c == '=') <= 1) s = s[prefix.Length..].Trim();
        if (ThousandsSeparated().IsMatch(s)) s = s.Replace(",", "");
        s = SingleCharSubscript().Replace(s, "_$1");
        return s.Trim();
    }

    // ---------------------------------------------------------------- structure

    private abstract record Node;
    private sealed record Scalar(string Text) : Node;
    private sealed record Sequence(char Open, char Close, IReadOnlyList<Node> Items) : Node;
    private sealed record SetOf(IReadOnlyList<Node> Items) : Node;
    private sealed record Union(IReadOnlyList<Node> Parts) : Node;

    private const int MaxNesting = 20;

    private static Node Structure(string s, int depth)
    {
        s = s.Trim();
        if (depth > MaxNesting) return new Scalar(s);
        Node Inner(string part) => Structure(part, depth + 1);
        var unionParts = SplitTopLevel(s, "\\cup");
        if (unionParts.Count > 1) return new Union([.. unionParts.Select(Inner)]);
        if (s.StartsWith("\\begin{pmatrix}") && s.EndsWith("\\end{pmatrix}") || s.StartsWith("\\begin{bmatrix}") && s.EndsWith("\\end{bmatrix}"))
        {
            var body = s["\\begin{pmatrix}".Length..^"\\end{pmatrix}".Length];
            var rows = SplitTopLevel(body, "\\\\").Where(r => r.Trim().Length > 0)
                .Select(r => (Node)new Sequence('[', ']', [.. SplitTopLevel(r, "&").Select(Inner)]));
            return new Sequence('M', 'M', [.. rows]);
        }
        if (s.StartsWith("\\{") && s.EndsWith("\\}") && EnclosesWhole(s, 2))
            return new SetOf([.. SplitTopLevel(s[2..^2], ",").Where(x => x.Trim().Length > 0).Select(Inner)]);
        if (s.Length >= 2 && s[0] is '(' or '[' && s[^1] is ')' or ']' && EnclosesWhole(s, 1))
        {
            var items = SplitTopLevel(s[1..^1], ",");
            if (items.Count >= 2) return new Sequence(s[0], s[^1], [.. items.Select(Inner)]);
        }
        if (s.Length >= 2 && s[0] == '{' && s[^1] == '}' && EnclosesWhole(s, 1))
        {
            var items = SplitTopLevel(s[1..^1], ",");
            return items.Count >= 2 ? new SetOf([.. items.Select(Inner)]) : Inner(s[1..^1]);
        }
        var bare = SplitTopLevel(s, ",");
        if (bare.Count >= 2) return new SetOf([.. bare.Select(Inner)]);
        return new Scalar(s);
    }

    // True when the opening delimiter (of the given width) at 0 is closed only by the last one.
    private static bool EnclosesWhole(string s, int width)
    {
        var depth = 0;
        for (var i = 0; i < s.Length; i++)
        {
            depth += Delta(s, i);
            if (depth == 0 && i >= width - 1 && i < s.Length - width) return false;
        }
        return depth == 0;
    }

    // +1 at an opening bracket, −1 at a closing one; "\{" "\}" and "\left(" count like the plain ones.
    private static int Delta(string s, int i) => s[i] switch
    {
        '(' or '[' or '{' => 1,
        ')' or ']' or '}' => -1,
        _ => 0,
    };

    private static List<string> SplitTopLevel(string s, string separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            depth += Delta(s, i);
            if (depth == 0 && string.CompareOrdinal(s, i, separator, 0, separator.Length) == 0
                && !(separator.StartsWith('\\') && i + separator.Length < s.Length && char.IsAsciiLetter(s[i + separator.Length])))
            {
                parts.Add(s[start..i]);
                start = i + separator.Length;
                i = start - 1;
            }
        }
        parts.Add(s[start..]);
        return parts;
    }

    private static bool Same(Node a, Node b) => (a, b) switch
    {
        (Scalar x, Scalar y) => SameScalar(x.Text, y.Text),
        (Sequence x, Sequence y) => x.Open == y.Open && x.Close == y.Close && x.Items.Count == y.Items.Count
            && x.Items.Zip(y.Items).All(p => Same(p.First, p.Second)),
        // A point written bare ("1, 2") against a tuple "(1, 2)": compared in order.
        (SetOf x, Sequence { Open: '(', Close: ')' } y) => x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => Same(p.First, p.Second)),
        (Sequence { Open: '(', Close: ')' }, SetOf) => Same(b, a),
        (SetOf x, SetOf y) => SameMultiset(x.Items, y.Items),
        (Union x, Union y) => SameMultiset(x.Parts, y.Parts),
        _ => false,
    };

    // Each item of xs matched to a distinct equal item of ys (greedy is exact for an equivalence relation).
    private static bool SameMultiset(IReadOnlyList<Node> xs, IReadOnlyList<Node> ys)
    {
        if (xs.Count != ys.Count) return false;
        var used = new bool[ys.Count];
        foreach (var x in xs)
        {
            var j = Enumerable.Range(0, ys.Count).FirstOrDefault(k => !used[k] && Same(x, ys[k]), -1);
            if (j < 0) return false;
            used[j] = true;
        }
        return true;
    }

    private static bool SameScalar(string a, string b)
    {
        if (Squash(a) == Squash(b)) return true;
        var ea = MathExpression.TryParse(a);
        var eb = MathExpression.TryParse(b);
        if (ea is null || eb is null) return false;
        if (!ea.Variables.SetEquals(eb.Variables)) return false;
        var variables = ea.Variables.Order(StringComparer.Ordinal).ToList();
        var compared = 0;
        for (var point = 0; point < (variables.Count == 0 ? 1 : 3); point++)
        {
            var env = variables.Select((v, k) => (v, SamplePoint(point, k))).ToDictionary(p => p.v, p => p.Item2);
            var va = ea.Evaluate(env);
            var vb = eb.Evaluate(env);
            if (double.IsNaN(va) || double.IsNaN(vb))
            {
                if (double.IsNaN(va) != double.IsNaN(vb)) return false;
                continue;
            }
            // An overflow to ∞ (10^{1000}) says nothing; only a written \infty is infinite.
            if ((double.IsInfinity(va) && !a.Contains("\\infty")) || (double.IsInfinity(vb) && !b.Contains("\\infty"))) return false;
            if (!Close(va, vb)) return false;
            compared++;
        }
        return compared > 0;
    }

    // Distinct irrational-looking values per point and variable, so that distinct polynomials differ.
    private static double SamplePoint(int point, int variable) => 0.5 + 0.7319 * point + 0.3071 * variable + 0.0137 * point * variable;

    /// <summary>Integers (|v| &lt; 2⁵³) compare exactly; other values within the relative tolerance.</summary>
    public static bool Close(double a, double b)
    {
        if (double.IsInfinity(a) || double.IsInfinity(b)) return a == b;
        const double exactLimit = 9007199254740992d;
        if (Math.Abs(a) < exactLimit && Math.Abs(b) < exactLimit && a == Math.Round(a) && b == Math.Round(b)) return a == b;
        return Math.Abs(a - b) <= RelativeTolerance * Math.Max(Math.Abs(a), Math.Abs(b));
    }

    /// <summary>A parsed real-valued expression over single-letter (or Greek) variables.</summary>
    private sealed class MathExpression
    {
        private const int MaxDepth = 100;

        private readonly Func<IReadOnlyDictionary<string, double>, double> _eval;
        public HashSet<string> Variables { get; }

        private MathExpression(Func<IReadOnlyDictionary<string, double>, double> eval, HashSet<string> variables)
        {
            _eval = eval;
            Variables = variables;
        }

        public double Evaluate(IReadOnlyDictionary<string, double> env) => _eval(env);

        public static MathExpression? TryParse(string text)
        {
            var p = new Reader(text);
            var e = p.ParseSum(0);
            p.SkipSpace();
            return e is null || !p.AtEnd ? null : new MathExpression(e, p.Variables);
        }

        private sealed class Reader(string s)
        {
            private int _i;
            public readonly HashSet<string> Variables = [];
            public bool AtEnd => _i >= s.Length;

            public void SkipSpace()
            {
                while (_i < s.Length && char.IsWhiteSpace(s[_i])) _i++;
            }

            private char Peek()
            {
                SkipSpace();
                return _i < s.Length ? s[_i] : '\0';
            }

            private bool PeekCommand(string name)
            {
                SkipSpace();
                return string.CompareOrdinal(s, _i, name, 0, name.Length) == 0
                    && (_i + name.Length >= s.Length || !char.IsAsciiLetter(s[_i + name.Length]));
            }

            // sum := product (('+'|'-') product)*
            public Func<IReadOnlyDictionary<string, double>, double>? ParseSum(int depth)
            {
                if (depth > MaxDepth) return null;
                var left = ParseProduct(depth);
                while (left is not null && Peek() is '+' or '-')
                {
                    var op = s[_i++];
                    var right = ParseProduct(depth);
                    if (right is null) return null;
                    var l = left;
                    left = op == '+' ? env => l(env) + right(env) : env => l(env) - right(env);
                }
                return left;
            }

            // product := unary (('*'|'/'|\cdot|\times|\div|implicit) unary)*
            private Func<IReadOnlyDictionary<string, double>, double>? ParseProduct(int depth)
            {
                var left = ParseUnary(depth);
                while (left is not null)
                {
                    var divide = false;
                    var c = Peek();
                    if (c is '*' or '/') { divide = c == '/'; _i++; }
                    else if (PeekCommand("\\cdot") || PeekCommand("\\times")) _i += s[_i..].StartsWith("\\cdot") ? 5 : 6;
                    else if (PeekCommand("\\div")) { divide = true; _i += 4; }
                    else if (!StartsAtom()) break;
                    var right = ParseUnary(depth);
                    if (right is null) return null;
                    var l = left;
                    left = divide ? env => l(env) / right(env) : env => l(env) * right(env);
                }
                return left;
            }

            private bool StartsAtom()
            {
                var c = Peek();
                return char.IsAsciiDigit(c) || c == '.' || char.IsAsciiLetter(c) || c is '(' or '[' or '{'
                    || (c == '\\' && !PeekCommand("\\cdot") && !PeekCommand("\\times") && !PeekCommand("\\div"));
            }

            // unary := ('-'|'+') unary | power
            private Func<IReadOnlyDictionary<string, double>, double>? ParseUnary(int depth)
            {
                if (depth > MaxDepth) return null;
                var c = Peek();
                if (c is '-' or '+')
                {
                    _i++;
                    var inner = ParseUnary(depth + 1);
                    return inner is null ? null : c == '-' ? env => -inner(env) : inner;
                }
                return ParsePower(depth);
            }

            // power := atom ('^' exponent)?   (right-associative)
            private Func<IReadOnlyDictionary<string, double>, double>? ParsePower(int depth)
            {
                var b = ParseAtom(depth);
                if (b is null || Peek() != '^') return b;
                _i++;
                var e = Peek() is '-' or '+' ? ParseUnary(depth + 1) : ParsePower(depth + 1);
                return e is null ? null : env => Math.Pow(b(env), e(env));
            }

            private Func<IReadOnlyDictionary<string, double>, double>? ParseAtom(int depth)
            {
                if (depth > MaxDepth) return null;
                var c = Peek();
                if (char.IsAsciiDigit(c) || c == '.') return ParseNumber();
                if (c is '(' or '[' or '{')
                {
                    var close = c switch { '(' => ')', '[' => ']', _ => '}' };
                    _i++;
                    var inner = ParseSum(depth + 1);
                    if (inner is null || Peek() != close) return null;
                    _i++;
                    return inner;
                }
                if (char.IsAsciiLetter(c))
                {
                    // A run of two or more letters is a word, not a product of variables.
                    if (_i + 1 < s.Length && char.IsAsciiLetter(s[_i + 1])) return null;
                    var name = s[_i++].ToString();
                    Variables.Add(name);
                    return env => env[name];
                }
                if (c == '\\') return ParseCommand(depth);
                return null;
            }

            private Func<IReadOnlyDictionary<string, double>, double>? ParseNumber()
            {
                var start = _i;
                while (_i < s.Length && char.IsAsciiDigit(s[_i])) _i++;
                if (_i < s.Length && s[_i] == '.') { _i++; while (_i < s.Length && char.IsAsciiDigit(s[_i])) _i++; }
                if (_i - start == 1 && s[start] == '.') return null;
                // Scientific notation 1.5e3 / 2E-7: only when digits follow the e.
                if (_i + 1 < s.Length && s[_i] is 'e' or 'E')
                {
                    var j = _i + 1;
                    if (j < s.Length && s[j] is '+' or '-') j++;
                    if (j < s.Length && char.IsAsciiDigit(s[j]))
                    {
                        while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
                        _i = j;
                    }
                }
                var value = double.Parse(s.AsSpan(start, _i - start), System.Globalization.CultureInfo.InvariantCulture);
                return _ => value;
            }

            // A \frac or \sqrt argument: a braced group, or a single digit, letter or command.
            private Func<IReadOnlyDictionary<string, double>, double>? ParseArgument(int depth)
            {
                var c = Peek();
                if (c == '{') return ParseAtom(depth + 1);
                if (char.IsAsciiDigit(c)) { var v = s[_i++] - '0'; return _ => v; }
                if (char.IsAsciiLetter(c)) { var name = s[_i++].ToString(); Variables.Add(name); return env => env[name]; }
                if (c == '\\') return ParseCommand(depth + 1);
                return null;
            }

            private static readonly string[] Greek =
                ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "kappa",
                 "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega"];

            private Func<IReadOnlyDictionary<string, double>, double>? ParseCommand(int depth)
            {
                if (depth > MaxDepth) return null;
                SkipSpace();
                var start = ++_i;
                while (_i < s.Length && char.IsAsciiLetter(s[_i])) _i++;
                var name = s[start.._i];
                switch (name)
                {
                    case "frac":
                    {
                        var num = ParseArgument(depth);
                        var den = num is null ? null : ParseArgument(depth);
                        return den is null ? null : env => num!(env) / den(env);
                    }
                    case "sqrt":
                    {
                        Func<IReadOnlyDictionary<string, double>, double>? index = null;
                        if (Peek() == '[')
                        {
                            _i++;
                            index = ParseSum(depth + 1);
                            if (index is null || Peek() != ']') return null;
                            _i++;
                        }
                        var radicand = ParseArgument(depth);
                        if (radicand is null) return null;
                        return index is null ? env => Math.Sqrt(radicand(env)) : env => Root(radicand(env), index(env));
                    }
                    case "pi": return _ => Math.PI;
                    case "infty": return _ => double.PositiveInfinity;
                    case "sin" or "cos" or "tan" or "ln" or "log" or "exp":
                    {
                        var arg = ParsePower(depth + 1);
                        if (arg is null) return null;
                        Func<double, double> f = name switch
                        {
                            "sin" => Math.Sin, "cos" => Math.Cos, "tan" => Math.Tan,
                            "ln" => Math.Log, "log" => Math.Log10, _ => Math.Exp,
                        };
                        return env => f(arg(env));
                    }
                    default:
                        if (Array.IndexOf(Greek, name) < 0) return null;
                        var variable = "\\" + name;
                        Variables.Add(variable);
                        return env => env[variable];
                }
            }

            // Real n-th root; odd roots of negatives are negative.
            private static double Root(double x, double n) =>
                x < 0 && Math.Abs(n % 2) == 1 ? -Math.Pow(-x, 1 / n) : Math.Pow(x, 1 / n);
        }
    }
}
