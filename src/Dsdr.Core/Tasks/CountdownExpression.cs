using System.Numerics;
using System.Text;

namespace Dsdr.Core.Tasks;

/// <summary>
/// A Countdown expression tree: integer leaves joined by binary + − × ÷ (no unary minus, no other
/// operators). Parsing never throws on bad text (<see cref="TryParse"/>), evaluation is exact.
/// </summary>
public abstract record CountdownExpression
{
    /// <summary>Deepest parenthesis nesting a parse accepts; deeper text is rejected, not recursed into.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most tokens a parse accepts (numbers, operators, parentheses).</summary>
    public const int MaxTokens = 256;

    private CountdownExpression() { }

    /// <summary>An integer literal.</summary>
    public sealed record Number(BigInteger Value) : CountdownExpression;

    /// <summary>Left Op Right with Op one of + - * /.</summary>
    public sealed record Binary(char Op, CountdownExpression Left, CountdownExpression Right) : CountdownExpression;

    /// <summary>The integer leaves, left to right.</summary>
    public IReadOnlyList<BigInteger> Leaves()
    {
        var leaves = new List<BigInteger>();
        CollectLeaves(this, leaves);
        return leaves;
    }

    private static void CollectLeaves(CountdownExpression e, List<BigInteger> into)
    {
        switch (e)
        {
            case Number n: into.Add(n.Value); break;
            case Binary b: CollectLeaves(b.Left, into); CollectLeaves(b.Right, into); break;
        }
    }

    /// <summary>
    /// Exact value, or null when a division by zero occurs or, with <paramref name="integerIntermediates"/>,
    /// when some division leaves a remainder (every intermediate result must then be an integer).
    /// </summary>
    public Rational? Evaluate(bool integerIntermediates = false)
    {
        switch (this)
        {
            case Number n: return Rational.FromInteger(n.Value);
            case Binary b:
                if (b.Left.Evaluate(integerIntermediates) is not { } l || b.Right.Evaluate(integerIntermediates) is not { } r)
                    return null;
                var v = b.Op switch
                {
                    '+' => l + r,
                    '-' => l - r,
                    '*' => l * r,
                    _ => Rational.Divide(l, r),
                };
                return v is { IsInteger: false } && integerIntermediates ? null : v;
            default: return null;
        }
    }

    /// <summary>
    /// Canonical key up to commutativity and associativity: a chain of + and − is flattened into a
    /// sorted signed multiset of terms, a chain of × and ÷ into a sorted multiset of factors with
    /// exponent ±1, recursively. It is itself a valid expression with the same leaves and value:
    /// positive terms (factors) first, then the negative ones, e.g. (5+3)*8 → "8*(3+5)",
    /// 8−(5−3) → "3+8-5", 3/(5/8) → "3*8/5".
    /// </summary>
    public string CanonicalKey() => Canonical(this);

    private static string Canonical(CountdownExpression e)
    {
        if (e is Number n) return n.Value.ToString();
        var b = (Binary)e;
        var additive = b.Op is '+' or '-';
        var parts = new List<(bool Positive, string Key)>();
        Flatten(b, additive, true, parts);
        var positives = parts.Where(p => p.Positive).Select(p => p.Key).Order(KeyOrder.Instance);
        var negatives = parts.Where(p => !p.Positive).Select(p => p.Key).Order(KeyOrder.Instance);
        var (plus, minus) = additive ? ("+", "-") : ("*", "/");
        var text = new StringBuilder(string.Join(plus, positives));
        foreach (var k in negatives) text.Append(minus).Append(k);
        return text.ToString();
    }

    // Collects the operands of the maximal +/− (or ×/÷) chain rooted at e, each with its sign (exponent).
    private static void Flatten(CountdownExpression e, bool additive, bool positive, List<(bool, string)> into)
    {
        if (e is Binary b && (b.Op is '+' or '-') == additive)
        {
            Flatten(b.Left, additive, positive, into);
            var inverted = b.Op is '-' or '/';
            Flatten(b.Right, additive, inverted ? !positive : positive, into);
            return;
        }
        var key = Canonical(e);
        // Inside a product a sum needs parentheses; inside a sum a product does not.
        var needsParens = !additive && e is Binary { Op: '+' or '-' };
        into.Add((positive, needsParens ? $"({key})" : key));
    }

