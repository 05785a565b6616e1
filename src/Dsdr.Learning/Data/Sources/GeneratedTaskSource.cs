using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Sft;

namespace Dsdr.Learning.Data.Sources;

/// <summary>
/// A family whose problems are generated from <see cref="TaskSpec.DataSeed"/>: <see cref="TaskSpec.TrainSize"/> training
/// and <see cref="TaskSpec.HeldOutSize"/> held-out problems (never the same one, see <see cref="ProblemSplit"/>), the
/// held-out set named after the family.
/// </summary>
public abstract class GeneratedTaskSource : ITaskSource
{
    public abstract string Name { get; }
    public abstract string Description { get; }
    public abstract PromptStyle DefaultStyle { get; }
    public abstract PromptStyle StyleFor(bool characterTokens);
    public abstract IReadOnlyList<Problem> Problems(TaskSpec task, SplitPart part, int count, PromptStyle style);
    public abstract Func<SeededRandom, SftExample> ExampleSource(TaskSpec task, PromptStyle style);

    public virtual TaskData Load(TaskSpec spec, PromptStyle style) =>
        new(TaskCatalog.Get(Name), spec.Kind, style, Problems(spec, SplitPart.Train, spec.TrainSize, style),
            new Dictionary<string, IReadOnlyList<Problem>> { [Name] = Problems(spec, SplitPart.HeldOut, spec.HeldOutSize, style) });
}
