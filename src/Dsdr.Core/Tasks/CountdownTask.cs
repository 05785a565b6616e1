using System.Collections.Concurrent;
using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tasks;

/// <summary>
/// Countdown: the gold is <see cref="CountdownProblem.Gold"/> ("3 5 8 -> 64"); the response's final
/// expression (last \boxed{}, else the line after the last "Answer:", else the last non-empty line)
/// must use every number exactly once and equal the target exactly, obeying the integer rule.
/// </summary>
public sealed class CountdownTask : IReasoningTask
{
    public const string TaskName = "countdown";

    private readonly ConcurrentDictionary<string, int> _solutionCounts = new();

    public string Name => TaskName;

    /// <summary>S(o) = {canonical key of the final expression}: rewrites of one solution are one formula.</summary>
    public IFormulaExtractor Formulas { get; } = new CanonicalKeyExtractor();

    public Verdict Verify(string response, string gold)
    {
        var problem = CountdownProblem.Parse(gold);
        var read = CountdownAnswer.Read(response);
        return new Verdict(read.Expression is { } e && IsSolution(e, problem), read.Text);
    }

    /// <summary>Each number used exactly once and value = target (with exact divisions when the rule asks).</summary>
    public static bool IsSolution(CountdownExpression expression, CountdownProblem problem)
    {
        var leaves = expression.Leaves().Order().ToList();
        var numbers = problem.Numbers.Order().Select(n => (System.Numerics.BigInteger)n).ToList();
        return leaves.SequenceEqual(numbers)
            && expression.Evaluate(problem.IntegerIntermediates) is { } value
            && value == Rational.FromInteger(problem.Target);
    }

    public string? SolutionKey(string response, string gold)
    {
        var problem = CountdownProblem.Parse(gold);
        return CountdownAnswer.Read(response).Expression is { } e && IsSolution(e, problem) ? e.CanonicalKey() : null;
    }

    public int? CountSolutions(string gold) =>
        _solutionCounts.GetOrAdd(CountdownProblem.Parse(gold).Gold, g => CountdownSolver.CountSolutions(CountdownProblem.Parse(g)));

    private sealed class CanonicalKeyExtractor : IFormulaExtractor
    {
        public IReadOnlySet<string> Extract(string response) =>
            CountdownAnswer.Read(response).Expression is { } e ? new HashSet<string> { e.CanonicalKey() } : new HashSet<string>();
    }
}

/// <summary>Finds the final expression of a Countdown response.</summary>
public static class CountdownAnswer
{
    /// <param name="Text">The answer text that was read (normalised expression when it parsed), null when none.</param>
    /// <param name="Expression">The parsed expression, null when the text is not a valid expression.</param>
    public sealed record Reading(string? Text, CountdownExpression? Expression);

    /// <summary>
    /// Candidate text: the last \boxed{…}/\fbox{…}; else the rest of the line after the last
    /// "Answer:" or "answer is"; else the last non-empty line (after its last ':', if any, so an
    /// echoed compact prompt "3 5 8=64:(5+3)*8" reads as its answer). Surrounding $ and \( \) and a final period are
    /// dropped. An equation "e = 64" (or "64 = e") is read as its side with the most numbers; every
    /// side must parse and all must be equal.
    /// </summary>
    public static Reading Read(string? response)
    {
        if (string.IsNullOrWhiteSpace(response)) return new Reading(null, null);
        var candidate = Candidate(response);
        if (candidate is null) return new Reading(null, null);
        var sides = candidate.Split('=');
        var parsed = new List<CountdownExpression>();
        foreach (var side in sides)
        {
            if (!CountdownExpression.TryParse(side, out var e)) return new Reading(candidate, null);
            parsed.Add(e);
        }
        var chosen = parsed.OrderByDescending(e => e.Leaves().Count).First();
        var value = chosen.Evaluate();
        if (parsed.Any(e => e.Evaluate() is not { } v || v != value)) return new Reading(candidate, null);
        return new Reading(chosen.ToString(), chosen);
    }

    private static string? Candidate(string response)
    {
        string text;
        if (MathAnswer.LastBoxed(response) is { } boxed)
            text = boxed;
        else if (MathAnswer.AnswerIsPattern().Matches(response) is { Count: > 0 } said)
        {
            var rest = response[(said[^1].Index + said[^1].Length)..].TrimStart();
            var end = rest.IndexOf('\n');
            text = end >= 0 ? rest[..end] : rest;
        }
        else
        {
            text = response.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "";
            // A compact prompt echoed with its answer, "3 5 8=64:(5+3)*8": the answer follows the ':'.
            var colon = text.LastIndexOf(CountdownProblem.CompactAnswerSeparator);
            if (colon >= 0) text = text[(colon + 1)..];
        }
        text = text.Trim().TrimEnd('.').Trim();
        foreach (var (open, close) in new[] { ("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]") })
        {
            if (text.Length >= open.Length + close.Length && text.StartsWith(open, StringComparison.Ordinal) && text.EndsWith(close, StringComparison.Ordinal))
                text = text[open.Length..^close.Length].Trim().TrimEnd('.').Trim();
        }
        return text.Length == 0 ? null : text;
    }
}
