using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tasks;

/// <summary>
/// Math benchmarks (MATH500, AIME, …): the gold is the reference answer ("\frac{1}{2}", "(1, 2)");
/// a response is correct when its stated answer (<see cref="MathAnswer.Extract"/>) is
/// <see cref="MathAnswer.Equivalent"/> to it.
/// </summary>
/// <param name="formulas">
/// The formula extractor (spec §6 default: Dsdr.Core.Formulas.DefaultFormulaExtractor), asked for
/// only when <see cref="Formulas"/> or <see cref="SolutionKey"/> is first used.
/// </param>
public sealed class MathTask(Func<IFormulaExtractor> formulas) : IReasoningTask
{
    public const string TaskName = "math";

    private readonly Lazy<IFormulaExtractor> _formulas = new(formulas);

    public string Name => TaskName;
    public IFormulaExtractor Formulas => _formulas.Value;

    /// <summary>Extracted = the stated answer as written; a gold given as a whole solution is read by its last \boxed{}.</summary>
    public Verdict Verify(string response, string gold)
    {
        var answer = MathAnswer.Extract(response);
        var reference = MathAnswer.LastBoxed(gold) ?? gold;
        return new Verdict(answer is not null && MathAnswer.Equivalent(answer, reference), answer);
    }

    /// <summary>
    /// All correct responses share the answer, so a solution is told apart by its reasoning: the
    /// key is the response's sorted formula set S(o), one formula per line.
    /// </summary>
    public string? SolutionKey(string response, string gold) =>
        Verify(response, gold).Correct ? string.Join('\n', Formulas.Extract(response).Order(StringComparer.Ordinal)) : null;

    /// <summary>Unknown for free-form math.</summary>
    public int? CountSolutions(string gold) => null;
}
