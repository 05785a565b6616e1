namespace Dsdr.Learning.Evaluation;

// The records agreed with the sft-eval branch (which owns this folder); this file gives way to theirs on merge.

/// <summary>One evaluation number: e.g. (countdown, avg, 16, 0.41) or (countdown, pass, 4, 0.7).</summary>
public sealed record EvalFigure(string Benchmark, string Metric, int? K, double Value);

/// <summary>An evaluation of the policy at a training step.</summary>
public sealed record EvalReport(int Step, IReadOnlyList<EvalFigure> Figures, double Seconds);
