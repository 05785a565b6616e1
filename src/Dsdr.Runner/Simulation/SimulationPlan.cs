using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dsdr.Runner.Simulation;

/// <summary>
/// The plan a simulated trial follows, read from the "simulation" object of the trial's config
/// JSON: how many steps, how long each takes, how often it checkpoints, and which faults strike.
/// <paramref name="EvalEvery"/>: evaluate at step 0, every this many steps and at the last step (null: every
/// max(1, Steps/5) steps; 0: never). <paramref name="RolloutGroupsPerStep"/>: scored groups recorded per step (0 to 8).
/// <paramref name="AvgK"/>, <paramref name="PassKSamples"/> and <paramref name="DiversitySamples"/>: the simulated evaluation's
/// samples per problem for Avg@k, pass@k and the diversity-temperature figures (0: none), as a spec's eval section gives them.
/// <paramref name="CollapseAt"/>: from this step on the simulated policy finds only one solution of each problem (a diversity
/// collapse, what the early-stopping rule watches for); null: never.
/// </summary>
public sealed record SimulationPlan(
    int Steps, int StepMilliseconds, int CheckpointEvery, IReadOnlyList<SimulatedFault> Faults, int? EvalEvery = null, int RolloutGroupsPerStep = 1,
    int AvgK = 16, int PassKSamples = 16, int DiversitySamples = 16, int? CollapseAt = null)
{
    public const int MaxRolloutGroupsPerStep = 8;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    public static SimulationPlan FromConfigJson(string configJson)
    {
        using var doc = JsonDocument.Parse(configJson);
        if (!doc.RootElement.TryGetProperty("simulation", out var sim))
            throw new ArgumentException("The trial config has no \"simulation\" object: the simulated runner needs {\"simulation\":{\"steps\":N,\"stepMilliseconds\":M,…}}.");
        var plan = sim.Deserialize<SimulationPlan>(Json) ?? throw new ArgumentException("The trial config's \"simulation\" object is null.");
        plan = plan with { Faults = plan.Faults ?? [] };
        if (plan.Steps < 1) throw new ArgumentException($"simulation.steps must be at least 1 (got {plan.Steps}).");
        if (plan.StepMilliseconds < 0) throw new ArgumentException($"simulation.stepMilliseconds must be 0 or more (got {plan.StepMilliseconds}).");
        if (plan.CheckpointEvery < 0) throw new ArgumentException($"simulation.checkpointEvery must be 0 (never) or more (got {plan.CheckpointEvery}).");
        if (plan.EvalEvery < 0) throw new ArgumentException($"simulation.evalEvery must be 0 (never), more, or absent (every steps/5) (got {plan.EvalEvery}).");
        if (plan.RolloutGroupsPerStep is < 0 or > MaxRolloutGroupsPerStep)
            throw new ArgumentException($"simulation.rolloutGroupsPerStep must be 0 to {MaxRolloutGroupsPerStep} (got {plan.RolloutGroupsPerStep}).");
        if (plan.AvgK is < 1 or > 1024 || plan.PassKSamples is < 1 or > 1024 || plan.DiversitySamples is < 0 or > 1024)
            throw new ArgumentException($"simulation.avgK and passKSamples must be 1 to 1024, diversitySamples 0 to 1024 (got {plan.AvgK}, {plan.PassKSamples}, {plan.DiversitySamples}).");
        return plan;
    }

    /// <summary>Whether the trial evaluates after <paramref name="step"/> (0: before training).</summary>
    public bool EvaluatesAt(int step)
    {
        var every = EvalEvery ?? Math.Max(1, Steps / 5);
        return every > 0 && (step == 0 || step == Steps || step % every == 0);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A config JSON holding just this plan.</summary>
    public string ToConfigJson() => $"{{\"simulation\":{ToJson()}}}";
}

public enum SimulatedFaultKind
{
    /// <summary>The attempt throws (a device error): the trial is requeued at once.</summary>
    Crash,
    /// <summary>The device hangs for HangMilliseconds: the runner reports nothing and ignores cancellation meanwhile.</summary>
    Hang,
    /// <summary>The loss becomes NaN (as the trainer's divergence): a deterministic failure, not retried.</summary>
    Diverge,
}

/// <summary>A fault on attempt <paramref name="Attempt"/> just before step <paramref name="AtStep"/>.</summary>
public sealed record SimulatedFault(int Attempt, int AtStep, SimulatedFaultKind Kind, int HangMilliseconds = 0);
