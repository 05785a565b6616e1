namespace Dsdr.Core.Formulas;

/// <summary>S(o): the set of normalised formulas of one response (spec §1 formula part, §6).</summary>
public interface IFormulaExtractor
{
    IReadOnlySet<string> Extract(string response);
}
