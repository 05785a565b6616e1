namespace Dsdr.Core.Sweeps;

/// <summary>One problem in a sweep spec: where (a JSON path like "$.grid.lambdaD[2]") and how to fix it.</summary>
public sealed record SpecError(string Path, string Reason)
{
    /// <summary>One line: "path: reason".</summary>
    public override string ToString() => $"{Path}: {Reason}";
}

/// <summary>The outcome of parsing a spec: the spec when valid, otherwise every error found.</summary>
public sealed record SweepParseResult(SweepSpec? Spec, IReadOnlyList<SpecError> Errors)
{
    public bool IsValid => Spec is not null && Errors.Count == 0;

    /// <summary>The spec, or a <see cref="SweepSpecException"/> carrying every error.</summary>
    public SweepSpec GetSpecOrThrow() => IsValid ? Spec! : throw new SweepSpecException(Errors);
}

/// <summary>A sweep spec failed validation; <see cref="Exception.Message"/> has one "path: reason" line per error.</summary>
public sealed class SweepSpecException(IReadOnlyList<SpecError> errors)
    : Exception(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    public IReadOnlyList<SpecError> Errors { get; } = errors;
}

/// <summary>Limits of the parser that are the server's, not the spec's.</summary>
/// <param name="MaxTrialsCeiling">Largest value a spec may give <c>maxTrials</c>.</param>
public sealed record SweepSpecParserOptions(int MaxTrialsCeiling = 100_000)
{
    public static SweepSpecParserOptions Default { get; } = new();

    /// <summary>What one trial may cost here (<see cref="SpecLimitOptions"/>, checked against <see cref="TrialCostEstimate"/>).</summary>
    public SpecLimitOptions Limits { get; init; } = SpecLimitOptions.Default;

    /// <summary>Folders a spec's files must lie in (<see cref="SpecPaths"/>); null = anywhere (the CLI's offline commands).</summary>
    public IReadOnlyList<string>? DataRoots { get; init; }
}
