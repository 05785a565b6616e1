using System.Globalization;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Reports;

/// <summary>A sweep spec in one line for a report's header: task, model, RL settings, grid, evaluation.</summary>
public static class SpecSummary
{
    public static string Of(SweepSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return string.Join("; ", Task(spec.Task), Model(spec.Model), Training(spec), Grid(spec), Evaluation(spec.Eval));
    }

    private static string Task(TaskSpec t) => t.Kind.Family.Summary(t);

    private static string Model(ModelSpec m) =>
        (m.Preset is { } preset ? $"model preset {preset}" : $"model {m.Checkpoint}") + (m.Sft.Enabled ? $" with an SFT warm start of {m.Sft.Steps} steps" : ", no SFT");

    private static string Training(SweepSpec spec)
    {
        var c = HyperParameters.Apply(TrainingConfig.Default, spec.Base);
        return $"{c.TotalSteps} RL steps of {c.PromptsPerStep} prompts × {c.GroupSize} rollouts, lr {N(c.LearningRate)}, " +
               $"λd {N(c.LambdaD)}, λℓ {N(c.LambdaL)}, τ {N(c.Tau)} (before each arm's own settings)";
    }

    private static string Grid(SweepSpec spec) => spec.Grid.Count == 0
        ? "no grid"
        : "grid " + string.Join(" × ", spec.Grid.Select(a =>
        {
            var p = HyperParameters.Get(a.Key);
            return $"{p.Label} ∈ {{{string.Join(", ", a.Values.Select(p.Format))}}}";
        }));

    private static string Evaluation(EvalSpec e) =>
        $"evaluation every {e.EverySteps} steps{(e.AtStart ? " and at step 0" : "")}: Pass@1 at T {N(e.Pass1Temperature)}, Avg@{e.AvgK} and pass@k " +
        $"from {e.PassKSamples} samples at T {N(e.AvgTemperature)}, top-p {N(e.TopP)}" +
        (e.DiversitySamples > 0 ? $", diversity from {e.DiversitySamples} samples at T {N(e.DiversityTemperature)}" : "");

    private static string N(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
