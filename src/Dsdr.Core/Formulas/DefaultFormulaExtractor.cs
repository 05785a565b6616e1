using System.Text;
using System.Text.RegularExpressions;

namespace Dsdr.Core.Formulas;

/// <summary>
/// S(o) as spec §6 fixes it: LaTeX math ($…$, $$…$$, \(…\), \[…\], \boxed{…}) and plain-text
/// equations/expressions with an operator or "=", each normalised (whitespace removed,
/// \cdot \times × * → *, \div ÷ → /, \left \right and spacing commands dropped). Single numbers
/// and single symbols are not formulas.
/// </summary>
/// <remarks>
/// Rules this implementation adds where the spec is silent:
/// <list type="bullet">
/// <item>Math: a display block is split at LaTeX line breaks (\\); \begin/\end markers, alignment &amp;,
/// \label \tag \nonumber \notag are dropped; \boxed{X} inside math counts as X.</item>
/// <item>Inline $: the opening $ needs a non-space on its right, the closing $ a non-space on its left and
/// no digit after it, and the two stay inside one paragraph (so "$5 and $10" is prose); \$ is a literal
/// dollar. An opener without a closer is literal text; so is an unclosed $$, \[, \( or \boxed{.</item>
/// <item>Plain text: a run of numbers, single-letter variables (x, x_1, x'), a few function names
/// (sin, log, sqrt, …), parentheses and operators (+ - * / ^ = &lt; &gt; ≤ ≥ ≠ ≈ ± × ÷ − · ** \cdot \times
/// \div \pm) separated by spaces or tabs only. Words of two or more letters, newlines and punctuation end a
/// run; so does an operand followed by a space and another operand. Leading/trailing operators and
/// unmatched edge parentheses are trimmed; a run whose parentheses still do not balance is dropped.</item>
/// <item>Not formulas: dates and ranges (2024-05-01, 10-20, 5/1/2024: numbers joined by hyphens or by the
/// same separator without spaces), letter/letter abbreviations (w/o, m/s), ordinals (3rd), clock times
/// (10:30), and a single number written as a fraction of integers (1/2, \frac{1}{2}) or with a sign.</item>
/// <item>Normalisation also maps the Unicode minus − to -, · and ⋅ to *, and trims trailing . , ; :</item>
/// </list>
/// </remarks>
public sealed partial class DefaultFormulaExtractor : IFormulaExtractor
{
    public static DefaultFormulaExtractor Instance { get; } = new();

    public IReadOnlySet<string> Extract(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var found = new FormulaSet();
        ScanText(response, found);
        return found;
    }

    /// <summary>The spec §6 normalisation of one formula's text.</summary>
    public static string Normalize(string formula)
    {
        string normalized = NormalizeRegex().Replace(formula, static m =>
        {
            if (m.Groups["mul"].Success) return "*";
            if (m.Groups["div"].Success) return "/";
            if (m.Groups["minus"].Success) return "-";
            if (m.Groups["keep"].Success) return m.Value;
            return ""; // whitespace, \left, \right, spacing commands
        });
        return normalized.TrimEnd('.', ',', ';', ':');
    }

    /// <summary>True when a normalised string is a formula: it has an operator or relation and is not a single number or symbol.</summary>
    public static bool IsFormula(string normalized) =>
        normalized.Length > 1
        && HasOperandRegex().IsMatch(normalized)
        && HasOperatorRegex().IsMatch(normalized)
        && !SingleNumberOrSymbolRegex().IsMatch(normalized);

    // ---- scanning: math segments and the prose between them ----

