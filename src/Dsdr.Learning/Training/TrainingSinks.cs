using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Learning.Evaluation;

namespace Dsdr.Learning.Training;

/// <summary>
/// Seconds one step spent in each of its parts. <see cref="Update"/> splits into packing the rollouts, the frozen
/// reference's forward (KL arms only), the policy forward, the loss, the backward and the optimiser (zero, clip, AdamW);
/// <see cref="Cpu"/> is the process CPU time of the step (all threads), the figure to read on a shared machine.
/// </summary>
public sealed record StepTimings(double Total, double Generation, double Verify, double Embed, double Score, double Update,
    double Pack = 0, double Reference = 0, double Forward = 0, double Loss = 0, double Backward = 0, double Optimizer = 0, double Cpu = 0);

/// <summary>
/// What one training step reports. Entropy, clip fractions, policy loss, local term and KL are means over the step's
/// optimiser updates; grad norm is the mean pre-clip global norm. Similarities are means over groups (null when no group
/// had one). Rewards are the verifier's (0/1) before shaping and length penalties.
/// </summary>
public sealed record StepMetrics(
    int Step,
    double RewardMean,
    double RewardStd,
    double ZeroStdGroupFraction,
    int Groups,
    int DroppedGroups,
    int GenerationRounds,
    double Entropy,
    double ResponseLengthMean,
    int ResponseLengthMax,
    double TruncationRatio,
    double PolicyLoss,
    double LocalTerm,
    double ClipFractionLow,
    double ClipFractionHigh,
    double GradNorm,
    double? Kl,
    double ApproxKlToOld,
    double? SemanticSimilarity,
    double? FormulaSimilarity,
    double LearningRate,
    int Updates,
    double TokensPerSecond,
    StepTimings Seconds,
    int MicroBatches = 0,
    double PaddingFraction = 0);

/// <summary>One scored group: the texts with their rewards and the DSDR quantities d, r̃, A, w (spec §1–§3).</summary>
public sealed record GroupRecord(
    int Step,
    string ProblemId,
    string Prompt,
    string Gold,
    IReadOnlyList<string> Texts,
    IReadOnlyList<double> Rewards,
    IReadOnlyList<double> Diversity,
    IReadOnlyList<double> ShapedRewards,
    IReadOnlyList<double> Advantages,
    IReadOnlyList<double> Weights,
    bool Dropped);

/// <summary>A checkpoint the trainer wrote.</summary>
public sealed record CheckpointRecord(int Step, string Folder);

/// <summary>Where a trainer's reports go (a file, a grain, a progress bar). Called on the training thread.</summary>
public interface ITrainingSink
{
    void OnStep(StepMetrics metrics);
    void OnGroup(GroupRecord group);
    void OnEval(EvalReport report);
    void OnCheckpoint(CheckpointRecord checkpoint);
}

/// <summary>
/// JSON Lines files in one folder: metrics.jsonl (a step per line), groups.jsonl, evals.jsonl, checkpoints.jsonl.
/// Appends, so a resumed run continues the same files; each line is flushed as written.
/// </summary>
public sealed class JsonlTrainingSink : ITrainingSink, IDisposable
{
    public const string MetricsFile = "metrics.jsonl";
    public const string GroupsFile = "groups.jsonl";
    public const string EvalsFile = "evals.jsonl";
    public const string CheckpointsFile = "checkpoints.jsonl";

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly StreamWriter metrics, groups, evals, checkpoints;
    private readonly bool writeGroups;

    /// <param name="writeGroups">false leaves groups.jsonl out (it is the largest file).</param>
    public JsonlTrainingSink(string folder, bool writeGroups = true)
    {
        Directory.CreateDirectory(folder);
        this.writeGroups = writeGroups;
        metrics = Open(folder, MetricsFile);
        groups = Open(folder, GroupsFile);
        evals = Open(folder, EvalsFile);
        checkpoints = Open(folder, CheckpointsFile);
    }

    private static StreamWriter Open(string folder, string name) =>
        new(new FileStream(Path.Combine(folder, name), FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };

    public void OnStep(StepMetrics m) => metrics.WriteLine(JsonSerializer.Serialize(m, JsonOptions));
    public void OnGroup(GroupRecord g) { if (writeGroups) groups.WriteLine(JsonSerializer.Serialize(g, JsonOptions)); }
    public void OnEval(EvalReport r) => evals.WriteLine(JsonSerializer.Serialize(r, JsonOptions));
    public void OnCheckpoint(CheckpointRecord c) => checkpoints.WriteLine(JsonSerializer.Serialize(c, JsonOptions));

    public void Dispose()
    {
        metrics.Dispose();
        groups.Dispose();
        evals.Dispose();
        checkpoints.Dispose();
    }
}

/// <summary>Collects everything in memory (tests, callers that aggregate).</summary>
public sealed class MemoryTrainingSink : ITrainingSink
{
    public List<StepMetrics> Steps { get; } = [];
    public List<GroupRecord> Groups { get; } = [];
    public List<EvalReport> Evals { get; } = [];
    public List<CheckpointRecord> Checkpoints { get; } = [];

    public void OnStep(StepMetrics metrics) => Steps.Add(metrics);
    public void OnGroup(GroupRecord group) => Groups.Add(group);
    public void OnEval(EvalReport report) => Evals.Add(report);
    public void OnCheckpoint(CheckpointRecord checkpoint) => Checkpoints.Add(checkpoint);
}
