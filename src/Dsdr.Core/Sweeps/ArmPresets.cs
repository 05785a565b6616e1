using Dsdr.Core.Method;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// A named arm: settings it <see cref="Defaults"/> (used unless the sweep's base or grid sets them, e.g. its clip
/// range) and settings it <see cref="Pinned"/> (what defines the arm, e.g. λ_d = 0 for "w/o GD"; neither base
/// nor grid can change them, and a grid over a pinned key does not multiply that arm's trials).
/// </summary>
/// <remarks>An arm is registered like any part of the method: a <see cref="RegisteredAttribute"/> static property of this type, anywhere in Core.</remarks>
public sealed record ArmPreset(string Name, string Description, IReadOnlyList<HyperAssignment> Defaults, IReadOnlyList<HyperAssignment> Pinned) : IRegistered
{
    /// <summary>The preset as a function of a base config: its pinned settings applied.</summary>
    public TrainingConfig Apply(TrainingConfig config) => HyperParameters.Apply(config, Pinned);

    /// <summary>True when the arm fixes this hyper-parameter.</summary>
    public bool Pins(string key) => Pinned.Any(p => p.Key == key);

    /// <summary>
    /// The trial's config: library defaults ← arm defaults ← sweep base overrides ← grid point ← arm pins.
    /// Grid coordinates the arm pins are ignored.
    /// </summary>
    public TrainingConfig Resolve(IEnumerable<HyperAssignment> baseOverrides, IEnumerable<HyperAssignment> gridPoint, TrainingConfig? defaults = null)
    {
        var config = HyperParameters.Apply(defaults ?? TrainingConfig.Default, Defaults);
        config = HyperParameters.Apply(config, baseOverrides);
        config = HyperParameters.Apply(config, gridPoint.Where(a => !Pins(a.Key)));
        return Apply(config);
    }
}

/// <summary>Settings arms share, for their <see cref="ArmPreset.Defaults"/> and <see cref="ArmPreset.Pinned"/> lists.</summary>
internal static class ArmSettings
{
    public static HyperAssignment S(string key, object? value) => new(key, value);

    // Dynamic sampling and the overlong penalty are DAPO's; other arms default them off (spec §2: DSDR must
    // not drop all-correct groups unless asked), but a base override may turn them on.
    // No diversity at all: no bonus, no local term, τ irrelevant (pinned to 0 so a τ grid does not duplicate trials).
    public static readonly HyperAssignment[] NoDiversity = [S("lambdaD", 0.0), S("lambdaL", 0.0), S("tau", 0.0)];
    public static readonly HyperAssignment[] ClipHigher = [S("clipLow", 0.2), S("clipHigh", 0.28)];
    public static readonly HyperAssignment[] Clip = [S("clipLow", 0.2), S("clipHigh", 0.2)];
    public static readonly HyperAssignment[] NoDapoTricks = [S("dynamicSampling", false), S("overlongBuffer", false)];
}

/// <summary>
/// The arms: spec §6's (GRPO, DAPO, DSDR and its ablations, registered here in the paper's table order) and every other
/// <see cref="ArmPreset"/> registered in Core (after them, by name). Specs, result tables, the dashboard's form, the
/// palette and the OpenAPI document all list <see cref="Names"/>.
/// </summary>
public static class ArmPresets
{
    public const string Grpo = "grpo";
    public const string Dapo = "dapo";
    public const string Dsdr = "dsdr";
    public const string DsdrNoGd = "dsdr-no-gd";
    public const string DsdrNoGc = "dsdr-no-gc";
    public const string DsdrUniform = "dsdr-uniform";

    private static HyperAssignment S(string key, object? value) => ArmSettings.S(key, value);

    [Registered(Order = 0)]
    public static ArmPreset GrpoArm { get; } = new(Grpo, "GRPO: clip 0.2/0.2, std-normalised advantages, no diversity terms",
        [.. ArmSettings.Clip, S("stdNormalize", true), .. ArmSettings.NoDapoTricks],
        [.. ArmSettings.NoDiversity]);

    [Registered(Order = 1)]
    public static ArmPreset DapoArm { get; } = new(Dapo, "DAPO: clip-higher 0.2/0.28, dynamic sampling (drop all-0/all-1 groups, capped rounds), token-mean, overlong-buffer penalty",
        [.. ArmSettings.ClipHigher, S("lossAggregation", LossAggregation.TokenMean), S("stdNormalize", true)],
        [.. ArmSettings.NoDiversity, S("dynamicSampling", true), S("overlongBuffer", true)]);

    [Registered(Order = 2)]
    public static ArmPreset DsdrArm { get; } = new(Dsdr, "DSDR: clip-higher, correct-only diversity bonus λ_d, coupled local entropy λ_ℓ with τ, no dynamic sampling",
        [.. ArmSettings.ClipHigher, .. ArmSettings.NoDapoTricks],
        []);

    [Registered(Order = 3)]
    public static ArmPreset DsdrNoGdArm { get; } = new(DsdrNoGd, "DSDR w/o GD: λ_d = 0 and uniform coupling (τ = 0); local entropy on",
        [.. ArmSettings.ClipHigher, .. ArmSettings.NoDapoTricks],
        [S("lambdaD", 0.0), S("tau", 0.0)]);

    [Registered(Order = 4)]
    public static ArmPreset DsdrNoGcArm { get; } = new(DsdrNoGc, "DSDR w/o GC: λ_ℓ = 0 (no local entropy term, τ then irrelevant and pinned to 0); GD shaping on",
        [.. ArmSettings.ClipHigher, .. ArmSettings.NoDapoTricks],
        [S("lambdaL", 0.0), S("tau", 0.0)]);

    [Registered(Order = 5)]
    public static ArmPreset DsdrUniformArm { get; } = new(DsdrUniform, "DSDR with uniform coupling: GD on, local entropy on, τ = 0",
        [.. ArmSettings.ClipHigher, .. ArmSettings.NoDapoTricks],
        [S("tau", 0.0)]);

    private static readonly Lazy<Registry<ArmPreset>> registry = new(() => Registry<ArmPreset>.Discover("arm", typeof(ArmPreset).Assembly));

    /// <summary>The registry of arms.</summary>
    public static Registry<ArmPreset> Registry => registry.Value;

    /// <summary>All presets, in the order result tables list them.</summary>
    public static IReadOnlyList<ArmPreset> All => Registry.All;

    /// <summary>Known arm names, in table order.</summary>
    public static IReadOnlyList<string> Names => Registry.Names;

    public static bool TryGet(string name, out ArmPreset preset) => Registry.TryGet(name, out preset);

    /// <summary>The preset named <paramref name="name"/>; an unknown name throws listing the known ones.</summary>
    public static ArmPreset Get(string name) => Registry.Get(name);

    /// <summary>Applies the named arm's pinned settings to a base config (see <see cref="ArmPreset.Resolve"/> for the full order).</summary>
    public static TrainingConfig Apply(string name, TrainingConfig baseConfig) => Get(name).Apply(baseConfig);

    internal static string UnknownArmReason(string name) => Registry.UnknownReason(name);
}