    private static void ScanText(string text, FormulaSet found)
    {
        int proseStart = 0, i = 0;
        int inlineDeadUntil = -1; // no inline closer exists in [opener, inlineDeadUntil): skip the search
        while (true)
        {
            int at = text.AsSpan(i).IndexOfAny('\\', '$');
            if (at < 0) break;
            i += at;
            int contentStart, contentEnd, next;
            if (text[i] == '\\')
            {
                if (!TryBackslashSegment(text, i, out contentStart, out contentEnd, out next))
                {
                    i += i + 1 < text.Length ? 2 : 1; // \$ \\ or any other command char: literal
                    continue;
                }
            }
            else if (i + 1 < text.Length && text[i + 1] == '$')
            {
                int close = text.IndexOf("$$", i + 2, StringComparison.Ordinal);
                if (close < 0) { i += 2; continue; }
                (contentStart, contentEnd, next) = (i + 2, close, close + 2);
            }
            else
            {
                int close = i < inlineDeadUntil ? -1 : FindInlineClose(text, i, out inlineDeadUntil);
                if (close < 0) { i++; continue; }
                (contentStart, contentEnd, next) = (i + 1, close, close + 1);
            }

            ExtractPlain(text.AsSpan(proseStart, i - proseStart), found);
            ExtractMath(text.AsSpan(contentStart, contentEnd - contentStart), found);
            i = proseStart = next;
        }
        ExtractPlain(text.AsSpan(proseStart), found);
    }

    // \[…\], \(…\), \boxed{…} starting at a backslash
    private static bool TryBackslashSegment(string text, int i, out int contentStart, out int contentEnd, out int next)
    {
        contentStart = contentEnd = next = -1;
        if (i + 1 >= text.Length) return false;
        char kind = text[i + 1];
        if (kind is '[' or '(')
        {
            int close = text.IndexOf(kind == '[' ? @"\]" : @"\)", i + 2, StringComparison.Ordinal);
            if (close < 0) return false;
            (contentStart, contentEnd, next) = (i + 2, close, close + 2);
            return true;
        }
        if (text.AsSpan(i).StartsWith(@"\boxed{", StringComparison.Ordinal))
        {
            int close = MatchingBrace(text, i + 6);
            if (close < 0) return false;
            (contentStart, contentEnd, next) = (i + 7, close, close + 1);
            return true;
        }
        return false;
    }

    // The closing $ of an inline opener at `open`, or -1. A closer has a non-space on its left, is not escaped,
    // is not followed by a digit and lies in the opener's paragraph. Whether a $ is a closer does not depend on
    // the opener, so a failed search also fails for every later opener before `deadUntil`.
    private static int FindInlineClose(string text, int open, out int deadUntil)
    {
        int paragraphEnd = text.IndexOf("\n\n", open, StringComparison.Ordinal);
        if (paragraphEnd < 0) paragraphEnd = text.Length;
        deadUntil = -1;
        if (open + 1 >= paragraphEnd || char.IsWhiteSpace(text[open + 1])) return -1;
        for (int j = text.IndexOf('$', open + 1); j >= 0 && j < paragraphEnd; j = text.IndexOf('$', j + 1))
        {
            char left = text[j - 1];
            bool isCloser = j > open + 1 && !char.IsWhiteSpace(left) && left != '\\'
                && !(j + 1 < text.Length && char.IsAsciiDigit(text[j + 1]));
            if (isCloser) return j;
        }
        deadUntil = paragraphEnd;
        return -1;
    }

    // index of the '}' closing the '{' at `open` (escaped \{ \} skipped), or -1
    private static int MatchingBrace(string text, int open)
    {
        int depth = 0;
        for (int j = open; j < text.Length; j++)
        {
            char c = text[j];
            if (c == '\\') { j++; continue; }
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return j;
        }
        return -1;
    }

    // ---- math segments ----

    private static void ExtractMath(ReadOnlySpan<char> segment, FormulaSet found)
    {
        string math = UnwrapBoxed(segment.ToString());
        math = MathMarkupRegex().Replace(math, "");
        foreach (var line in math.Split(@"\\", StringSplitOptions.RemoveEmptyEntries))
            AddIfFormula(line, found);
    }

