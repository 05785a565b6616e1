using Dsdr.Core.Method;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Method;

/// <summary>Each part of the method is one registered item; names, choices, messages and colours all come from the registries.</summary>
public class RegistryTests
{
    public sealed record Item(string Name, string Description = "") : IRegistered;

    [Fact]
    public void A_registry_finds_items_by_name_and_an_unknown_name_lists_the_known_ones()
    {
        var registry = new Registry<Item>("widget", [new("b"), new("a")]);
        Assert.Equal(["b", "a"], registry.Names);
        Assert.True(registry.TryGet("a", out var a));
        Assert.Equal("a", a.Name);
        Assert.Equal(1, registry.IndexOf("a"));
        Assert.Equal(-1, registry.IndexOf("c"));
        var error = Assert.Throws<ArgumentException>(() => registry.Get("c"));
        Assert.Contains("unknown widget \"c\"; use one of b, a", error.Message);
    }

    [Fact]
    public void Two_items_of_one_name_or_a_nameless_one_are_refused()
    {
        Assert.Contains("Two registered widgets are named \"a\"", Assert.Throws<InvalidOperationException>(() => new Registry<Item>("widget", [new("a"), new("a")])).Message);
        Assert.Contains("has no name", Assert.Throws<InvalidOperationException>(() => new Registry<Item>("widget", [new(" ")])).Message);
    }

    [Fact]
    public void Discovery_collects_registered_properties_in_order_then_by_name()
    {
        var registry = Registry<Item>.Discover("widget", typeof(RegistryTests).Assembly);
        Assert.Equal(["first", "alpha", "beta"], registry.Names);
    }

    // discovered by the test above: Order 0 first, the two default-order ones by name; the unregistered one is left out
    public static class Widgets
    {
        [Registered] public static Item Beta { get; } = new("beta");
        [Registered] public static Item Alpha { get; } = new("alpha");
        [Registered(Order = 0)] public static Item First { get; } = new("first");
        public static Item NotRegistered { get; } = new("not registered");
    }

    [Fact]
    public void The_built_in_parts_are_registered_under_the_names_configs_default_to()
    {
        var d = TrainingConfig.Default;
        Assert.Equal("grpo", MethodRegistries.AdvantageEstimators.Names[0]);
        Assert.Equal("ppo-clip", MethodRegistries.PolicyLosses.Names[0]);
        Assert.Equal(["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"], MethodRegistries.LossAggregations.Names.Take(3));
        Assert.Equal("local-positive", MethodRegistries.EntropyTerms.Names[0]);
        Assert.Equal((d.AdvantageEstimator, d.PolicyLoss, d.LossAggregation, d.EntropyTerm), ("grpo", "ppo-clip", "token-mean", "local-positive"));
    }

    [Theory]
    [InlineData("advantageEstimator")]
    [InlineData("policyLoss")]
    [InlineData("lossAggregation")]
    [InlineData("entropyTerm")]
    public void A_choice_setting_offers_its_registry_s_names_and_a_spec_naming_another_gets_them_listed(string key)
    {
        var registry = key switch
        {
            "advantageEstimator" => MethodRegistries.AdvantageEstimators.Names,
            "policyLoss" => MethodRegistries.PolicyLosses.Names,
            "lossAggregation" => MethodRegistries.LossAggregations.Names,
            _ => MethodRegistries.EntropyTerms.Names,
        };
        Assert.Equal(registry, HyperParameters.Get(key).Choices);
        var result = SweepSpecParser.Parse(With(o => o["base"] = System.Text.Json.Nodes.JsonNode.Parse($"{{\"{key}\":\"nope\"}}")));
        var error = Assert.Single(result.Errors);
        Assert.Equal($"$.base.{key}", error.Path);
        Assert.Contains($"must be one of {string.Join(", ", registry.Select(n => $"\"{n}\""))}", error.Reason);
        // every registered name is accepted
        foreach (var name in registry)
            Assert.True(SweepSpecParser.Parse(With(o => o["base"] = System.Text.Json.Nodes.JsonNode.Parse($"{{\"{key}\":\"{name}\"}}"))).IsValid, name);
    }

    [Fact]
    public void Every_registered_arm_sets_known_hyper_parameters_to_accepted_values_and_resolves()
    {
        foreach (var arm in ArmPresets.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(arm.Description), arm.Name);
            foreach (var a in arm.Defaults.Concat(arm.Pinned))
            {
                Assert.True(HyperParameters.TryGet(a.Key, out var p), $"{arm.Name}: unknown {a.Key}");
                Assert.Null(p.Check(a.Value));
                if (p.Type == HyperType.Choice) Assert.Contains(p.Format(a.Value), p.Choices);
            }
            var config = arm.Resolve([], []);
            Assert.Empty(SweepSpecParser.Validate(OneTrial(arm.Name)));
            GroupScorer.ValidateConfig(config.ToScoringConfig());
        }
    }

    private static SweepSpec OneTrial(string arm) => Valid(With(o =>
    {
        o["arms"] = new System.Text.Json.Nodes.JsonArray(arm);
        o.Remove("grid");
        o["seeds"] = new System.Text.Json.Nodes.JsonArray(0);
    }));

    [Fact]
    public void Every_registered_arm_has_its_own_colour_apart_from_the_backbone_s()
    {
        var colours = ArmPresets.Names.Select(ArmPalette.Of).ToList();
        Assert.Equal(colours.Count, colours.Distinct().Count());
        Assert.DoesNotContain(ArmPalette.Of(ResultTable.BackboneRow), colours);
        Assert.Equal(ArmPalette.At(0), ArmPalette.Of("grpo"));
        Assert.Equal(ArmPalette.At(5), ArmPalette.Of("dsdr-uniform"));
    }

    [Fact]
    public void An_estimator_other_than_the_default_is_part_of_the_trial_identity()
    {
        var spec = OneTrial("dsdr");
        var trial = SweepExpander.Expand(spec).Single();
        var other = trial.Config with { PolicyLoss = "not-registered-but-different" };
        Assert.NotEqual(TrialIdentity.CanonicalJson(null, "dsdr", trial.Config, spec.Task, spec.Model, spec.Eval),
            TrialIdentity.CanonicalJson(null, "dsdr", other, spec.Task, spec.Model, spec.Eval));
        Assert.DoesNotContain("policyLoss", TrialIdentity.CanonicalJson(null, "dsdr", trial.Config, spec.Task, spec.Model, spec.Eval));
        Assert.Contains("lossAggregation", TrialIdentity.CanonicalJson(null, "dsdr", trial.Config, spec.Task, spec.Model, spec.Eval));
    }

    [Fact]
    public void The_scoring_config_carries_the_estimator_and_refuses_an_unknown_one()
    {
        Assert.Equal("grpo", TrainingConfig.Default.ToScoringConfig().AdvantageEstimator);
        var error = Assert.Throws<ArgumentException>(() => GroupScorer.ValidateConfig(new ScoringConfig(AdvantageEstimator: "nope")));
        Assert.Contains("unknown advantage estimator \"nope\"; use one of grpo", error.Message);
        // the default estimator is DsdrMath.GroupAdvantages
        Assert.Equal(DsdrMath.GroupAdvantages([1, 0, 0, 1], 1e-6), new ScoringConfig().Advantages([1, 0, 0, 1]));
    }
}
