using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Sft;

namespace Dsdr.Learning.Data;

/// <summary>
/// The Learning half of a task family (<see cref="TaskFamily"/>, registered in Core under the same name): the problems
/// a trial trains and is evaluated on, generated from the spec or read from its files, and the SFT warm start's examples.
/// </summary>
public interface ITaskSource : IRegistered
{
    /// <summary>The prompt style used when none is asked for (the SFT warm start's, and its cache key's).</summary>
    PromptStyle DefaultStyle { get; }

    /// <summary>The prompt style of a policy: the compact prompt for a char-tokenizer preset where the family has one, else verbose.</summary>
    PromptStyle StyleFor(bool characterTokens);

    /// <summary>The verifier, the training problems and one held-out set per benchmark.</summary>
    TaskData Load(TaskSpec spec, PromptStyle style);

    /// <summary><paramref name="count"/> generated problems of one split; a family whose problems are in files throws NotSupportedException.</summary>
    IReadOnlyList<Problem> Problems(TaskSpec task, SplitPart part, int count, PromptStyle style);

    /// <summary>Draws SFT examples (a prompt and one correct response) from the training problems; files-only families throw NotSupportedException.</summary>
    Func<SeededRandom, SftExample> ExampleSource(TaskSpec task, PromptStyle style);
}

/// <summary>The registered task sources, found in Learning; TaskSourcesTests checks there is one per Core family.</summary>
public static class TaskSources
{
    private static readonly Lazy<Registry<ITaskSource>> registry =
        new(() => Registry<ITaskSource>.Discover("task source", typeof(TaskSources).Assembly));

    public static Registry<ITaskSource> Registry => registry.Value;

    /// <summary>The source of a task kind; a family declared in Core without a source here throws naming both.</summary>
    public static ITaskSource Of(TaskKind kind) => Registry.TryGet(kind.Name, out var source)
        ? source
        : throw new ArgumentException($"task kind \"{kind.Name}\" has no problem source in Dsdr.Learning; register an ITaskSource named \"{kind.Name}\" (known: {string.Join(", ", Registry.Names)})");

    /// <summary>For a family without generated problems: what to do instead.</summary>
    public static NotSupportedException NotGenerated(string name) =>
        new($"Task kind {name} has no generated problems or solutions: the SFT warm start and held-out generation cover " +
            $"{string.Join(" and ", TaskFamilies.Registry.All.Where(f => f.Generated).Select(f => f.Name))}; " +
            "start math runs from a pretrained checkpoint (model.checkpoint) instead.");
}
