using System.Numerics;

namespace Dsdr.Core.Tasks;

/// <summary>One solution up to commutativity and associativity, with every tree that writes it.</summary>
/// <param name="Key">The canonical key (<see cref="CountdownExpression.CanonicalKey"/>).</param>
/// <param name="Writings">Every distinct expression tree with this key that is valid under the problem's rule.</param>
public sealed record CountdownSolution(string Key, IReadOnlyList<CountdownExpression> Writings)
{
    /// <summary>A representative writing (the first in text order).</summary>
    public CountdownExpression Expression => Writings[0];
}

/// <summary>Exhaustive search over every expression tree of a Countdown problem.</summary>
public static class CountdownSolver
{
    /// <summary>
    /// Every distinct expression tree that uses each number exactly once, obeys the problem's
    /// integer-intermediates rule (division by zero is never allowed) and evaluates to the target.
    /// Trees that differ only by commutation or regrouping are all listed; <see cref="Solve"/> groups them.
    /// </summary>
    public static IReadOnlyList<CountdownExpression> AllExpressions(CountdownProblem problem)
    {
        var target = Rational.FromInteger(problem.Target);
        var found = new Dictionary<string, CountdownExpression>();
        var items = problem.Numbers
            .Select(n => (Value: Rational.FromInteger(n), Expr: (CountdownExpression)new CountdownExpression.Number(n)))
            .ToList();
        Search(items, problem.IntegerIntermediates, (value, expr) =>
        {
            if (value == target) found.TryAdd(expr.ToString(), expr);
        });
        return [.. found.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value)];
    }

    /// <summary>All distinct solutions up to commutativity and associativity, ordered by key.</summary>
    public static IReadOnlyList<CountdownSolution> Solve(CountdownProblem problem) =>
        [.. AllExpressions(problem)
            .GroupBy(e => e.CanonicalKey())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CountdownSolution(g.Key, [.. g]))];

    /// <summary>How many distinct correct modes the problem has.</summary>
    public static int CountSolutions(CountdownProblem problem) => Solve(problem).Count;

    /// <summary>Every integer value some valid expression over all the numbers reaches.</summary>
    public static IReadOnlySet<BigInteger> ReachableIntegers(IReadOnlyList<int> numbers, bool integerIntermediates) =>
        ReachableIntegerCounts(numbers, integerIntermediates).Keys.ToHashSet();

    /// <summary>
    /// Each reachable integer with the number of combination sequences (pick two items, apply an
    /// operator; + and × taken in one operand order) that end at it: a weight that grows with how
    /// many ways the value can be written.
    /// </summary>
    public static IReadOnlyDictionary<BigInteger, long> ReachableIntegerCounts(IReadOnlyList<int> numbers, bool integerIntermediates)
    {
        if (numbers.Count is < CountdownProblem.MinCount or > CountdownProblem.MaxCount)
            throw new ArgumentException($"Expected {CountdownProblem.MinCount} to {CountdownProblem.MaxCount} numbers, got {numbers.Count}.", nameof(numbers));
        var reached = new Dictionary<BigInteger, long>();
        SearchValues([.. numbers.Select(n => Rational.FromInteger(n))], integerIntermediates, reached);
        return reached;
    }

    // Combines every pair of items with every operator (both operand orders), recursively, until one is left.
    private static void Search(List<(Rational Value, CountdownExpression Expr)> items, bool integerOnly,
        Action<Rational, CountdownExpression> onComplete)
    {
        if (items.Count == 1) { onComplete(items[0].Value, items[0].Expr); return; }
        for (var i = 0; i < items.Count; i++)
        for (var j = 0; j < items.Count; j++)
        {
            if (i == j) continue;
            var (a, b) = (items[i], items[j]);
            var rest = items.Where((_, k) => k != i && k != j).ToList();
            foreach (var op in "+-*/")
            {
                var value = Combine(a.Value, b.Value, op);
                if (value is not { } v || (integerOnly && !v.IsInteger)) continue;
                rest.Add((v, new CountdownExpression.Binary(op, a.Expr, b.Expr)));
                Search(rest, integerOnly, onComplete);
                rest.RemoveAt(rest.Count - 1);
            }
        }
    }

    private static void SearchValues(List<Rational> items, bool integerOnly, Dictionary<BigInteger, long> reached)
    {
        if (items.Count == 1)
        {
            if (items[0].IsInteger) reached[items[0].Numerator] = reached.GetValueOrDefault(items[0].Numerator) + 1;
            return;
        }
        for (var i = 0; i < items.Count; i++)
        for (var j = 0; j < items.Count; j++)
        {
            // + and × are symmetric: one operand order suffices for values.
            if (i == j) continue;
            var rest = items.Where((_, k) => k != i && k != j).ToList();
            foreach (var op in "+-*/")
            {
                if (op is '+' or '*' && j < i) continue;
                var value = Combine(items[i], items[j], op);
                if (value is not { } v || (integerOnly && !v.IsInteger)) continue;
                rest.Add(v);
                SearchValues(rest, integerOnly, reached);
                rest.RemoveAt(rest.Count - 1);
            }
        }
    }

    private static Rational? Combine(Rational a, Rational b, char op) => op switch
    {
        '+' => a + b,
        '-' => a - b,
        '*' => a * b,
        _ => Rational.Divide(a, b),
    };
}