    /// <summary>Numbers first by value, then compound keys by ordinal text.</summary>
    private sealed class KeyOrder : IComparer<string>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var xn = BigInteger.TryParse(x, out var xv) && x!.All(char.IsAsciiDigit);
            var yn = BigInteger.TryParse(y, out var yv) && y!.All(char.IsAsciiDigit);
            if (xn && yn) return xv.CompareTo(yv);
            if (xn != yn) return xn ? -1 : 1;
            return string.CompareOrdinal(x, y);
        }
    }

    /// <summary>Text with the fewest parentheses that keeps this exact tree, no spaces, e.g. "(8-5)*3".</summary>
    public sealed override string ToString() => Format(this);

    private static string Format(CountdownExpression e)
    {
        if (e is Number n) return n.Value.ToString();
        var b = (Binary)e;
        var p = Precedence(b.Op);
        var left = Format(b.Left);
        if (b.Left is Binary l && Precedence(l.Op) < p) left = $"({left})";
        var right = Format(b.Right);
        // A right operand of equal precedence keeps its parentheses, so Parse(ToString()) is this same tree.
        if (b.Right is Binary r && Precedence(r.Op) <= p)
            right = $"({right})";
        return left + b.Op + right;
    }

    private static int Precedence(char op) => op is '+' or '-' ? 1 : 2;

    /// <summary>
    /// Parses an expression over non-negative integer literals, + - * / (also × · ∗ \times \cdot for
    /// ×, ÷ \div for ÷, − for -), parentheses (also \left( \right), [ ] and { }) and spaces.
    /// Returns false on anything else: unary minus, decimals, other symbols, nesting deeper than
    /// <see cref="MaxDepth"/>, more than <see cref="MaxTokens"/> tokens, trailing text.
    /// </summary>
    public static bool TryParse(string? text, out CountdownExpression expression)
    {
        expression = new Number(BigInteger.Zero);
        if (text is null) return false;
        var tokens = Tokenize(text);
        if (tokens is null || tokens.Count == 0) return false;
        var parser = new Parser(tokens);
        var result = parser.ParseSum(0);
        if (result is null || parser.Position != tokens.Count) return false;
        expression = result;
        return true;
    }

    public static CountdownExpression Parse(string text) =>
        TryParse(text, out var e) ? e : throw new FormatException($"\"{text}\" is not a Countdown expression (integers, + - * / and parentheses).");

    /// <summary>Rewrites LaTeX and Unicode operator spellings into + - * / ( ).</summary>
    internal static string NormaliseSymbols(string text)
    {
        var s = new StringBuilder(text)
            .Replace("\\left", "").Replace("\\right", "")
            .Replace("\\times", "*").Replace("\\cdot", "*").Replace("\\ast", "*").Replace("\\div", "/")
            .Replace("\\!", "").Replace("\\,", " ").Replace("\\;", " ").Replace("\\:", " ").Replace("\\ ", " ")
            .Replace('×', '*').Replace('·', '*').Replace('∗', '*').Replace('⋅', '*').Replace('÷', '/')
            .Replace('−', '-').Replace('–', '-')
            .Replace("\\{", "(").Replace("\\}", ")").Replace('[', '(').Replace(']', ')').Replace('{', '(').Replace('}', ')');
        return s.ToString();
    }

    // Tokens: a BigInteger literal or one of + - * / ( ). Null on any other character.
    private static List<object>? Tokenize(string text)
    {
        var s = NormaliseSymbols(text);
        var tokens = new List<object>();
        for (var i = 0; i < s.Length;)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                if (i - start > 30) return null; // no Countdown number is that long
                tokens.Add(BigInteger.Parse(s.AsSpan(start, i - start)));
                continue;
            }
            if (c is '+' or '-' or '*' or '/' or '(' or ')') { tokens.Add(c); i++; continue; }
            return null;
        }
        // Longer text is no Countdown answer, and the tree walks recurse once per operator.
        return tokens.Count <= MaxTokens ? tokens : null;
    }

    private sealed class Parser(List<object> tokens)
    {
        public int Position;

        private char? PeekOp => Position < tokens.Count && tokens[Position] is char c ? c : null;

        // sum := product (('+'|'-') product)*
        public CountdownExpression? ParseSum(int depth)
        {
            var left = ParseProduct(depth);
            while (left is not null && PeekOp is '+' or '-')
            {
                var op = (char)tokens[Position++];
                var right = ParseProduct(depth);
                left = right is null ? null : new Binary(op, left, right);
            }
            return left;
        }

        // product := atom (('*'|'/') atom)*
        private CountdownExpression? ParseProduct(int depth)
        {
            var left = ParseAtom(depth);
            while (left is not null && PeekOp is '*' or '/')
            {
                var op = (char)tokens[Position++];
                var right = ParseAtom(depth);
                left = right is null ? null : new Binary(op, left, right);
            }
            return left;
        }

        // atom := integer | '(' sum ')'
        private CountdownExpression? ParseAtom(int depth)
        {
            if (Position >= tokens.Count) return null;
            if (tokens[Position] is BigInteger v) { Position++; return new Number(v); }
            if (PeekOp != '(' || depth >= MaxDepth) return null;
            Position++;
            var inner = ParseSum(depth + 1);
            if (inner is null || PeekOp != ')') return null;
            Position++;
            return inner;
        }
    }
}
