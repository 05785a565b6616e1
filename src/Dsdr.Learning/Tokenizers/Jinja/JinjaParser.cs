using System.Globalization;

namespace Dsdr.Learning.Tokenizers.Jinja;

internal abstract record Expr(int Line);
internal sealed record LiteralExpr(object? Value, int Line) : Expr(Line);
internal sealed record NameExpr(string Name, int Line) : Expr(Line);
internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line);
internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Pairs, int Line) : Expr(Line);
internal sealed record AttrExpr(Expr Target, string Name, int Line) : Expr(Line);
internal sealed record IndexExpr(Expr Target, Expr Index, int Line) : Expr(Line);
internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);
internal sealed record CallExpr(Expr Callee, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);
internal sealed record FilterExpr(Expr Value, string Name, IReadOnlyList<Expr> Args, IReadOnlyList<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);
internal sealed record TestExpr(Expr Value, string Name, IReadOnlyList<Expr> Args, bool Negated, int Line) : Expr(Line);
internal sealed record UnaryExpr(string Op, Expr Operand, int Line) : Expr(Line);
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line) : Expr(Line);
internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else, int Line) : Expr(Line);

internal abstract record Node(int Line);
internal sealed record TextNode(string Text, int Line) : Node(Line);
internal sealed record OutputNode(Expr Value, int Line) : Node(Line);
internal sealed record IfNode(IReadOnlyList<(Expr Condition, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node> Else, int Line) : Node(Line);
internal sealed record ForNode(IReadOnlyList<string> Targets, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, int Line) : Node(Line);
/// <summary>{% set name = v %}, {% set ns.attr = v %} (Attribute set) or {% set a, b = v %}.</summary>
internal sealed record SetNode(IReadOnlyList<string> Targets, string? Attribute, Expr Value, int Line) : Node(Line);
internal sealed record SetBlockNode(string Target, IReadOnlyList<Node> Body, int Line) : Node(Line);
internal sealed record LoopControlNode(bool IsBreak, int Line) : Node(Line);

/// <summary>
/// Parses the Jinja subset Hugging Face chat templates use: if/elif/else, for (with a filter, else, loop.*, break,
/// continue), set (names, tuples, namespace attributes, blocks), expressions with filters, tests, slices, calls and the
/// ternary. Any other tag (macro, call, include, import, extends, block, filter, raw, with, generation, …) is refused
/// with an error that names it, the template file and the line.
/// </summary>
internal sealed class JinjaParser
{
    private static readonly HashSet<string> Unsupported = ["macro", "call", "include", "import", "from", "extends", "block", "filter", "raw", "with", "generation", "autoescape", "do", "trans"];
    private readonly List<Segment> segments;
    private readonly string origin;
    private int at;
    private IReadOnlyList<Token> tokens = [];
    private int pos;

    private JinjaParser(List<Segment> segments, string origin) { this.segments = segments; this.origin = origin; }

    public static IReadOnlyList<Node> Parse(string source, string origin)
    {
        var parser = new JinjaParser(JinjaLexer.Segments(source, origin), origin);
        var body = parser.Body(out var stop);
        if (stop is not null) throw parser.Error($"'{{% {stop} %}}' has no matching opening tag");
        return body;
    }

    private JinjaTemplateException Error(string what, int? line = null) =>
        new($"{origin}, line {line ?? (pos < tokens.Count ? tokens[pos].Line : 0)}: {what}.");

    // Nodes up to the end of the template, or up to a statement whose keyword is in `stops` (returned in stop).
    private List<Node> Body(out string? stop, params string[] stops)
    {
        var nodes = new List<Node>();
        while (at < segments.Count)
        {
            var segment = segments[at++];
            tokens = segment.Tokens;
            pos = 0;
            switch (segment.Kind)
            {
                case SegmentKind.Text: nodes.Add(new TextNode(segment.Text, segment.Line)); continue;
                case SegmentKind.Output: nodes.Add(new OutputNode(ExpressionToEnd(), segment.Line)); continue;
            }
            var keyword = Peek.Kind == TokenKind.Name ? Peek.Text : throw Error($"a statement must start with a keyword, found '{Peek.Text}' in '{{% {segment.Text.Trim()} %}}'");
            if (stops.Contains(keyword)) { pos++; stop = keyword; return nodes; }
            pos++;
            nodes.Add(keyword switch
            {
                "if" => If(segment.Line),
                "for" => For(segment.Line),
                "set" => Set(segment.Line),
                "break" or "continue" => LoopControl(keyword == "break", segment.Line),
                _ when Unsupported.Contains(keyword) => throw Error($"the '{{% {keyword} %}}' construct is not supported by our Jinja subset (supported: if/elif/else, for, set, break, continue)"),
                _ => throw Error($"'{{% {keyword} %}}' is unexpected here (not supported, or without its opening tag)"),
            });
        }
        stop = null;
        return stops.Length == 0 ? nodes : throw Error($"the template ends before '{{% {stops[^1]} %}}'", segments.Count > 0 ? segments[^1].Line : 0);
    }

    private Node If(int line)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var condition = ExpressionToEnd();
        while (true)
        {
            var body = Body(out var stop, "elif", "else", "endif");
            branches.Add((condition, body));
            if (stop == "endif") { EndOfTag(); return new IfNode(branches, [], line); }
            if (stop == "else") { EndOfTag(); var otherwise = Body(out _, "endif"); EndOfTag(); return new IfNode(branches, otherwise, line); }
            condition = ExpressionToEnd();
        }
    }

    private Node For(int line)
    {
        var targets = new List<string> { Name() };
        while (Accept(",")) targets.Add(Name());
        if (!Next().IsName("in")) throw Error("'for' needs 'in' after its loop variable");
        var iterable = Ternary(allowFilterIf: false);
        Expr? filter = null;
        if (Peek.IsName("if")) { pos++; filter = Ternary(); }
        if (Peek.IsName("recursive")) throw Error("the 'recursive' for loop is not supported by our Jinja subset");
        EndOfTag();
        var body = Body(out var stop, "else", "endfor");
        EndOfTag();
        IReadOnlyList<Node> otherwise = [];
        if (stop == "else") { otherwise = Body(out _, "endfor"); EndOfTag(); }
        return new ForNode(targets, iterable, filter, body, otherwise, line);
    }

    private Node Set(int line)
    {
        var targets = new List<string> { Name() };
        string? attribute = null;
        if (Accept(".")) attribute = Name();
        else while (Accept(",")) targets.Add(Name());
        if (Peek.Kind == TokenKind.End && attribute is null && targets.Count == 1)
        {
            var body = Body(out _, "endset");
            EndOfTag();
            return new SetBlockNode(targets[0], body, line);
        }
        if (!Accept("=")) throw Error($"'set {targets[0]}' needs '=' and a value");
        return new SetNode(targets, attribute, ExpressionToEnd(), line);
    }

    private Node LoopControl(bool isBreak, int line) { EndOfTag(); return new LoopControlNode(isBreak, line); }

    private Token Peek => tokens[pos];
    private Token Next() => tokens[pos++];
    private bool Accept(string op) { if (!Peek.Is(op)) return false; pos++; return true; }
    private void Expect(string op) { if (!Accept(op)) throw Error($"expected '{op}', found '{Peek.Text}'"); }
    private string Name() => Peek.Kind == TokenKind.Name ? Next().Text : throw Error($"expected a name, found '{Peek.Text}'");
    private void EndOfTag() { if (Peek.Kind != TokenKind.End) throw Error($"unexpected '{Peek.Text}' at the end of a tag"); }

    private Expr ExpressionToEnd()
    {
        var e = Tuple();
        EndOfTag();
        return e;
    }

    // a, b  (a tuple without parentheses, as `set a, b = ...` values or `{{ a, b }}`)
    private Expr Tuple()
    {
        var first = Ternary();
        if (!Peek.Is(",")) return first;
        var items = new List<Expr> { first };
        while (Accept(",") && Peek.Kind != TokenKind.End) items.Add(Ternary());
        return new ListExpr(items, first.Line);
    }

    private Expr Ternary(bool allowFilterIf = true)
    {
        var value = Or();
        while (allowFilterIf && Peek.IsName("if"))
        {
            pos++;
            var condition = Or();
            Expr? otherwise = null;
            if (Peek.IsName("else")) { pos++; otherwise = Ternary(); }
            value = new ConditionalExpr(condition, value, otherwise, value.Line);
        }
        return value;
    }

    private Expr Or()
    {
        var left = And();
        while (Peek.IsName("or")) { var line = Next().Line; left = new BinaryExpr("or", left, And(), line); }
        return left;
    }

    private Expr And()
    {
        var left = Not();
        while (Peek.IsName("and")) { var line = Next().Line; left = new BinaryExpr("and", left, Not(), line); }
        return left;
    }

    private Expr Not()
    {
        if (!Peek.IsName("not")) return Compare();
        var line = Next().Line;
        return new UnaryExpr("not", Not(), line);
    }

    private static readonly string[] Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    private Expr Compare()
    {
        var left = Concat();
        while (true)
        {
            var line = Peek.Line;
            if (Peek.Kind == TokenKind.Operator && Comparisons.Contains(Peek.Text)) { var op = Next().Text; left = new BinaryExpr(op, left, Concat(), line); }
            else if (Peek.IsName("in")) { pos++; left = new BinaryExpr("in", left, Concat(), line); }
            else if (Peek.IsName("not") && tokens[pos + 1].IsName("in")) { pos += 2; left = new BinaryExpr("not in", left, Concat(), line); }
            else return left;
        }
    }

    private Expr Concat()
    {
        var left = Sum();
        while (Peek.Is("~")) { var line = Next().Line; left = new BinaryExpr("~", left, Sum(), line); }
        return left;
    }

    private Expr Sum()
    {
        var left = Product();
        while (Peek.Is("+") || Peek.Is("-")) { var op = Next(); left = new BinaryExpr(op.Text, left, Product(), op.Line); }
        return left;
    }

    private Expr Product()
    {
        var left = Power();
        while (Peek.Is("*") || Peek.Is("/") || Peek.Is("//") || Peek.Is("%")) { var op = Next(); left = new BinaryExpr(op.Text, left, Power(), op.Line); }
        return left;
    }

    private Expr Power()
    {
        var left = Unary();
        while (Peek.Is("**")) { var op = Next(); left = new BinaryExpr("**", left, Unary(), op.Line); }
        return left;
    }

    private Expr Unary()
    {
        if (Peek.Is("-") || Peek.Is("+")) { var op = Next(); return FilterAndTest(new UnaryExpr(op.Text, Unary(), op.Line)); }
        return FilterAndTest(Postfix(Primary()));
    }

    private Expr FilterAndTest(Expr value)
    {
        while (true)
        {
            if (Accept("|"))
            {
                var line = Peek.Line;
                var name = Name();
                var (args, kwargs) = Peek.Is("(") ? Arguments() : ([], []);
                value = Postfix(new FilterExpr(value, name, args, kwargs, line));
            }
            else if (Peek.IsName("is"))
            {
                var line = Next().Line;
                var negated = Peek.IsName("not");
                if (negated) pos++;
                var name = Peek.Kind == TokenKind.Name ? Next().Text : throw Error($"expected a test name after 'is', found '{Peek.Text}'");
                var args = new List<Expr>();
                if (Peek.Is("(")) args.AddRange(Arguments().Args);
                else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float) args.Add(Primary());
                value = new TestExpr(value, name, args, negated, line);
            }
            else return value;
        }
    }

    private Expr Postfix(Expr value)
    {
        while (true)
        {
            var line = Peek.Line;
            if (Accept(".")) value = Peek.Kind == TokenKind.Integer ? new IndexExpr(value, new LiteralExpr(long.Parse(Next().Text, CultureInfo.InvariantCulture), line), line) : new AttrExpr(value, Name(), line);
            else if (Peek.Is("[")) value = Subscript(value);
            else if (Peek.Is("(")) { var (args, kwargs) = Arguments(); value = new CallExpr(value, args, kwargs, line); }
            else return value;
        }
    }

    private Expr Subscript(Expr target)
    {
        var line = Next().Line;
        Expr? start = null, stop = null, step = null;
        if (!Peek.Is(":")) start = Ternary();
        if (!Peek.Is(":")) { Expect("]"); return new IndexExpr(target, start!, line); }
        pos++;
        if (!Peek.Is(":") && !Peek.Is("]")) stop = Ternary();
        if (Accept(":") && !Peek.Is("]")) step = Ternary();
        Expect("]");
        return new SliceExpr(target, start, stop, step, line);
    }

    private (List<Expr> Args, List<(string, Expr)> Kwargs) Arguments()
    {
        Expect("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Accept(")"))
        {
            if (Peek.Kind == TokenKind.Name && tokens[pos + 1].Is("=")) { var name = Next().Text; pos++; kwargs.Add((name, Ternary())); }
            else if (kwargs.Count > 0) throw Error("a positional argument follows a keyword argument");
            else args.Add(Ternary());
            if (!Peek.Is(")")) Expect(",");
        }
        return (args, kwargs);
    }

    private Expr Primary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.String:
                var text = token.Text;
                while (Peek.Kind == TokenKind.String) text += Next().Text; // adjacent literals join, as in Python
                return new LiteralExpr(text, token.Line);
            case TokenKind.Integer: return new LiteralExpr(long.Parse(token.Text, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Float: return new LiteralExpr(double.Parse(token.Text, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Name:
                return token.Text switch
                {
                    "true" or "True" => new LiteralExpr(true, token.Line),
                    "false" or "False" => new LiteralExpr(false, token.Line),
                    "none" or "None" => new LiteralExpr(null, token.Line),
                    _ => new NameExpr(token.Text, token.Line),
                };
        }
        if (token.Is("("))
        {
            if (Accept(")")) return new ListExpr([], token.Line);
            var inner = Tuple();
            Expect(")");
            return inner;
        }
        if (token.Is("["))
        {
            var items = new List<Expr>();
            while (!Accept("]")) { items.Add(Ternary()); if (!Peek.Is("]")) Expect(","); }
            return new ListExpr(items, token.Line);
        }
        if (token.Is("{"))
        {
            var pairs = new List<(Expr, Expr)>();
            while (!Accept("}")) { var key = Ternary(); Expect(":"); pairs.Add((key, Ternary())); if (!Peek.Is("}")) Expect(","); }
            return new DictExpr(pairs, token.Line);
        }
        pos--;
        throw Error(token.Kind == TokenKind.End ? "an expression is missing" : $"unexpected '{token.Text}' in an expression");
    }
}
