using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tasks;

/// <summary>One signed product of a multi-step arithmetic problem, e.g. −7·2.</summary>
public sealed record ArithTerm(bool Negative, IReadOnlyList<int> Factors)
{
    public long Value => (Negative ? -1L : 1L) * Factors.Aggregate(1L, (p, f) => p * f);
    public string Product => string.Join('*', Factors);
}

/// <summary>
/// A sum of products, e.g. "3*4 + 5*6 - 7*2": the products and the additions can be done in many
/// orders. The gold is the integer value ("28"); the response gives it in \boxed{}.
/// </summary>
public sealed record ArithProblem(IReadOnlyList<ArithTerm> Terms)
{
    /// <summary>The expression as shown to the model, e.g. "3*4 + 5*6 - 7*2".</summary>
    public string Expression
    {
        get
        {
            var text = new StringBuilder();
            for (var i = 0; i < Terms.Count; i++)
            {
                if (i == 0) text.Append(Terms[i].Negative ? "-" : "");
                else text.Append(Terms[i].Negative ? " - " : " + ");
                text.Append(Terms[i].Product);
            }
            return text.ToString();
        }
    }

    /// <summary>Problems are equal when their expressions read the same.</summary>
    public bool Equals(ArithProblem? other) => other is not null && Expression == other.Expression;
    public override int GetHashCode() => Expression.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Expression;

    public long Answer => Terms.Sum(t => t.Value);
    public string Gold => Answer.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Verbose: "Compute 3*4 + 5*6 - 7*2. Work one operation at a time, writing each step as an
    /// equation such as 3*4 = 12, and put the final integer answer in \boxed{}."
    /// Only the verbose style exists: a boxed answer does not fit a tiny compact alphabet.
    /// </summary>
    public string Prompt(PromptStyle style) => style switch
    {
        PromptStyle.Verbose =>
            $"Compute {Expression}. Work one operation at a time, writing each step as an equation such as " +
            $"{Terms[0].Factors[0]}*{Terms[0].Factors[^1]} = {Terms[0].Factors[0] * Terms[0].Factors[^1]}, and put the final integer answer in \\boxed{{}}.",
        _ => throw new ArgumentException($"The arith task has only the {PromptStyle.Verbose} prompt style; got {style}.", nameof(style)),
    };

    public Problem ToProblem(string? id = null, string dataset = ArithTask.TaskName) =>
        new(dataset, id ?? Expression, Prompt(PromptStyle.Verbose), Gold);

    /// <summary>
    /// A correct worked solution in a random valid order: the products in a random order (factors
    /// left to right), then the running sum over a random order of the terms that starts with a
    /// positive one, then \boxed{answer}. One step per line, e.g. "5*6 = 30".
    /// </summary>
    public string WorkedSolution(SeededRandom random)
    {
        var lines = new List<string>();
        var productOrder = Enumerable.Range(0, Terms.Count).ToList();
        random.Shuffle(productOrder);
        foreach (var t in productOrder)
        {
            long acc = Terms[t].Factors[0];
            foreach (var f in Terms[t].Factors.Skip(1))
            {
                lines.Add($"{acc}*{f} = {acc * f}");
                acc *= f;
            }
        }
        var sumOrder = Enumerable.Range(0, Terms.Count).ToList();
        random.Shuffle(sumOrder);
        var first = sumOrder.FindIndex(t => !Terms[t].Negative);
        if (first < 0) throw new InvalidOperationException("An arith problem needs at least one positive term to start the running sum.");
        (sumOrder[0], sumOrder[first]) = (sumOrder[first], sumOrder[0]);
        var total = Math.Abs(Terms[sumOrder[0]].Value);
        foreach (var t in sumOrder.Skip(1))
        {
            var magnitude = Math.Abs(Terms[t].Value);
            var next = Terms[t].Negative ? total - magnitude : total + magnitude;
            lines.Add($"{total} {(Terms[t].Negative ? '-' : '+')} {magnitude} = {next}");
            total = next;
        }
        lines.Add($"\\boxed{{{total}}}");
        return string.Join('\n', lines);
    }
}

/// <summary>How arith problems are drawn.</summary>
/// <param name="Terms">Products per problem (≥ 2).</param>
/// <param name="FactorsPerTerm">Factors per product (≥ 1).</param>
/// <param name="MinFactor">Smallest factor (≥ 0).</param>
/// <param name="MaxFactor">Largest factor.</param>
/// <param name="AllowSubtraction">Terms after the first may be subtracted (each with probability ½).</param>
/// <param name="HeldOutFraction">Share of all problems in the held-out split.</param>
public sealed record ArithConfig(
    int Terms = 3,
    int FactorsPerTerm = 2,
    int MinFactor = 2,
    int MaxFactor = 12,
    bool AllowSubtraction = true,
    double HeldOutFraction = 0.1)
{
    public void Validate()
    {
        if (Terms < 2) throw new ArgumentException($"ArithConfig.Terms must be ≥ 2, got {Terms}.");
        if (FactorsPerTerm < 1) throw new ArgumentException($"ArithConfig.FactorsPerTerm must be ≥ 1, got {FactorsPerTerm}.");
        if (MinFactor < 0) throw new ArgumentException($"ArithConfig.MinFactor must be ≥ 0, got {MinFactor}.");
        if (MaxFactor < MinFactor) throw new ArgumentException($"ArithConfig.MaxFactor ({MaxFactor}) is below MinFactor ({MinFactor}).");
        if (Math.Pow(Math.Max(Math.Abs(MinFactor), Math.Abs(MaxFactor)), FactorsPerTerm) * Terms > long.MaxValue / 4)
            throw new ArgumentException("ArithConfig: factors this large overflow a 64-bit answer; lower MaxFactor or FactorsPerTerm.");
        if (HeldOutFraction is < 0 or > 1 || double.IsNaN(HeldOutFraction))
            throw new ArgumentException($"ArithConfig.HeldOutFraction must lie in [0, 1], got {HeldOutFraction}.");
    }
}

