using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tasks;

/// <summary>One problem of a task. <see cref="Gold"/> is everything the verifier needs, as text.</summary>
public sealed record Problem(string Dataset, string Id, string Prompt, string Gold);

/// <summary>A verifier's verdict: binary reward plus what it read from the response.</summary>
public sealed record Verdict(bool Correct, string? Extracted);

/// <summary>A reasoning task with a verifiable binary reward.</summary>
public interface IReasoningTask
{
    /// <summary>"countdown", "arith" or "math".</summary>
    string Name { get; }

    /// <summary>r(o) ∈ {0,1}. Garbage gives Correct = false, never an exception.</summary>
    Verdict Verify(string response, string gold);

    /// <summary>The formula extractor D_eq uses for this task (Countdown: canonical solution keys).</summary>
    IFormulaExtractor Formulas { get; }

    /// <summary>A key equal for two correct answers that are the same solution (for "distinct correct"); null when incorrect.</summary>
    string? SolutionKey(string response, string gold);

    /// <summary>How many distinct correct solutions exist, when the task knows (Countdown's solver); else null.</summary>
    int? CountSolutions(string gold);
}
