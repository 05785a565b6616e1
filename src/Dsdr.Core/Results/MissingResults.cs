namespace Dsdr.Core.Results;

/// <summary>Trials of one row that gave the table nothing, with their status and (when failed) the cause: "dsdr: 3 trials failed (training diverged)".</summary>
public sealed record MissingResult(string Row, int Trials, string Status, string? Cause)
{
    public string Text => $"{Row}: {Trials} trial{(Trials == 1 ? "" : "s")} {Status}{(Cause is null ? "" : $" ({Cause})")}";
}

/// <summary>A trial of the sweep as the missing-rows note sees it: its row, status word and public error.</summary>
public sealed record TrialResultState(string TrialId, string Row, string Status, string? Error);

public static class MissingResults
{
    private const int MaxCause = 80;

    /// <summary>
    /// The trials with no figure among <paramref name="contributing"/>, grouped by row, status and cause, in the trials' order:
    /// why a row is missing or has fewer seeds than the sweep asked for.
    /// </summary>
    public static IReadOnlyList<MissingResult> Of(IEnumerable<TrialResultState> trials, IEnumerable<string> contributing)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var present = contributing.ToHashSet(StringComparer.Ordinal);
        return [.. trials.Where(t => !present.Contains(t.TrialId))
            .Select(t => (t.Row, Status: StatusText(t.Status), Cause: t.Status is "failed" or "stopped" ? CauseOf(t.Error) : null))
            .GroupBy(t => t)
            .Select(g => new MissingResult(g.Key.Row, g.Count(), g.Key.Status, g.Key.Cause))];
    }

    /// <summary>How the note words a status: a stopped trial was "stopped early" (its figures are not a full run's).</summary>
    private static string StatusText(string status) => status switch
    {
        "completed" => "completed without an evaluation",
        "stopped" => "stopped early",
        _ => status,
    };

    /// <summary>The error's first clause ("Training diverged: the loss …" → "training diverged"), at most 80 characters.</summary>
    public static string? CauseOf(string? error)
    {
        if (string.IsNullOrWhiteSpace(error)) return null;
        var end = error.IndexOfAny([':', ';', '\n']);
        var clause = (end > 0 ? error[..end] : error).Trim().TrimEnd('.');
        if (clause.Length > MaxCause) clause = clause[..MaxCause] + "…";
        // a sentence's capital goes ("Training diverged" → "training diverged"), a name's stays ("SimulatedDeviceException")
        var firstWord = clause.Split(' ', 2)[0];
        return firstWord.Skip(1).Any(char.IsUpper) ? clause : char.ToLowerInvariant(clause[0]) + clause[1..];
    }
}