public static class ArithGenerator
{
    /// <summary>One problem; the first term is always added.</summary>
    public static ArithProblem Next(ArithConfig config, SeededRandom random)
    {
        config.Validate();
        var terms = Enumerable.Range(0, config.Terms).Select(i => new ArithTerm(
            i > 0 && config.AllowSubtraction && random.Next(0, 1) == 1,
            [.. Enumerable.Range(0, config.FactorsPerTerm).Select(_ => random.Next(config.MinFactor, config.MaxFactor))])).ToList();
        return new ArithProblem(terms);
    }

    /// <summary><paramref name="count"/> distinct problems from one seed in the requested split part (split on the expression text).</summary>
    public static IReadOnlyList<ArithProblem> Generate(ArithConfig config, ulong seed, int count, SplitPart part = SplitPart.All)
    {
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new SeededRandom(seed);
        var seen = new HashSet<string>();
        var problems = new List<ArithProblem>(count);
        var maxDraws = 100L * count + 10_000;
        for (long draws = 0; problems.Count < count; draws++)
        {
            if (draws >= maxDraws)
                throw new ArgumentException($"Only {problems.Count} distinct {part} arith problems after {maxDraws} draws, {count} requested; widen the factor range.");
            var p = Next(config, random);
            if (ProblemSplit.InPart(p.Expression, part, config.HeldOutFraction) && seen.Add(p.Expression))
                problems.Add(p);
        }
        return problems;
    }
}

/// <summary>
/// Multi-step arithmetic: gold is an integer; the answer is the integer in the last \boxed{}.
/// SolutionKey is the sequence of the worked solution's steps (see <see cref="StepKey"/>).
/// </summary>
/// <param name="formulas">
/// The formula extractor (spec §6 default: Dsdr.Core.Formulas.DefaultFormulaExtractor), asked for
/// only when <see cref="Formulas"/> is first used.
/// </param>
public sealed partial class ArithTask(Func<IFormulaExtractor> formulas) : IReasoningTask
{
    public const string TaskName = "arith";

    private readonly Lazy<IFormulaExtractor> _formulas = new(formulas);

    public string Name => TaskName;
    public IFormulaExtractor Formulas => _formulas.Value;

    public Verdict Verify(string response, string gold)
    {
        var expected = ParseGold(gold);
        var boxed = MathAnswer.LastBoxed(response);
        return new Verdict(boxed is not null && ReadInteger(boxed) is { } value && value == expected, boxed);
    }

    public string? SolutionKey(string response, string gold) =>
        Verify(response, gold).Correct ? StepKey(response) : null;

    /// <summary>The task does not enumerate its solution orders.</summary>
    public int? CountSolutions(string gold) => null;

    private static BigInteger ParseGold(string gold) =>
        ReadInteger(gold) ?? throw new ArgumentException($"Arith gold \"{gold}\" is not an integer; expected e.g. \"28\".", nameof(gold));

    /// <summary>An integer written with an optional sign, spaces, $ and thousands separators ("1,234", "1{,}234"); else null.</summary>
    public static BigInteger? ReadInteger(string? text)
    {
        if (text is null) return null;
        var s = text.Replace("{,}", "").Replace("\\,", "").Replace("\\!", "").Replace("$", "").Replace('−', '-').Trim().TrimEnd('.').Trim();
        if (Regex.IsMatch(s, @"^[+-]?\d{1,3}(,\d{3})+$")) s = s.Replace(",", "");
        s = s.Replace(" ", "");
        if (s.Length is 0 or > 400 || !Regex.IsMatch(s, @"^[+-]?\d+$")) return null;
        return BigInteger.Parse(s, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(?<![\w.)+\-*/×·][ \t]*)(-?\d+(?:\s*(?:[+\-*×·x]|\\times|\\cdot)\s*\d+)+)\s*=\s*(-?\d+)")]
    private static partial Regex StepPattern();

    [GeneratedRegex(@"\\times|\\cdot|[×·x]")]
    private static partial Regex TimesSymbols();

    /// <summary>
    /// The order of the intermediate steps: every equation "a op b [op c …] = n" in the response, in
    /// order of appearance, joined by ";". Inside one step, operands of a pure sum or a pure product
    /// are sorted (3*4 and 4*3 are the same step); mixed steps keep their written order. So two
    /// responses share a key exactly when they did the same steps in the same order. A response
    /// with no steps has the empty key.
    /// </summary>
    public static string StepKey(string response)
    {
        var steps = new List<string>();
        foreach (Match m in StepPattern().Matches(response))
        {
            var lhs = TimesSymbols().Replace(m.Groups[1].Value, "*").Replace(" ", "");
            var operands = Regex.Split(lhs, @"[+\-*]");
            var ops = Regex.Matches(lhs, @"[+\-*]").Select(o => o.Value).Distinct().ToList();
            if (ops is ["+"] or ["*"] && !lhs.StartsWith('-'))
                lhs = string.Join(ops[0], operands.OrderBy(o => BigInteger.Parse(o, CultureInfo.InvariantCulture)));
            steps.Add($"{lhs}={m.Groups[2].Value}");
        }
        return string.Join(';', steps);
    }
}
