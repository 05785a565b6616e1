using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;

namespace Dsdr.Learning.Data;

/// <summary>
/// A task's problems as one trial sees them: the verifier, the training problems, and one held-out set per
/// benchmark. Countdown and arith generate both splits from <see cref="TaskSpec.DataSeed"/> (train and held-out
/// never share a problem, see <see cref="ProblemSplit"/>); math reads its JSONL files.
/// </summary>
public sealed record TaskData(
    IReasoningTask Task,
    TaskKind Kind,
    PromptStyle Style,
    IReadOnlyList<Problem> Train,
    IReadOnlyDictionary<string, IReadOnlyList<Problem>> HeldOut)
{
    /// <summary>Every character of printable ASCII plus newline: the char-tokenizer alphabet of verbose prompts (arith, math).</summary>
    public const string PrintableAlphabet =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n";

    /// <summary>
    /// The characters a char-level policy needs for a task: Countdown's compact alphabet, else printable ASCII.
    /// </summary>
    public static string CharAlphabet(TaskKind kind) => kind == TaskKind.Countdown ? CountdownProblem.CompactAlphabet : PrintableAlphabet;

    /// <summary>
    /// Builds the problems of <paramref name="spec"/>. <paramref name="style"/>: Compact for char-tokenizer presets
    /// (Countdown only; arith and math prompts are always verbose).
    /// </summary>
    public static TaskData Create(TaskSpec spec, PromptStyle style = PromptStyle.Compact)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind switch
        {
            TaskKind.Countdown => Countdown(spec, style),
            TaskKind.Arith => Arith(spec),
            TaskKind.Math => Math(spec),
            _ => throw new ArgumentException($"Unknown task kind {spec.Kind}; use countdown, arith or math.", nameof(spec)),
        };
    }

    /// <summary>The Countdown generator settings a <see cref="TaskSpec"/> describes.</summary>
    public static CountdownConfig CountdownConfigOf(TaskSpec spec) => new(
        Count: spec.Numbers, MinNumber: spec.NumberRange.Min, MaxNumber: spec.NumberRange.Max,
        MinTarget: spec.TargetRange.Min, MaxTarget: spec.TargetRange.Max);

    /// <summary>The arith generator settings: <see cref="TaskSpec.Operands"/> products of two factors from the number range.</summary>
    public static ArithConfig ArithConfigOf(TaskSpec spec) => new(
        Terms: spec.Operands, FactorsPerTerm: 2, MinFactor: spec.NumberRange.Min, MaxFactor: spec.NumberRange.Max);

    private static TaskData Countdown(TaskSpec spec, PromptStyle style)
    {
        var config = CountdownConfigOf(spec);
        var seed = (ulong)spec.DataSeed;
        var train = CountdownGenerator.Generate(config, seed, spec.TrainSize, SplitPart.Train).Select(p => p.ToProblem(style)).ToList();
        var heldOut = CountdownGenerator.Generate(config, seed, spec.HeldOutSize, SplitPart.HeldOut).Select(p => p.ToProblem(style)).ToList();
        var name = SweepSpecWriter.KindName(TaskKind.Countdown);
        return new TaskData(TaskCatalog.Get(name), TaskKind.Countdown, style, train, new Dictionary<string, IReadOnlyList<Problem>> { [name] = heldOut });
    }

    private static TaskData Arith(TaskSpec spec)
    {
        var config = ArithConfigOf(spec);
        var seed = (ulong)spec.DataSeed;
        var train = ArithGenerator.Generate(config, seed, spec.TrainSize, SplitPart.Train).Select(p => p.ToProblem()).ToList();
        var heldOut = ArithGenerator.Generate(config, seed, spec.HeldOutSize, SplitPart.HeldOut).Select(p => p.ToProblem()).ToList();
        var name = SweepSpecWriter.KindName(TaskKind.Arith);
        return new TaskData(TaskCatalog.Get(name), TaskKind.Arith, PromptStyle.Verbose, train, new Dictionary<string, IReadOnlyList<Problem>> { [name] = heldOut });
    }

    private static TaskData Math(TaskSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.TrainPath))
            throw new ArgumentException("A math task needs trainPath: a JSONL file of training problems.", nameof(spec));
        var train = BenchmarkLoader.Load(spec.TrainPath, "train");
        var heldOut = spec.Benchmarks.ToDictionary(b => b.Name, b => BenchmarkLoader.Load(b.Path, b.Name), StringComparer.Ordinal);
        return new TaskData(TaskCatalog.Get(SweepSpecWriter.KindName(TaskKind.Math)), TaskKind.Math, PromptStyle.Verbose, train,
            heldOut.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }

}
