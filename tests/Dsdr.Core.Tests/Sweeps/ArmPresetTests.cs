using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Sweeps;

public class ArmPresetTests
{
    private static TrainingConfig Resolve(string arm, params HyperAssignment[] baseOverrides) =>
        ArmPresets.Get(arm).Resolve(baseOverrides, []);

    [Fact]
    public void Known_arms_in_table_order()
    {
        // the paper's arms first, in its table's order; every other registered arm after them, by name
        Assert.Equal(["grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc", "dsdr-uniform"], ArmPresets.Names.Take(6));
        Assert.Equal(ArmPresets.Names.Skip(6).Order(StringComparer.Ordinal), ArmPresets.Names.Skip(6));
    }

    [Fact]
    public void Grpo_clip_symmetric_std_normalised_no_diversity_no_dapo_tricks()
    {
        var c = Resolve("grpo");
        Assert.Equal((0.2, 0.2), (c.ClipLow, c.ClipHigh));
        Assert.True(c.StdNormalize);
        Assert.Equal((0.0, 0.0, 0.0), (c.LambdaD, c.LambdaL, c.Tau));
        Assert.False(c.DynamicSampling);
        Assert.False(c.OverlongBuffer);
    }

    [Fact]
    public void Dapo_clip_higher_dynamic_sampling_token_mean_overlong_penalty()
    {
        var c = Resolve("dapo");
        Assert.Equal((0.2, 0.28), (c.ClipLow, c.ClipHigh));
        Assert.True(c.DynamicSampling);
        Assert.Equal(4, c.MaxGenerationRounds);
        Assert.Equal(LossAggregation.TokenMean, c.LossAggregation);
        Assert.True(c.OverlongBuffer);
        Assert.Equal((0.0, 0.0), (c.LambdaD, c.LambdaL));
    }

    [Fact]
    public void Dsdr_clip_higher_calibrated_lambdas_no_dynamic_sampling()
    {
        var c = Resolve("dsdr");
        Assert.Equal((0.2, 0.28), (c.ClipLow, c.ClipHigh));
        Assert.Equal((0.1, 0.01, 5.0), (c.LambdaD, c.LambdaL, c.Tau));
        Assert.False(c.DynamicSampling);
        Assert.False(c.OverlongBuffer);
    }

    [Fact]
    public void Ablations_per_spec_section_6()
    {
        var noGd = Resolve("dsdr-no-gd");
        Assert.Equal((0.0, 0.0, 0.01), (noGd.LambdaD, noGd.Tau, noGd.LambdaL));
        var noGc = Resolve("dsdr-no-gc");
        Assert.Equal((0.1, 0.0), (noGc.LambdaD, noGc.LambdaL));
        var uniform = Resolve("dsdr-uniform");
        Assert.Equal((0.1, 0.01, 0.0), (uniform.LambdaD, uniform.LambdaL, uniform.Tau));
    }

    [Fact]
    public void Base_overrides_beat_arm_defaults_but_not_pins()
    {
        var c = Resolve("grpo", new HyperAssignment("clipHigh", 0.3), new HyperAssignment("lambdaD", 0.5));
        Assert.Equal(0.3, c.ClipHigh); // clip is a default of the arm
        Assert.Equal(0.0, c.LambdaD);   // "no diversity" defines the arm
        Assert.True(Resolve("dsdr", new HyperAssignment("dynamicSampling", true)).DynamicSampling); // spec §2: "unless asked"
        Assert.True(Resolve("dapo", new HyperAssignment("dynamicSampling", false)).DynamicSampling);
    }

    [Fact]
    public void Preset_is_a_function_of_the_base_config()
    {
        var baseConfig = TrainingConfig.Default with { LambdaD = 0.5, Tau = 2, LearningRate = 3e-4 };
        var applied = ArmPresets.Apply("dsdr-no-gd", baseConfig);
        Assert.Equal(baseConfig with { LambdaD = 0, Tau = 0 }, applied);
    }

    [Fact]
    public void Grid_coordinates_on_pinned_keys_are_ignored()
    {
        var c = ArmPresets.Get("dsdr-no-gd").Resolve([], [new("lambdaD", 0.3), new("lambdaL", 0.002)]);
        Assert.Equal((0.0, 0.002), (c.LambdaD, c.LambdaL));
    }

    [Fact]
    public void Unknown_arm_error_lists_known_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => ArmPresets.Get("ppo"));
        Assert.Contains("unknown arm \"ppo\"", ex.Message);
        Assert.Contains("grpo, dapo, dsdr, dsdr-no-gd, dsdr-no-gc, dsdr-uniform", ex.Message);
    }
}