    // \boxed{X} → X, nested braces respected; an unclosed \boxed{ is left as it is
    private static string UnwrapBoxed(string math)
    {
        int at = math.IndexOf(@"\boxed{", StringComparison.Ordinal);
        if (at < 0) return math;
        var sb = new StringBuilder(math.Length);
        int copied = 0;
        while (at >= 0)
        {
            int close = MatchingBrace(math, at + 6);
            if (close < 0) break;
            sb.Append(math, copied, at - copied).Append(math, at + 7, close - at - 7);
            copied = close + 1;
            at = math.IndexOf(@"\boxed{", copied, StringComparison.Ordinal);
        }
        sb.Append(math, copied, math.Length - copied);
        string unwrapped = sb.ToString();
        return unwrapped.Contains(@"\boxed{", StringComparison.Ordinal) && unwrapped != math ? UnwrapBoxed(unwrapped) : unwrapped;
    }

    // ---- plain-text runs ----

    private enum TokenKind { Operand, Function, Open, Close, Operator }

    private readonly record struct Token(int Start, int End, TokenKind Kind);

    private static void ExtractPlain(ReadOnlySpan<char> prose, FormulaSet found)
    {
        if (prose.IsEmpty) return;
        List<Token>? run = null;
        foreach (var match in PlainTokenRegex().EnumerateMatches(prose))
        {
            var token = new Token(match.Index, match.Index + match.Length, Classify(prose.Slice(match.Index, match.Length)));
            if (run is { Count: > 0 })
            {
                var previous = run[^1];
                var gap = prose[previous.End..token.Start];
                bool spaced = !gap.IsEmpty;
                bool operandAfterOperand = spaced
                    && previous.Kind is TokenKind.Operand or TokenKind.Close
                    && token.Kind is TokenKind.Operand or TokenKind.Open or TokenKind.Function;
                if (gap.ContainsAnyExcept(' ', '\t') || operandAfterOperand)
                {
                    AddPlainRun(prose, run, found);
                    run.Clear();
                }
            }
            (run ??= []).Add(token);
        }
        if (run is { Count: > 0 }) AddPlainRun(prose, run, found);
    }

    private static TokenKind Classify(ReadOnlySpan<char> token) => token[0] switch
    {
        '(' => TokenKind.Open,
        ')' => TokenKind.Close,
        _ when char.IsAsciiDigit(token[0]) => TokenKind.Operand,
        _ when char.IsAsciiLetter(token[0]) => token.Length > 1 && !token.ContainsAnyExcept(LetterSearch) ? TokenKind.Function : TokenKind.Operand,
        _ => TokenKind.Operator,
    };

    private static readonly System.Buffers.SearchValues<char> LetterSearch =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    // Trims a run to a formula candidate: leading operators (but a '-' that hugs its operand) and ')' go, trailing
    // operators, functions and '(' go, unmatched edge parentheses go; a run still unbalanced inside is dropped.
    private static void AddPlainRun(ReadOnlySpan<char> prose, List<Token> run, FormulaSet found)
    {
        int first = 0, last = run.Count - 1;
        while (first <= last)
        {
            int opens = 0, closes = 0;
            for (int k = first; k <= last; k++)
            {
                if (run[k].Kind == TokenKind.Open) opens++;
                else if (run[k].Kind == TokenKind.Close) closes++;
            }
            Token head = run[first], tail = run[last];
            bool unaryMinus = head.Kind == TokenKind.Operator && prose[head.Start] is '-' or '−'
                && head.End - head.Start == 1 && first < last && run[first + 1].Start == head.End
                && run[first + 1].Kind != TokenKind.Operator;
            if (head.Kind == TokenKind.Close || head.Kind == TokenKind.Operator && !unaryMinus) first++;
            else if (tail.Kind is TokenKind.Operator or TokenKind.Open or TokenKind.Function) last--;
            else if (tail.Kind == TokenKind.Close && closes > opens) last--;
            else if (head.Kind == TokenKind.Open && opens > closes) first++;
            else break;
        }
        if (first > last) return;

        int balance = 0;
        for (int k = first; k <= last; k++)
        {
            if (run[k].Kind == TokenKind.Open) balance++;
            else if (run[k].Kind == TokenKind.Close && --balance < 0) return;
        }
        if (balance != 0) return;

        string text = prose[run[first].Start..run[last].End].ToString();
        if (NotAFormulaInProseRegex().IsMatch(text)) return;
        AddIfFormula(text, found);
    }

