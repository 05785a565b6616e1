using System.Text.Json;
using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tasks;

/// <summary>
/// A task family a sweep trains on ("countdown", "arith", "math"): its spec settings (read with their validation, and
/// written back), its verifier, the benchmarks it offers, its one-line summary and the figures the submission checks
/// and the cost estimate need. One registered item (a <see cref="RegisteredAttribute"/> property of this type) per
/// family; the spec's kinds, "use one of …", the form's choices and the OpenAPI enum list <see cref="TaskFamilies.Registry"/>.
/// Its problems and SFT examples are made in Learning, by the task source registered there under the same name.
/// </summary>
public abstract class TaskFamily : IRegistered
{
    /// <summary>Every character of printable ASCII plus newline: the char-tokenizer alphabet of verbose prompts.</summary>
    public const string PrintableAlphabet =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n";

    /// <summary>The spec's <c>task.kind</c>.</summary>
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>The choice's label in the dashboard's new-sweep form.</summary>
    public abstract string Label { get; }

    public TaskKind Kind => new(Name);

    /// <summary>The properties a spec's task object of this kind may have, "kind" included.</summary>
    public abstract IReadOnlyList<string> Properties { get; }

    /// <summary>True when the problems are generated from the spec (trainSize, heldOutSize, dataSeed); false when read from files.</summary>
    public abstract bool Generated { get; }

    /// <summary>Characters a char-level tokenizer needs for this family's prompts and answers.</summary>
    public virtual string CharacterAlphabet => PrintableAlphabet;

    /// <summary>
    /// Reads this family's settings of a spec's task object into <paramref name="task"/> (whose Kind is set), reporting
    /// each problem through <paramref name="reader"/> with its path and fix.
    /// </summary>
    internal abstract TaskSpec Read(SweepSpecParser.SpecReader reader, JsonElement element, string path, TaskSpec task);

    /// <summary>Writes the settings that belong to this family (after "kind"), the inverse of <see cref="Read"/>.</summary>
    public abstract void WriteSettings(Utf8JsonWriter writer, TaskSpec task);

    /// <summary>The task in one clause of a report's header.</summary>
    public abstract string Summary(TaskSpec task);

    /// <summary>The verifier of the family's answers, with the formula extractor it uses when it takes one.</summary>
    public abstract IReasoningTask Verifier(Func<IFormulaExtractor> formulas);

    /// <summary>Benchmarks the task offers: its held-out set, named after the family, unless the family reads benchmark files.</summary>
    public virtual IReadOnlyList<string> BenchmarkNames(TaskSpec task) => [Name];

    /// <summary>How many distinct problems each split can hold; null when the family's problems are in files.</summary>
    public virtual TaskCapacity.Capacity? Capacity(TaskSpec task) => null;

    /// <summary>The problem space in words for a capacity message, e.g. "3 numbers from [1, 20], targets in [1, 100]".</summary>
    public virtual string SpaceDescription(TaskSpec task) => Name;

    /// <summary>The settings that widen the space, for a capacity message: "numberRange".</summary>
    public virtual string WidenedBy => "numberRange";

    /// <summary>Characters of the longest prompt the settings allow (the compact prompt for char tokens when the family has one); null when unknown (files).</summary>
    public abstract int? LongestPromptCharacters(TaskSpec task, bool characterTokens);

    // ---- helpers of the generated families: the split sizes, the data seed and the number range ----

    internal static TaskSpec ReadGeneratedSplit(SweepSpecParser.SpecReader r, JsonElement element, string path, TaskSpec task) => task with
    {
        TrainSize = r.ReadInt(element, path, "trainSize", task.TrainSize, v => v is >= 1 and <= 10_000_000 ? null : "must be between 1 and 10000000"),
        HeldOutSize = r.ReadInt(element, path, "heldOutSize", task.HeldOutSize, v => v is >= 1 and <= 1_000_000 ? null : "must be between 1 and 1000000"),
        DataSeed = r.ReadInt(element, path, "dataSeed", task.DataSeed, _ => null),
        NumberRange = r.ReadRange(element, path, "numberRange", task.NumberRange, 1),
    };

    internal static void WriteGeneratedSplit(Utf8JsonWriter w, TaskSpec task)
    {
        w.WriteNumber("trainSize", task.TrainSize);
        w.WriteNumber("heldOutSize", task.HeldOutSize);
        w.WriteNumber("dataSeed", task.DataSeed);
    }
}

/// <summary>The registered task families, found in Core.</summary>
public static class TaskFamilies
{
    private static readonly Lazy<Registry<TaskFamily>> registry =
        new(() => Registry<TaskFamily>.Discover("task kind", typeof(TaskFamilies).Assembly));

    public static Registry<TaskFamily> Registry => registry.Value;
}
