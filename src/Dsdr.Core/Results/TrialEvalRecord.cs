namespace Dsdr.Core.Results;

/// <summary>One evaluation figure of one trial: the input of a sweep's result table.</summary>
/// <param name="Row">The table row this trial belongs to: its arm plus grid point, e.g. "dsdr λd=0.01".</param>
/// <param name="K">k for pass@k / Avg@k figures; null otherwise.</param>
public sealed record TrialEvalRecord(
    string TrialId, string Arm, string Row, int Seed, int Step, string Benchmark, string Metric, int? K, double Value);
