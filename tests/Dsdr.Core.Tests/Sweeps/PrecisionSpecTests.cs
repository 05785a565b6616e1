using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>base.precision: fp32 (default) or bf16; anything else is refused naming the field and the choices.</summary>
public class PrecisionSpecTests
{
    private static JsonNode N(string json) => JsonNode.Parse(json)!;

    [Fact]
    public void Fp32_is_the_default()
    {
        Assert.Equal(Precision.Fp32, TrainingConfig.Default.Precision);
        Assert.Equal(Precision.Fp32, SweepExpander.Expand(Valid(Minimal))[0].Config.Precision);
    }

    [Fact]
    public void Bf16_in_base_reaches_every_trial_and_round_trips()
    {
        var trials = SweepExpander.Expand(Valid(With(o => o["base"] = N("{\"precision\":\"bf16\"}"))));
        Assert.All(trials, t => Assert.Equal(Precision.Bf16, t.Config.Precision));
        var json = System.Text.Json.JsonSerializer.Serialize(trials[0].Config);
        Assert.Contains("\"precision\":\"bf16\"", json);
        Assert.Equal(Precision.Bf16, System.Text.Json.JsonSerializer.Deserialize<TrainingConfig>(json)!.Precision);
    }

    [Theory]
    [InlineData("\"fp16\"", "the string \"fp16\"")]
    [InlineData("\"BF16\"", "the string \"BF16\"")]
    [InlineData("16", "the number 16")]
    public void Another_value_is_refused_naming_the_field_and_the_choices(string value, string got)
    {
        var result = SweepSpecParser.Parse(With(o => o["base"] = N($"{{\"precision\":{value}}}")));
        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors, e => e.Path == "$.base.precision");
        Assert.Contains($"must be one of \"fp32\", \"bf16\", got {got}", error.Reason);
    }

    [Fact]
    public void Fp32_keeps_the_trial_id_of_a_spec_without_the_field_and_bf16_is_another_trial()
    {
        var plain = SweepExpander.Expand(Valid(Minimal))[0];
        var fp32 = SweepExpander.Expand(Valid(With(o => o["base"] = N("{\"precision\":\"fp32\"}"))))[0];
        var bf16 = SweepExpander.Expand(Valid(With(o => o["base"] = N("{\"precision\":\"bf16\"}"))))[0];
        Assert.Equal(plain.TrialId, fp32.TrialId);
        Assert.NotEqual(plain.TrialId, bf16.TrialId);
    }

    [Fact]
    public void A_grid_may_compare_the_two()
    {
        var trials = SweepExpander.Expand(Valid(With(o => o["grid"] = N("{\"precision\":[\"fp32\",\"bf16\"]}"))));
        Assert.Equal([Precision.Fp32, Precision.Bf16], trials.Select(t => t.Config.Precision).Distinct());
    }
}
