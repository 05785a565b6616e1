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
        ScanText(response, found, windowed: true);
        return found;
    }

    /// <summary>The spec §6 normalisation of one formula's text, in one pass.</summary>
    public static string Normalize(string formula)
    {
        var sb = new StringBuilder(formula.Length);
        for (int i = 0; i < formula.Length; i++)
        {
            char c = formula[i];
            if (char.IsWhiteSpace(c)) continue;                        // whitespace removed
            if (c is '×' or '*' or '·' or '⋅') { sb.Append('*'); continue; } // × * (and the dots ·, ⋅) → *
            if (c == '÷') { sb.Append('/'); continue; }                 // ÷ → /
            if (c == '−') { sb.Append('-'); continue; }                 // Unicode minus → -
            if (c != '\\' || i + 1 >= formula.Length) { sb.Append(c); continue; }

            char next = formula[i + 1];
            if (next is ',' or ';' or ':' or '!' || char.IsWhiteSpace(next)) { i++; continue; } // \, \; \: \! "\ " dropped
            int nameEnd = i + 1;
            while (nameEnd < formula.Length && char.IsAsciiLetter(formula[nameEnd])) nameEnd++;
            if (nameEnd == i + 1) { sb.Append(c).Append(next); i++; continue; } // \\ \{ \} \% …: kept
            var name = formula.AsSpan(i + 1, nameEnd - i - 1);
            if (name is "cdot" or "times") sb.Append('*');             // \cdot \times → *
            else if (name is "div") sb.Append('/');                    // \div → /
            else if (name is "left" or "right")                        // \left \right dropped (with an invisible "." delimiter)
            {
                if (nameEnd < formula.Length && formula[nameEnd] == '.') nameEnd++;
            }
            else if (name is not ("quad" or "qquad")) sb.Append(formula, i, nameEnd - i); // \quad \qquad dropped
            i = nameEnd - 1;
        }
        int end = sb.Length;
        while (end > 0 && sb[end - 1] is '.' or ',' or ';' or ':') end--;
        return sb.ToString(0, end);
    }

    /// <summary>True when a normalised string is a formula: it has an operator or relation and is not a single number or symbol.</summary>
    public static bool IsFormula(string normalized) =>
        normalized.Length > 1
        && HasOperandRegex().IsMatch(normalized)
        && HasOperatorRegex().IsMatch(normalized)
        && !SingleNumberOrSymbolRegex().IsMatch(normalized);

    // ---- scanning: math segments and the prose between them ----

    private static void ScanText(string text, FormulaSet found, bool windowed)
    {
        var delimiters = new DelimiterFinder(text);
        int proseStart = 0, i = 0;
        while (true)
        {
            int at = text.AsSpan(i).IndexOfAny('\\', '$');
            if (at < 0) break;
            i += at;
            if (!delimiters.TrySegmentAt(i, out int contentStart, out int contentEnd, out int next))
            {
                int skip = text[i] == '\\' || text.AsSpan(i).StartsWith("$$") ? 2 : 1; // \$ \\ and lone delimiters are literal
                i = Math.Min(i + skip, text.Length);
                continue;
            }
            Plain(text.AsSpan(proseStart, i - proseStart));
            ExtractMath(text.AsSpan(contentStart, contentEnd - contentStart), found);
            i = proseStart = next;
        }
        if (proseStart < text.Length) Plain(text.AsSpan(proseStart));

        void Plain(ReadOnlySpan<char> prose)
        {
            if (windowed) ExtractPlain(prose, found);
            else ExtractPlainUnwindowed(prose, found);
        }
    }

    /// <summary>
    /// Finds the math segment that starts at a '\' or '$'. It remembers failed searches (a closer missing
    /// after p is missing after every later q too), so unbalanced delimiters cost linear time, not quadratic.
    /// </summary>
    private sealed class DelimiterFinder(string text)
    {
        private int _noBracketCloseFrom = int.MaxValue, _noParenCloseFrom = int.MaxValue, _noDisplayCloseFrom = int.MaxValue;
        private int _inlineCloser = -1;   // the first inline closer after the last opener searched (and so after any later opener before it)
        private int _noInlineCloser = -1; // no inline closer lies in [last opener searched, _noInlineCloser)
        private BraceMatcher? _braces;
        private int _paragraphEnd = -1;   // end of the paragraph of the last inline search

        public bool TrySegmentAt(int i, out int contentStart, out int contentEnd, out int next)
        {
            contentStart = contentEnd = next = -1;
            int close;
            if (text[i] == '\\')
            {
                if (i + 1 >= text.Length) return false;
                char kind = text[i + 1];
                if (kind == '[') close = FindCached(@"\]", i + 2, ref _noBracketCloseFrom);
                else if (kind == '(') close = FindCached(@"\)", i + 2, ref _noParenCloseFrom);
                else if (text.AsSpan(i).StartsWith(@"\boxed{", StringComparison.Ordinal))
                {
                    close = (_braces ??= new BraceMatcher(text)).Match(i + 6);
                    if (close < 0) return false;
                    (contentStart, contentEnd, next) = (i + 7, close, close + 1);
                    return true;
                }
                else return false;
                if (close < 0) return false;
                (contentStart, contentEnd, next) = (i + 2, close, close + 2);
                return true;
            }
            if (i + 1 < text.Length && text[i + 1] == '$')
            {
                close = FindCached("$$", i + 2, ref _noDisplayCloseFrom);
                if (close < 0) return false;
                (contentStart, contentEnd, next) = (i + 2, close, close + 2);
                return true;
            }
            if (i >= _inlineCloser && i >= _noInlineCloser)
                _inlineCloser = FindInlineCloser(i + 1, out _noInlineCloser);
            close = i < _noInlineCloser ? -1 : _inlineCloser;
            bool opens = close > i + 1 && !char.IsWhiteSpace(text[i + 1])
                && !HasUnescapedDollar(i + 1, close); // "$5 and $x$": the first $ is a price
            if (!opens) return false;
            (contentStart, contentEnd, next) = (i + 1, close, close + 1);
            return true;
        }

        private int FindCached(string closer, int from, ref int missingFrom)
        {
            if (from >= missingFrom || from > text.Length) return -1;
            int close = text.IndexOf(closer, from, StringComparison.Ordinal);
            if (close < 0) missingFrom = from;
            return close;
        }

        // The first inline closer at or after `from` in its paragraph, or -1 (then `noCloserUntil` = paragraph end).
        // A closer is an unescaped $ with a non-space on its left and no digit on its right; that does not depend
        // on the opener, which is why one search serves every opener before the closer.
        private int FindInlineCloser(int from, out int noCloserUntil)
        {
            noCloserUntil = -1;
            if (from > _paragraphEnd)
            {
                _paragraphEnd = from < text.Length ? text.IndexOf("\n\n", from, StringComparison.Ordinal) : -1;
                if (_paragraphEnd < 0) _paragraphEnd = text.Length;
            }
            int paragraphEnd = _paragraphEnd;
            for (int j = from < text.Length ? text.IndexOf('$', from) : -1; j >= 0 && j < paragraphEnd; j = text.IndexOf('$', j + 1))
            {
                char left = text[j - 1];
                if (!char.IsWhiteSpace(left) && left != '\\' && !(j + 1 < text.Length && char.IsAsciiDigit(text[j + 1])))
                    return j;
            }
            noCloserUntil = paragraphEnd;
            return -1;
        }

        private bool HasUnescapedDollar(int from, int to)
        {
            for (int j = text.IndexOf('$', from, to - from); j >= 0; j = text.IndexOf('$', j + 1, to - j - 1))
                if (text[j - 1] != '\\') return true;
            return false;
        }
    }

    /// <summary>Matching '}' for a '{' (escaped \{ \} skipped): a forward scan, or one linear table once a scan has failed.</summary>
    private sealed class BraceMatcher(string text)
    {
        private int[]? _table;

        public int Match(int open)
        {
            if (_table is not null) return _table[open];
            int depth = 0;
            for (int j = open; j < text.Length; j++)
            {
                char c = text[j];
                if (c == '\\') { j++; continue; }
                if (c == '{') depth++;
                else if (c == '}' && --depth == 0) return j;
            }
            _table = Table(text);
            return -1;
        }

        // close[open] for every '{' in one pass with a stack; -1 for unmatched ones
        public static int[] Table(string text)
        {
            var close = new int[text.Length];
            Array.Fill(close, -1);
            var open = new Stack<int>();
            for (int j = 0; j < text.Length; j++)
            {
                char c = text[j];
                if (c == '\\') { j++; continue; }
                if (c == '{') open.Push(j);
                else if (c == '}' && open.Count > 0) close[open.Pop()] = j;
            }
            return close;
        }
    }

    // ---- math segments ----

    private static void ExtractMath(ReadOnlySpan<char> segment, FormulaSet found)
    {
        string math = segment.ToString();
        if (segment.Contains('\\') || segment.Contains('&'))
            math = MathMarkupRegex().Replace(UnwrapBoxed(math), "");
        if (!math.Contains(@"\\", StringComparison.Ordinal))
        {
            AddIfFormula(math, found);
            return;
        }
        foreach (var line in math.Split(@"\\", StringSplitOptions.RemoveEmptyEntries))
            AddIfFormula(line, found);
    }

    // \boxed{X} → X at every depth in one pass; an unclosed \boxed{ stays as it is
    private static string UnwrapBoxed(string math)
    {
        int at = math.IndexOf(@"\boxed{", StringComparison.Ordinal);
        if (at < 0) return math;
        var close = BraceMatcher.Table(math);
        var drop = new bool[math.Length];
        for (; at >= 0; at = math.IndexOf(@"\boxed{", at + 1, StringComparison.Ordinal))
        {
            int end = close[at + 6];
            if (end < 0) continue;
            Array.Fill(drop, true, at, 7);
            drop[end] = true;
        }
        var sb = new StringBuilder(math.Length);
        for (int k = 0; k < math.Length; k++) if (!drop[k]) sb.Append(math[k]);
        return sb.ToString();
    }

    // ---- plain-text runs ----

    private enum TokenKind { Operand, Function, Open, Close, Operator, Times, Word }

    private readonly record struct Token(int Start, int End, TokenKind Kind);

    // Plain formulas need an operator (or a times-x), so only the stretches of prose around one are tokenised:
    // each window reaches out from an anchor to the nearest run breakers (a newline, punctuation outside the
    // token alphabet, a word of prose). Tokens found from the window's start see the same context as in a scan of
    // the whole prose, so the result equals that scan's (the tests check this against ExtractUnwindowed).
    private static void ExtractPlain(ReadOnlySpan<char> prose, FormulaSet found)
    {
        var tokens = new List<Token>();
        int pos = 0;
        while (pos < prose.Length)
        {
            int at = prose[pos..].IndexOfAny(PlainAnchors);
            if (at < 0) break;
            at += pos;
            if (char.IsAsciiLetter(prose[at])) // an 'x': a window only if it is a word of its own
            {
                int wordEnd = WordEnd(prose, at);
                if (!IsRunWord(prose, WordStart(prose, at, pos), wordEnd)) { pos = wordEnd; continue; }
            }
            int start = WindowStart(prose, at, pos), end = WindowEnd(prose, at);
            tokens.Clear();
            // two characters past the window cover every lookahead of the token pattern
            foreach (var match in PlainTokenRegex().EnumerateMatches(prose[..Math.Min(end + 2, prose.Length)], start))
            {
                if (match.Index >= end) break;
                tokens.Add(new Token(match.Index, match.Index + match.Length, Classify(prose.Slice(match.Index, match.Length))));
            }
            AddRuns(prose, tokens, found);
            pos = end;
        }
    }

    // the unwindowed scan of all prose; the reference the windowed scan must equal
    internal static IReadOnlySet<string> ExtractUnwindowed(string response)
    {
        var found = new FormulaSet();
        ScanText(response, found, windowed: false);
        return found;
    }

    private static void ExtractPlainUnwindowed(ReadOnlySpan<char> prose, FormulaSet found)
    {
        var tokens = new List<Token>();
        foreach (var match in PlainTokenRegex().EnumerateMatches(prose))
            tokens.Add(new Token(match.Index, match.Index + match.Length, Classify(prose.Slice(match.Index, match.Length))));
        AddRuns(prose, tokens, found);
    }

    private static readonly System.Buffers.SearchValues<char> PlainAnchors =
        System.Buffers.SearchValues.Create("+-*/^=<>≤≥≠≈±×÷−·⋅\\x");

    // characters that may sit inside a run (letters are judged word by word)
    private static readonly System.Buffers.SearchValues<char> RunCharacters =
        System.Buffers.SearchValues.Create(" \t0123456789_{}'.,%()+-*/^=<>!≤≥≠≈±×÷−·⋅\\²³¹⁰⁴⁵⁶⁷⁸⁹");

    private static int WindowStart(ReadOnlySpan<char> prose, int at, int floor)
    {
        int start = at;
        while (start > floor)
        {
            char c = prose[start - 1];
            if (RunCharacters.Contains(c)) { start--; continue; }
            if (!char.IsAsciiLetter(c)) break;
            int wordStart = WordStart(prose, start - 1, floor);
            if (!IsRunWord(prose, wordStart, start)) break;
            start = wordStart;
        }
        return start;
    }

    private static int WindowEnd(ReadOnlySpan<char> prose, int at)
    {
        int end = at + 1;
        while (end < prose.Length)
        {
            char c = prose[end];
            if (RunCharacters.Contains(c)) { end++; continue; }
            if (!char.IsAsciiLetter(c)) break;
            int wordEnd = WordEnd(prose, end);
            if (!IsRunWord(prose, end, wordEnd)) break;
            end = wordEnd;
        }
        return end;
    }

    private static int WordStart(ReadOnlySpan<char> prose, int inWord, int floor)
    {
        while (inWord > floor && char.IsAsciiLetter(prose[inWord - 1])) inWord--;
        return inWord;
    }

    private static int WordEnd(ReadOnlySpan<char> prose, int inWord)
    {
        while (inWord < prose.Length && char.IsAsciiLetter(prose[inWord])) inWord++;
        return inWord;
    }

    // letters that can belong to a token: a single letter, a function name, a command name (\cdot) or a subscript
    private static bool IsRunWord(ReadOnlySpan<char> prose, int start, int end) =>
        end - start == 1 || IsFunctionName(prose[start..end]) || start > 0 && prose[start - 1] is '\\' or '_' or '{';

    private static bool IsFunctionName(ReadOnlySpan<char> word) =>
        word is "sin" or "cos" or "tan" or "cot" or "sec" or "csc" or "log" or "ln" or "exp" or "sqrt";

    // splits the token stream into runs at words of prose, at gaps holding more than spaces/tabs and between
    // two operands separated by a space
    private static void AddRuns(ReadOnlySpan<char> prose, List<Token> tokens, FormulaSet found)
    {
        var run = new List<Token>();
        for (int t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            if (token.Kind == TokenKind.Word)
            {
                if (run.Count > 0) { AddPlainRun(prose, run, found); run.Clear(); }
                continue;
            }
            if (IsTimesX(prose, tokens, t)) token = token with { Kind = TokenKind.Times };
            if (run.Count > 0)
            {
                var previous = run[^1];
                var gap = prose[previous.End..token.Start];
                bool operandAfterOperand = !gap.IsEmpty
                    && previous.Kind is TokenKind.Operand or TokenKind.Close
                    && token.Kind is TokenKind.Operand or TokenKind.Open or TokenKind.Function;
                if (gap.ContainsAnyExcept(' ', '\t') || operandAfterOperand)
                {
                    AddPlainRun(prose, run, found);
                    run.Clear();
                }
            }
            run.Add(token);
        }
        if (run.Count > 0) AddPlainRun(prose, run, found);
    }

    // "2 x 3": a lone x between two numbers, spaced on both sides, is a times sign
    private static bool IsTimesX(ReadOnlySpan<char> prose, List<Token> tokens, int t)
    {
        var x = tokens[t];
        if (t == 0 || t + 1 >= tokens.Count || x.End - x.Start != 1 || prose[x.Start] != 'x') return false;
        Token before = tokens[t - 1], after = tokens[t + 1];
        return before.Kind == TokenKind.Operand && char.IsAsciiDigit(prose[before.End - 1])
            && after.Kind == TokenKind.Operand && char.IsAsciiDigit(prose[after.Start])
            && before.End < x.Start && x.End < after.Start
            && !prose[before.End..x.Start].ContainsAnyExcept(' ', '\t') && !prose[x.End..after.Start].ContainsAnyExcept(' ', '\t');
    }

    private static TokenKind Classify(ReadOnlySpan<char> token) => token[0] switch
    {
        '(' => TokenKind.Open,
        ')' => TokenKind.Close,
        _ when char.IsAsciiDigit(token[0]) => TokenKind.Operand,
        _ when char.IsAsciiLetter(token[0]) => token.Length == 1 || token.ContainsAnyExcept(AsciiLetters) ? TokenKind.Operand
            : IsFunctionName(token) ? TokenKind.Function
            : TokenKind.Word,
        _ => TokenKind.Operator,
    };

    private static readonly System.Buffers.SearchValues<char> AsciiLetters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    // Trims a run to a formula candidate: leading operators (but a '-' that hugs its operand) and ')' go, trailing
    // operators, functions and '(' go, unmatched edge parentheses go; a run still unbalanced inside is dropped.
    private static void AddPlainRun(ReadOnlySpan<char> prose, List<Token> run, FormulaSet found)
    {
        int first = 0, last = run.Count - 1;
        int opens = run.Count(t => t.Kind == TokenKind.Open), closes = run.Count(t => t.Kind == TokenKind.Close);
        while (first <= last)
        {
            Token head = run[first], tail = run[last];
            bool unaryMinus = head.Kind == TokenKind.Operator && prose[head.Start] is '-' or '−'
                && head.End - head.Start == 1 && first < last && run[first + 1].Start == head.End
                && run[first + 1].Kind != TokenKind.Operator;
            bool dropHead = head.Kind is TokenKind.Close or TokenKind.Times
                || head.Kind == TokenKind.Operator && !unaryMinus
                || head.Kind == TokenKind.Open && opens > closes
                   && tail.Kind is not (TokenKind.Operator or TokenKind.Times or TokenKind.Open or TokenKind.Function);
            bool dropTail = !dropHead
                && (tail.Kind is TokenKind.Operator or TokenKind.Times or TokenKind.Open or TokenKind.Function
                    || tail.Kind == TokenKind.Close && closes > opens);
            if (!dropHead && !dropTail) break;
            Token dropped = dropHead ? run[first++] : run[last--];
            if (dropped.Kind == TokenKind.Open) opens--;
            else if (dropped.Kind == TokenKind.Close) closes--;
        }
        if (first >= last) return; // one token alone (a number, a variable) is never a formula

        int balance = 0;
        for (int k = first; k <= last; k++)
        {
            if (run[k].Kind == TokenKind.Open) balance++;
            else if (run[k].Kind == TokenKind.Close && --balance < 0) return;
        }
        if (balance != 0) return;

        if (NotAFormulaInProseRegex().IsMatch(prose[run[first].Start..run[last].End])) return;
        var text = new StringBuilder();
        for (int k = first; k <= last; k++)
            text.Append(run[k].Kind == TokenKind.Times ? "*" : prose[run[k].Start..run[k].End]);
        AddIfFormula(text.ToString(), found);
    }

    private static void AddIfFormula(string raw, FormulaSet found)
    {
        string normalized = Normalize(raw);
        if (IsFormula(normalized)) found.Add(normalized);
    }

    // ---- regular expressions (source-generated; none can backtrack catastrophically) ----

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
    // function name, parenthesis or operator; or a whole word of prose (which ends a run), matched in one step
    // so that the search does not stop at every letter
    [GeneratedRegex("""
        (?<![a-zA-Z0-9_.,\\])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:%|[a-zA-Z](?![a-zA-Z0-9_]))?[²³¹⁰⁴-⁹]*(?![a-zA-Z0-9_:]|[.,]\d)
        |(?<![a-zA-Z0-9_\\])[a-zA-Z](?:_\{[a-zA-Z0-9]+\}|_[a-zA-Z0-9]+)?'*[²³¹⁰⁴-⁹]*(?![a-zA-Z0-9_])
        |(?<![a-zA-Z\\])(?:sin|cos|tan|cot|sec|csc|log|ln|exp|sqrt)(?![a-zA-Z])
        |[a-zA-Z]{2,}
        |\*\*|<=|>=|!=|==|[-+*/^=<>≤≥≠≈±×÷−·⋅]
        |\\(?:cdot|times|div|pm)(?![a-zA-Z])
        |[()]
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex PlainTokenRegex();
}