    private static void AddIfFormula(string raw, FormulaSet found)
    {
        string normalized = Normalize(raw);
        if (IsFormula(normalized)) found.Add(normalized);
    }

    // ---- regular expressions (source-generated; none can backtrack catastrophically) ----

    [GeneratedRegex("""
        (?<keep>\\\\)
        |(?<mul>\\(?:cdot|times)(?![a-zA-Z])|[×*·⋅])
        |(?<div>\\div(?![a-zA-Z])|÷)
        |(?<minus>−)
        |\\(?:left|right)(?:\.|(?![a-zA-Z]))
        |\\q?quad(?![a-zA-Z])
        |\\[,;:!\ ]
        |\s+
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex NormalizeRegex();

    [GeneratedRegex("""
        \\begin\{(?:array|tabular)\*?\}\{[^{}]*\}
        |\\(?:begin|end)\{[a-zA-Z]+\*?\}
        |\\(?:label|tag)\*?\{[^{}]*\}
        |\\(?:nonumber|notag)(?![a-zA-Z])
        |(?<!\\)&
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex MathMarkupRegex();

    [GeneratedRegex(@"[a-zA-Z0-9]", RegexOptions.CultureInvariant)]
    private static partial Regex HasOperandRegex();

    [GeneratedRegex("""
        [=+\-*/^<>≤≥≠≈±∓]
        |\\(?:frac|dfrac|tfrac|sqrt|sum|prod|int|oint|lim|binom|dbinom|choose|le|leq|ge|geq|lt|gt|ne|neq|approx
             |equiv|sim|simeq|cong|propto|pm|mp|mod|bmod|pmod|log|ln|exp|sin|cos|tan|cot|sec|csc)(?![a-zA-Z])
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex HasOperatorRegex();

    // a signed number, integer fraction, degree value or percentage; or one (sub-/primed) symbol
    [GeneratedRegex("""
        ^[+\-]?(?:
            (?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(?:\^\{?\\circ\}?|\\?%)?
          | \d+/\d+
          | \\[dt]?frac\{\d+\}\{\d+\}
          | (?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?|_[a-zA-Z0-9])?'*
        )$
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex SingleNumberOrSymbolRegex();

    // dates and numeric ranges (2024-05-01, 10-20, 5/1/2024, 1.2.2024) and letter/letter abbreviations (w/o, m/s)
    [GeneratedRegex("""
        ^(?:\d+(?:-\d+)+
          | \d{1,4}(?<sep>[/.])\d{1,2}\k<sep>\d{1,4}
          | [a-zA-Z](?:/[a-zA-Z])+)$
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex NotAFormulaInProseRegex();

    // one token of a plain-text formula: number (with optional % or coefficient letter), single-letter variable,
    // function name, parenthesis or operator
    [GeneratedRegex("""
        (?<![a-zA-Z0-9_.,\\])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:%|[a-zA-Z](?![a-zA-Z0-9_]))?(?![a-zA-Z0-9_:]|[.,]\d)
        |(?<![a-zA-Z0-9_\\])[a-zA-Z](?:_\{[a-zA-Z0-9]+\}|_[a-zA-Z0-9]+)?'*(?![a-zA-Z0-9_])
        |(?<![a-zA-Z\\])(?:sin|cos|tan|cot|sec|csc|log|ln|exp|sqrt)(?![a-zA-Z])
        |\*\*|<=|>=|!=|==|[-+*/^=<>≤≥≠≈±×÷−·⋅]
        |\\(?:cdot|times|div|pm)(?![a-zA-Z])
        |[()]
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex PlainTokenRegex();
}
