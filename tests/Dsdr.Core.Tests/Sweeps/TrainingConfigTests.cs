using System.Reflection;
using System.Text.Json;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Sweeps;

public class TrainingConfigTests
{
    [Fact]
    public void Defaults_are_issue_4_calibration()
    {
        var c = TrainingConfig.Default;
        Assert.Equal(1e-4, c.LearningRate);
        Assert.Equal(150, c.TotalSteps);
        Assert.Equal(16, c.PromptsPerStep);
        Assert.Equal(8, c.GroupSize);
        Assert.Equal(2, c.MiniBatchesPerStep);
        Assert.Equal(1, c.PpoEpochs);
        Assert.Equal(1.0, c.GradClip);
        Assert.Equal(0.1, c.LambdaD);
        Assert.Equal(0.01, c.LambdaL);
        Assert.Equal(5.0, c.Tau);
        Assert.Equal(1.0, c.SigmaD);
        Assert.Equal(1e-6, c.Epsilon);
        Assert.Equal(LossAggregation.TokenMean, c.LossAggregation);
        Assert.Equal(0.0, c.KlBeta);
        Assert.Equal((0.2, 0.28), (c.ClipLow, c.ClipHigh));
        Assert.Null(c.DualClip);
        Assert.False(c.DynamicSampling);
        Assert.Equal(1.0, c.Temperature);
    }

    [Fact]
    public void Paper_defaults_are_appendix_a()
    {
        var c = TrainingConfig.PaperDefaults;
        Assert.Equal((1e-6, 256, 8, 16), (c.LearningRate, c.PromptsPerStep, c.GroupSize, c.PromptsPerStep / c.MiniBatchesPerStep));
        Assert.Equal((0.001, 0.001, 5.0, 4096), (c.LambdaD, c.LambdaL, c.Tau, c.MaxNewTokens));
    }

    [Fact]
    public void Scoring_projection_carries_the_reward_side_knobs()
    {
        var c = TrainingConfig.Default with { LambdaD = 0.3, Tau = 2, SigmaD = 0.5, Epsilon = 1e-5, StdNormalize = false, SemanticNeighbours = SemanticNeighbours.CorrectOnly };
        Assert.Equal(new ScoringConfig(0.3, 2, 0.5, 1e-5, false, SemanticNeighbours.CorrectOnly), c.ToScoringConfig());
    }

    [Fact]
    public void Every_property_is_in_the_hyper_parameter_table_and_round_trips()
    {
        var properties = typeof(TrainingConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.Equal(properties.Count, HyperParameters.All.Count);
        foreach (var p in properties)
        {
            var camel = char.ToLowerInvariant(p.Name[0]) + p.Name[1..];
            Assert.True(HyperParameters.TryGet(camel, out var parameter), $"{camel} missing from HyperParameters");
            Assert.Equal(p.GetValue(TrainingConfig.Default), parameter.Get(TrainingConfig.Default));
        }
    }

    [Fact]
    public void Json_uses_camel_case_kebab_enums_and_round_trips_under_default_options()
    {
        var c = TrainingConfig.Default with
        {
            LossAggregation = LossAggregation.SeqMeanTokenSum, KlEstimator = KlEstimator.K2, SemanticNeighbours = SemanticNeighbours.CorrectOnly,
            DualClip = 3.0, Seed = 7,
        };
        var json = JsonSerializer.Serialize(c);
        Assert.Contains("\"lambdaD\":0.1", json);
        Assert.Contains("\"lossAggregation\":\"seq-mean-token-sum\"", json);
        Assert.Contains("\"klEstimator\":\"k2\"", json);
        Assert.Contains("\"semanticNeighbours\":\"correct-only\"", json);
        Assert.Contains("\"dualClip\":3", json);
        Assert.Equal(c, JsonSerializer.Deserialize<TrainingConfig>(json));
    }

    [Fact]
    public void Json_reading_rejects_unknown_and_out_of_range_fields()
    {
        Assert.Contains("lamdaD", Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TrainingConfig>("{\"lamdaD\":1}")).Message);
        Assert.Contains("groupSize", Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TrainingConfig>("{\"groupSize\":1}")).Message);
        var partial = JsonSerializer.Deserialize<TrainingConfig>("{\"tau\":1}")!;
        Assert.Equal(TrainingConfig.Default with { Tau = 1 }, partial);
    }
}
