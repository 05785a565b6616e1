using System.Collections.Concurrent;
using Dsdr.Core.Tasks;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// How many distinct problems a synthetic task can make in each split, so a spec asking for more (trainSize,
/// heldOutSize) is refused at submission instead of failing in the generator. Small problem spaces are enumerated
/// (an exact count, or for Countdown with minSolutions &gt; 1 an upper bound); large ones get a cheap upper bound. The
/// check only refuses what cannot be made; a request just under the space may still exhaust the generator's random
/// draws, which then fails the trial with the generator's message.
/// </summary>
public static class TaskCapacity
{
    /// <summary>Distinct problems available: per split when <see cref="Exact"/> (enumerated), else an upper bound on both together.</summary>
    public sealed record Capacity(double Train, double HeldOut, double Total, bool Exact);

    /// <summary>Work budget of an enumeration, in 3-number search trees (a 4-number tree costs about 40).</summary>
    public const int EnumerationBudget = 5000;
    /// <summary>Largest arith problem space enumerated.</summary>
    public const int MaxEnumeratedArith = 50_000;

    private static readonly double HeldOutFraction = new CountdownConfig().HeldOutFraction;
    private static readonly double ArithHeldOutFraction = new ArithConfig().HeldOutFraction;
    private static readonly ConcurrentDictionary<string, Capacity> Cache = new(StringComparer.Ordinal);

    /// <summary>The task's capacity, its family's; null for a family whose problems are in files (math).</summary>
    public static Capacity? Of(TaskSpec task) => task.Kind.Family.Capacity(task);

    /// <summary>The spec paths (trainSize, heldOutSize) asking for more problems than the task has, with the reason.</summary>
    public static IEnumerable<(string Path, string Reason)> Problems(TaskSpec task)
    {
        if (Of(task) is not { } capacity) yield break;
        var family = task.Kind.Family;
        var space = family.SpaceDescription(task);
        if (capacity.Exact)
        {
            if (task.TrainSize > capacity.Train)
                yield return ("$.task.trainSize", $"the task has only {capacity.Train:0} distinct training problems ({space}), {task.TrainSize} requested; " +
                    $"lower trainSize to at most {capacity.Train:0}, or widen {family.WidenedBy}");
            if (task.HeldOutSize > capacity.HeldOut)
                yield return ("$.task.heldOutSize", $"the task has only {capacity.HeldOut:0} distinct held-out problems ({space}), {task.HeldOutSize} requested; " +
                    $"lower heldOutSize to at most {capacity.HeldOut:0}, or widen {family.WidenedBy}");
        }
        else if ((double)task.TrainSize + task.HeldOutSize > capacity.Total)
            yield return ("$.task.trainSize", $"the task has at most {capacity.Total:0} distinct problems ({space}), trainSize + heldOutSize = " +
                $"{(long)task.TrainSize + task.HeldOutSize} requested; lower them, or widen numberRange");
    }

    /// <summary>A family's capacity, computed once per <paramref name="key"/> (its settings that decide it).</summary>
    internal static Capacity Cached(string key, Func<Capacity> compute)
    {
        if (Cache.TryGetValue(key, out var known)) return known;
        if (Cache.Count > 256) Cache.Clear();
        return Cache[key] = compute();
    }

    // multisets of n numbers from a range of R values: C(R + n − 1, n)
    public static double NumberSets(int n, int range)
    {
        var count = 1.0;
        for (var i = 1; i <= n; i++) count = count * (range + i - 1) / i;
        return count;
    }

    internal static Capacity Countdown(TaskSpec task)
    {
        var range = task.NumberRange.Max - task.NumberRange.Min + 1;
        var sets = NumberSets(task.Numbers, range);
        var targets = (double)task.TargetRange.Max - task.TargetRange.Min + 1;
        if (sets * (task.Numbers == 3 ? 1 : 40) > EnumerationBudget)
            return new Capacity(double.PositiveInfinity, double.PositiveInfinity, sets * targets, Exact: false);
        double train = 0, heldOut = 0;
        foreach (var numbers in Multisets(task.Numbers, task.NumberRange.Min, task.NumberRange.Max))
        {
            foreach (var (value, ways) in CountdownSolver.ReachableIntegerCounts(numbers, integerIntermediates: true))
            {
                // a value reached by fewer combination sequences than minSolutions has fewer distinct solutions
                if (value < task.TargetRange.Min || value > task.TargetRange.Max || ways < task.MinSolutions) continue;
                var identity = new CountdownProblem(numbers, (int)value).Identity;
                if (ProblemSplit.IsHeldOut(identity, HeldOutFraction)) heldOut++;
                else train++;
            }
        }
        return new Capacity(train, heldOut, train + heldOut, Exact: true);
    }

    internal static Capacity Arith(TaskSpec task)
    {
        // expressions = R^(2·terms) factor choices · 2^(terms − 1) signs (the first term is added)
        var range = task.NumberRange.Max - task.NumberRange.Min + 1;
        var space = Math.Pow(range, 2 * task.Operands) * Math.Pow(2, task.Operands - 1);
        if (space > MaxEnumeratedArith) return new Capacity(double.PositiveInfinity, double.PositiveInfinity, space, Exact: false);
        double train = 0, heldOut = 0;
        var factors = new int[2 * task.Operands];
        for (long index = 0; index < (long)space; index++)
        {
            var rest = index;
            for (var f = 0; f < factors.Length; f++, rest /= range) factors[f] = task.NumberRange.Min + (int)(rest % range);
            var terms = Enumerable.Range(0, task.Operands)
                .Select(t => new ArithTerm(t > 0 && ((rest >> (t - 1)) & 1) == 1, [factors[2 * t], factors[2 * t + 1]])).ToList();
            if (ProblemSplit.IsHeldOut(new ArithProblem(terms).Expression, ArithHeldOutFraction)) heldOut++;
            else train++;
        }
        return new Capacity(train, heldOut, train + heldOut, Exact: true);
    }

    private static IEnumerable<int[]> Multisets(int n, int min, int max)
    {
        var current = Enumerable.Repeat(min, n).ToArray();
        while (true)
        {
            yield return [.. current];
            var i = n - 1;
            while (i >= 0 && current[i] == max) i--;
            if (i < 0) yield break;
            current[i]++;
            for (var j = i + 1; j < n; j++) current[j] = current[i];
        }
    }
}
