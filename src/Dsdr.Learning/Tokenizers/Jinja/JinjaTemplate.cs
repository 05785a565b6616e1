using System.Text;
using static Dsdr.Learning.Tokenizers.Jinja.JinjaValues;

namespace Dsdr.Learning.Tokenizers.Jinja;

/// <summary>
/// A parsed Jinja template of the subset Hugging Face chat templates use (see <see cref="JinjaParser"/> for the
/// statements, <see cref="JinjaBuiltins"/> for the filters, tests, methods and globals), rendered as transformers'
/// apply_chat_template does (trim_blocks, lstrip_blocks). A construct outside the subset is refused when the template
/// is parsed, or — an unknown filter, test or method — when it is first reached, with the file, line and construct named.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly IReadOnlyList<Node> nodes;

    private JinjaTemplate(IReadOnlyList<Node> nodes, string origin) { this.nodes = nodes; Origin = origin; }

    /// <summary>Where the template came from (a file, "tokenizer_config.json chat_template"), named by every error.</summary>
    public string Origin { get; }

    /// <exception cref="JinjaTemplateException">The template is malformed or uses an unsupported construct.</exception>
    public static JinjaTemplate Parse(string source, string origin)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new JinjaTemplate(JinjaParser.Parse(source, origin), origin);
    }

    /// <summary>The text for these variables (strings, numbers, booleans, lists, dictionaries, JsonElements).</summary>
    /// <exception cref="JinjaTemplateException">Rendering failed: raise_exception, an unknown filter, a type error; names file and line.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var globals = new Scope(null);
        foreach (var (name, function) in JinjaBuiltins.Globals) globals.Set(name, function);
        var scope = new Scope(globals);
        foreach (var (name, value) in variables) scope.Set(name, From(value));
        var text = new StringBuilder();
        new Renderer(Origin, text).Run(nodes, scope);
        return text.ToString();
    }

    private sealed class Scope(Scope? parent)
    {
        private readonly Dictionary<string, object?> variables = [];

        public bool TryGet(string name, out object? value)
        {
            for (var s = this; s is not null; s = s.Parent)
                if (s.variables.TryGetValue(name, out value)) return true;
            value = null;
            return false;
        }

        public void Set(string name, object? value) => variables[name] = value;

        public Scope? Parent { get; } = parent;
    }

    private enum Flow { Normal, Break, Continue }

    private sealed class Renderer(string origin, StringBuilder text)
    {
        private int line;

        public void Run(IReadOnlyList<Node> body, Scope scope)
        {
            try { Execute(body, scope); }
            catch (JinjaTemplateException) { throw; }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or InvalidCastException or FormatException or OverflowException or DivideByZeroException)
            {
                throw new JinjaTemplateException($"{origin}, line {line}: {e.Message}");
            }
        }

        private Flow Execute(IReadOnlyList<Node> body, Scope scope)
        {
            foreach (var node in body)
            {
                line = node.Line;
                switch (node)
                {
                    case TextNode t: text.Append(t.Text); break;
                    case OutputNode o: text.Append(Str(Eval(o.Value, scope))); break;
                    case IfNode i:
                        var taken = i.Branches.FirstOrDefault(b => Truthy(Eval(b.Condition, scope))).Body ?? i.Else;
                        if (Execute(taken, scope) is var flow and not Flow.Normal) return flow;
                        break;
                    case ForNode f: For(f, scope); break;
                    case SetNode s: Assign(s, Eval(s.Value, scope), scope); break;
                    case SetBlockNode b:
                        var outer = text.Length;
                        Execute(b.Body, scope);
                        scope.Set(b.Target, text.ToString(outer, text.Length - outer));
                        text.Length = outer;
                        break;
                    case LoopControlNode c: return c.IsBreak ? Flow.Break : Flow.Continue;
                }
            }
            return Flow.Normal;
        }

        private void Assign(SetNode s, object? value, Scope scope)
        {
            if (s.Attribute is { } attribute)
            {
                if (!scope.TryGet(s.Targets[0], out var target) || target is not Namespace ns)
                    throw new JinjaTemplateException($"{origin}, line {s.Line}: 'set {s.Targets[0]}.{attribute}' needs {s.Targets[0]} to be a namespace(...) object.");
                ns.Attributes[attribute] = value;
                return;
            }
            if (s.Targets.Count == 1) { scope.Set(s.Targets[0], value); return; }
            var items = Iterate(value, s.Line);
            if (items.Count != s.Targets.Count) throw new JinjaTemplateException($"{origin}, line {s.Line}: 'set {string.Join(", ", s.Targets)}' unpacks {items.Count} values.");
            for (var k = 0; k < items.Count; k++) scope.Set(s.Targets[k], items[k]);
        }

        private void For(ForNode f, Scope scope)
        {
            var items = Iterate(Eval(f.Iterable, scope), f.Line);
            if (f.Filter is not null)
                items = items.Where(item => { var s = new Scope(scope); Bind(f, s, item); return Truthy(Eval(f.Filter, s)); }).ToList();
            if (items.Count == 0) { Execute(f.Else, scope); return; }
            for (var k = 0; k < items.Count; k++)
            {
                var iteration = new Scope(scope);
                Bind(f, iteration, items[k]);
                iteration.Set("loop", new Dictionary<string, object?>
                {
                    ["index"] = (long)(k + 1), ["index0"] = (long)k, ["revindex"] = (long)(items.Count - k), ["revindex0"] = (long)(items.Count - k - 1),
                    ["first"] = k == 0, ["last"] = k == items.Count - 1, ["length"] = (long)items.Count,
                    ["previtem"] = k > 0 ? items[k - 1] : new Undefined("loop.previtem"), ["nextitem"] = k + 1 < items.Count ? items[k + 1] : new Undefined("loop.nextitem"),
                });
                if (Execute(f.Body, iteration) == Flow.Break) break;
            }
        }

        private void Bind(ForNode f, Scope scope, object? item)
        {
            if (f.Targets.Count == 1) { scope.Set(f.Targets[0], item); return; }
            var parts = Iterate(item, f.Line);
            if (parts.Count != f.Targets.Count) throw new JinjaTemplateException($"{origin}, line {f.Line}: 'for {string.Join(", ", f.Targets)}' unpacks an item of {parts.Count} values.");
            for (var k = 0; k < parts.Count; k++) scope.Set(f.Targets[k], parts[k]);
        }

        private List<object?> Iterate(object? value, int at) => value switch
        {
            List<object?> l => l,
            Dictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            Undefined => [],
            _ => throw new JinjaTemplateException($"{origin}, line {at}: a {TypeName(value)} is not iterable."),
        };

        private object? Eval(Expr e, Scope scope)
        {
            switch (e)
            {
                case LiteralExpr l: return l.Value;
                case NameExpr n: return scope.TryGet(n.Name, out var v) ? v : new Undefined(n.Name);
                case ListExpr l: return l.Items.Select(i => Eval(i, scope)).ToList();
                case DictExpr d:
                    return d.Pairs.ToDictionary(p => Eval(p.Key, scope) as string ?? throw Error(e, "dictionary keys must be strings"), p => Eval(p.Value, scope));
                case AttrExpr a: return Attribute(Eval(a.Target, scope), a.Name, e);
                case IndexExpr i: return Index(Eval(i.Target, scope), Eval(i.Index, scope), e);
                case SliceExpr s:
                    return JinjaBuiltins.Slice(Eval(s.Target, scope), Optional(s.Start, scope), Optional(s.Stop, scope), Optional(s.Step, scope));
                case CallExpr c: return Call(c, scope);
                case FilterExpr f:
                    return JinjaBuiltins.TryFilter(f.Name, Eval(f.Value, scope), f.Args.Select(x => Eval(x, scope)).ToList(), Kwargs(f.Kwargs, scope), out var filtered)
                        ? filtered : throw Error(e, $"the filter '{f.Name}' is not supported by our Jinja subset (supported: {string.Join(", ", JinjaBuiltins.FilterNames)})");
                case TestExpr t:
                    var result = JinjaBuiltins.Test(t.Name, Eval(t.Value, scope), t.Args.Select(x => Eval(x, scope)).ToList())
                        ?? throw Error(e, $"the test 'is {t.Name}' is not supported by our Jinja subset (supported: {string.Join(", ", JinjaBuiltins.TestNames)})");
                    return result != t.Negated;
                case UnaryExpr u:
                    var operand = Eval(u.Operand, scope);
                    return u.Op switch
                    {
                        "not" => !Truthy(operand),
                        "-" => operand is long l ? (object)(-l) : IsNumber(operand) ? -Number(operand) : throw Error(e, $"cannot negate a {TypeName(operand)}"),
                        _ => IsNumber(operand) ? operand : throw Error(e, $"unary '+' of a {TypeName(operand)}"),
                    };
                case BinaryExpr b: return Binary(b, scope);
                case ConditionalExpr c:
                    return Truthy(Eval(c.Condition, scope)) ? Eval(c.Then, scope) : c.Else is null ? new Undefined("else") : Eval(c.Else, scope);
            }
            throw Error(e, $"unknown expression {e.GetType().Name}");
        }

        private object? Optional(Expr? e, Scope scope) => e is null ? null : Eval(e, scope);

        private Dictionary<string, object?> Kwargs(IReadOnlyList<(string Name, Expr Value)> kwargs, Scope scope) =>
            kwargs.ToDictionary(k => k.Name, k => Eval(k.Value, scope));

        private JinjaTemplateException Error(Expr e, string what) => new($"{origin}, line {e.Line}: {what}.");

        private object? Attribute(object? target, string name, Expr e) => target switch
        {
            Dictionary<string, object?> d => d.TryGetValue(name, out var v) ? v : new Undefined(name),
            Namespace ns => ns.Attributes.TryGetValue(name, out var v) ? v : new Undefined(name),
            Undefined u => throw Error(e, $"'{u.Name}' is undefined, so it has no attribute '{name}'"),
            _ => new Undefined(name),
        };

        private object? Index(object? target, object? index, Expr e)
        {
            switch (target, index)
            {
                case (List<object?> l, long i): { var k = i < 0 ? l.Count + i : i; return k >= 0 && k < l.Count ? l[(int)k] : new Undefined($"[{i}]"); }
                case (string s, long i): { var k = i < 0 ? s.Length + i : i; return k >= 0 && k < s.Length ? s[(int)k].ToString() : new Undefined($"[{i}]"); }
                case (Dictionary<string, object?> or Namespace, string key): return Attribute(target, key, e);
                case (Undefined u, _): throw Error(e, $"'{u.Name}' is undefined, so it cannot be indexed");
                default: return new Undefined($"[{Repr(index)}]");
            }
        }

        private object? Call(CallExpr c, Scope scope)
        {
            var args = c.Args.Select(a => Eval(a, scope)).ToList();
            var kwargs = Kwargs(c.Kwargs, scope);
            if (c.Callee is AttrExpr method)
            {
                var target = Eval(method.Target, scope);
                if (target is string or List<object?> or Dictionary<string, object?>)
                {
                    if (target is Dictionary<string, object?> d && d.TryGetValue(method.Name, out var member) && member is JinjaFunction f) return f(args, kwargs);
                    return JinjaBuiltins.TryMethod(target, method.Name, args, kwargs, out var returned)
                        ? returned : throw Error(c, $"the {TypeName(target)} method '{method.Name}()' is not supported by our Jinja subset (supported: {string.Join(", ", JinjaBuiltins.MethodNames(target))})");
                }
            }
            return Eval(c.Callee, scope) switch
            {
                JinjaFunction f => f(args, kwargs),
                Undefined u => throw Error(c, $"'{u.Name}' is undefined; our Jinja subset provides the functions {string.Join(", ", JinjaBuiltins.Globals.Keys)}"),
                var other => throw Error(c, $"a {TypeName(other)} cannot be called"),
            };
        }

        private object? Binary(BinaryExpr b, Scope scope)
        {
            var left = Eval(b.Left, scope);
            switch (b.Op)
            {
                case "and": return Truthy(left) ? Eval(b.Right, scope) : left;
                case "or": return Truthy(left) ? left : Eval(b.Right, scope);
            }
            var right = Eval(b.Right, scope);
            return b.Op switch
            {
                "==" => AreEqual(left, right),
                "!=" => !AreEqual(left, right),
                "<" or ">" or "<=" or ">=" => Order(b.Op, left, right, b),
                "in" => JinjaBuiltins.Contains(right, left),
                "not in" => !JinjaBuiltins.Contains(right, left),
                "~" => Str(left) + Str(right),
                _ => JinjaBuiltins.Arithmetic(b.Op, left, right) ?? throw Error(b, $"'{b.Op}' of a {TypeName(left)} and a {TypeName(right)} is not defined"),
            };
        }

        private bool Order(string op, object? left, object? right, Expr e)
        {
            int c;
            if (IsNumber(left) && IsNumber(right)) c = Number(left).CompareTo(Number(right));
            else if (left is string x && right is string y) c = string.CompareOrdinal(x, y);
            else throw Error(e, $"'{op}' between a {TypeName(left)} and a {TypeName(right)}");
            return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
        }
    }
}
