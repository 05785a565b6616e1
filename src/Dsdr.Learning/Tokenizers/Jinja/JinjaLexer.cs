using System.Globalization;
using System.Text;

namespace Dsdr.Learning.Tokenizers.Jinja;

/// <summary>A template that uses a construct outside the Jinja subset we render, or is malformed; names the construct and where.</summary>
public sealed class JinjaTemplateException(string message) : FormatException(message);

internal enum SegmentKind { Text, Output, Statement }

/// <summary>A piece of the template: literal text, an {{ expression }} or a {% statement %}, with its tokens.</summary>
internal sealed record Segment(SegmentKind Kind, string Text, IReadOnlyList<Token> Tokens, int Line);

internal enum TokenKind { Name, String, Integer, Float, Operator, End }

internal sealed record Token(TokenKind Kind, string Text, int Line)
{
    public bool Is(string op) => Kind == TokenKind.Operator && Text == op;
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;
}

/// <summary>
/// Splits a template into text, {{ }} and {% %} segments as Hugging Face renders chat templates: trim_blocks and
/// lstrip_blocks on, the template's single trailing newline dropped, '-' inside a delimiter stripping the whitespace
/// beside it, {# comments #} removed.
/// </summary>
internal static class JinjaLexer
{
    private static readonly string[] Operators = ["**", "//", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "~", "+", "-", "*", "/", "%", "<", ">", "="];

    public static List<Segment> Segments(string source, string origin)
    {
        if (source.EndsWith('\n')) source = source[..^1];
        var segments = new List<Segment>();
        var text = new StringBuilder();
        var at = 0;
        var stripNextLeading = false;
        var trimNextNewline = false;
        while (at < source.Length)
        {
            var open = NextOpening(source, at);
            var literal = source[at..(open < 0 ? source.Length : open)];
            if (trimNextNewline && literal.StartsWith('\n')) literal = literal[1..];
            if (stripNextLeading) literal = literal.TrimStart();
            if (open < 0) { text.Append(literal); break; }

            var kind = source[open + 1];
            var close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            var leftStrip = open + 2 < source.Length && source[open + 2] == '-';
            var keepIndent = open + 2 < source.Length && source[open + 2] == '+';
            if (leftStrip) literal = literal.TrimEnd();
            else if (kind != '{' && !keepIndent) literal = LstripBlock(literal);
            text.Append(literal);

            var line = LineOf(source, open);
            var bodyStart = open + (leftStrip || keepIndent ? 3 : 2);
            var end = kind == '#' ? source.IndexOf(close, bodyStart, StringComparison.Ordinal) : CloseOf(source, bodyStart, close, origin, line);
            if (end < 0) throw new JinjaTemplateException($"{origin}, line {line}: '{source[open..(open + 2)]}' is never closed by '{close}'.");
            var rightStrip = end > bodyStart && source[end - 1] == '-';
            var body = source[bodyStart..(rightStrip ? end - 1 : end)];
            at = end + 2;
            stripNextLeading = rightStrip;
            trimNextNewline = kind != '{';
            if (kind == '#') continue;

            if (text.Length > 0) { segments.Add(new Segment(SegmentKind.Text, text.ToString(), [], line)); text.Clear(); }
            segments.Add(new Segment(kind == '{' ? SegmentKind.Output : SegmentKind.Statement, body, Tokenize(body, origin, line), line));
        }
        if (text.Length > 0) segments.Add(new Segment(SegmentKind.Text, text.ToString(), [], LineOf(source, source.Length)));
        return segments;
    }

    private static int NextOpening(string source, int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    // lstrip_blocks: spaces and tabs between the line's start and a block tag go.
    private static string LstripBlock(string literal)
    {
        var lineStart = literal.LastIndexOf('\n') + 1;
        return literal.AsSpan(lineStart).Trim(" \t").IsEmpty ? literal[..lineStart] : literal;
    }

    // The closing delimiter outside string literals.
    private static int CloseOf(string source, int from, string close, string origin, int line)
    {
        for (var i = from; i + 1 < source.Length; i++)
        {
            var c = source[i];
            if (c is '\'' or '"') i = StringEnd(source, i, origin, line);
            else if (c == close[0] && source[i + 1] == close[1]) return i;
        }
        return -1;
    }

    private static int StringEnd(string source, int quoteAt, string origin, int line)
    {
        var quote = source[quoteAt];
        for (var i = quoteAt + 1; i < source.Length; i++)
        {
            if (source[i] == '\\') i++;
            else if (source[i] == quote) return i;
        }
        throw new JinjaTemplateException($"{origin}, line {line}: a string literal is never closed.");
    }

    private static int LineOf(string source, int index) => 1 + source.AsSpan(0, Math.Min(index, source.Length)).Count('\n');

    public static List<Token> Tokenize(string body, string origin, int line)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < body.Length)
        {
            var c = body[i];
            if (char.IsWhiteSpace(c)) { if (c == '\n') line++; i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < body.Length && (char.IsLetterOrDigit(body[i]) || body[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, body[start..i], line));
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < body.Length && (char.IsAsciiDigit(body[i]) || body[i] == '_')) i++;
                var isFloat = i + 1 < body.Length && body[i] == '.' && char.IsAsciiDigit(body[i + 1]);
                if (isFloat) { i++; while (i < body.Length && char.IsAsciiDigit(body[i])) i++; }
                if (i < body.Length && body[i] is 'e' or 'E') { isFloat = true; i++; if (i < body.Length && body[i] is '+' or '-') i++; while (i < body.Length && char.IsAsciiDigit(body[i])) i++; }
                tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, body[start..i].Replace("_", ""), line));
            }
            else if (c is '\'' or '"')
            {
                var end = StringEnd(body, i, origin, line);
                tokens.Add(new Token(TokenKind.String, Unescape(body[(i + 1)..end], origin, line), line));
                i = end + 1;
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(body, i, o, 0, o.Length) == 0)
                    ?? throw new JinjaTemplateException($"{origin}, line {line}: unexpected character '{c}' in a tag.");
                tokens.Add(new Token(TokenKind.Operator, op, line));
                i += op.Length;
            }
        }
        tokens.Add(new Token(TokenKind.End, "", line));
        return tokens;
    }

    // Python string-literal escapes.
    private static string Unescape(string raw, string origin, int line)
    {
        if (!raw.Contains('\\')) return raw;
        var text = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\' || i + 1 == raw.Length) { text.Append(raw[i]); continue; }
            var e = raw[++i];
            switch (e)
            {
                case 'n': text.Append('\n'); break;
                case 't': text.Append('\t'); break;
                case 'r': text.Append('\r'); break;
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case '0': text.Append('\0'); break;
                case '\\' or '\'' or '"': text.Append(e); break;
                case 'x' or 'u':
                    var digits = e == 'x' ? 2 : 4;
                    if (i + digits >= raw.Length) throw new JinjaTemplateException($"{origin}, line {line}: '\\{e}' needs {digits} hex digits.");
                    text.Append((char)int.Parse(raw.AsSpan(i + 1, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += digits;
                    break;
                default: text.Append('\\').Append(e); break;
            }
        }
        return text.ToString();
    }
}
