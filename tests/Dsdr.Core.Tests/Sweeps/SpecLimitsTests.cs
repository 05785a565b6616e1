using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>Issue 18 part 1: every size and rate has an upper end, and a trial's estimated cost is checked at submission.</summary>
public class SpecLimitsTests
{
    private static JsonNode N(string json) => JsonNode.Parse(json)!;

    private static SpecError Single(string json, string path, SweepSpecParserOptions? options = null, string about = "")
    {
        var result = SweepSpecParser.Parse(json, options);
        Assert.False(result.IsValid, $"{path}: expected a refusal");
        var match = result.Errors.FirstOrDefault(e => e.Path == path && e.Reason.Contains(about, StringComparison.Ordinal));
        Assert.True(match is not null, $"expected an error at {path} about \"{about}\" among:\n{string.Join("\n", result.Errors)}");
        return match!;
    }

    [Theory] // the values of issue 18, each accepted before
    [InlineData("groupSize", "1000000", "must be ≤ 1024")]
    [InlineData("maxNewTokens", "10000000", "must be ≤ 32768")]
    [InlineData("totalSteps", "2147483647", "must be ≤ 1000000")]
    [InlineData("learningRate", "1e308", "must be ≤ 1")]
    [InlineData("promptsPerStep", "100000", "must be ≤ 4096")]
    public void Absurd_values_of_issue_18_are_refused_naming_the_field_and_the_range(string key, string value, string reason)
    {
        var error = Single(With(o => o["base"] = N($"{{\"{key}\": {value}}}")), $"$.base.{key}");
        Assert.Contains(reason, error.Reason);
        Assert.Contains("allowed: ", error.Reason);
        Assert.EndsWith($", got {HyperParameters.Get(key).Format(HyperParameters.Get(key).Type == HyperType.Integer ? int.Parse(value, CultureInfo.InvariantCulture) : double.Parse(value, CultureInfo.InvariantCulture))}", error.Reason);
    }

    [Fact]
    public void A_grid_value_above_the_range_is_refused_at_its_index()
    {
        var error = Single(With(o => o["grid"] = N("{\"groupSize\": [8, 4096]}")), "$.grid.groupSize[1]");
        Assert.StartsWith("must be ≤ 1024 (allowed: [2, 1024]", error.Reason);
    }

    public static TheoryData<string> HyperParameterNames() => [.. SpecLimits.HyperParameters.Keys];

    [Theory]
    [MemberData(nameof(HyperParameterNames))]
    public void Every_hyper_parameter_range_accepts_its_upper_end_and_refuses_beyond_it(string name)
    {
        var range = SpecLimits.HyperParameters[name];
        var parameter = HyperParameters.Get(name);
        JsonElement Value(double v) => JsonDocument.Parse(parameter.Type == HyperType.Integer
            ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : v.ToString("R", CultureInfo.InvariantCulture)).RootElement;
        var top = range.MaxExclusive ? range.Max - 1e-9 : range.Max;
        Assert.True(parameter.TryRead(Value(top), out _, out var why), $"{name} = {top}: {why}");
        var beyond = parameter.Type == HyperType.Integer ? range.Max + 1 : range.MaxExclusive ? range.Max : range.Max * 1.5;
        Assert.False(parameter.TryRead(Value(beyond), out _, out var reason), $"{name} = {beyond} was accepted");
        Assert.Contains(range.Interval, reason);
    }

    [Fact]
    public void Every_numeric_hyper_parameter_has_a_documented_range()
    {
        var numeric = HyperParameters.All.Where(p => p.Type is HyperType.Number or HyperType.NullableNumber or HyperType.Integer && p.Name != "seed")
            .Select(p => p.Name).Order().ToList();
        Assert.Equal(numeric, SpecLimits.HyperParameters.Keys.Order().ToList());
    }

    [Theory] // the ranges of the other sections: one value beyond the upper end each
    [InlineData("$.eval.everySteps", "eval", "{\"everySteps\": 1000001}")]
    [InlineData("$.eval.avgTemperature", "eval", "{\"avgTemperature\": 1e300}")]
    [InlineData("$.eval.avgK", "eval", "{\"avgK\": 1025}")]
    [InlineData("$.model.sft.steps", "model", "{\"preset\": \"small\", \"sft\": {\"steps\": 1000001}}")]
    [InlineData("$.model.sft.batchSize", "model", "{\"preset\": \"small\", \"sft\": {\"batchSize\": 4097}}")]
    [InlineData("$.model.sft.learningRate", "model", "{\"preset\": \"small\", \"sft\": {\"learningRate\": 2}}")]
    [InlineData("$.task.trainSize", "task", "{\"kind\": \"countdown\", \"trainSize\": 10000001}")]
    [InlineData("$.resources.memoryGiB", "resources", "{\"memoryGiB\": 5000}")]
    public void Other_sizes_and_rates_have_an_upper_end(string path, string section, string value)
    {
        Single(With(o => o[section] = N(value)), path);
    }

    [Fact]
    public void The_ranges_are_documented_in_the_spec_reference()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "README.md"));
        foreach (var range in SpecLimits.All)
        {
            var name = range.Field.StartsWith("$.base.", StringComparison.Ordinal) ? range.Field["$.base.".Length..] : range.Field;
            Assert.True(readme.Contains($"| {name} | {range.Interval} |", StringComparison.Ordinal),
                $"examples/README.md lacks the row \"| {name} | {range.Interval} |\"");
        }
    }

    // ---- the cost estimate ----

    [Theory] // the presets' documented sizes
    [InlineData(ModelPresets.Countdown, 0.15e6, 0.25e6)]
    [InlineData(ModelPresets.CountdownWide, 0.6e6, 1.0e6)]
    [InlineData(ModelPresets.Tiny, 0.8e6, 1.3e6)]
    [InlineData(ModelPresets.Small, 7e6, 12e6)]
    public void Parameter_counts_match_the_presets_descriptions(string preset, double low, double high)
    {
        var parameters = TrialCostEstimate.Parameters(ModelPresets.Get(preset), TrialCostEstimate.PresetVocabulary(TaskKind.Countdown));
        Assert.InRange(parameters, low, high);
    }

    [Fact]
    public void The_countdown_preset_count_is_exactly_the_sum_of_its_tensors()
    {
        // V = 19 + 2, d = 64, 4 layers of 4 heads of 16, 4 KV heads, SwiGLU 176: embedding 21·64; per layer q, k, v, o 4·64·64,
        // q/k/v biases 3·64, MLP 3·64·176, two norms 2·64; the final norm 64
        Assert.Equal(21L * 64 + 4 * (4 * 64 * 64 + 3 * 64 + 3 * 64 * 176 + 2 * 64) + 64,
            TrialCostEstimate.Parameters(ModelPresets.Get(ModelPresets.Countdown), 21));
    }

    [Fact]
    public void The_demo_fits_the_gigabyte_it_asks_for()
    {
        var spec = Valid(File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "demo.json")));
        var config = ArmPresets.Get("dsdr").Resolve(spec.Base, []);
        var cost = TrialCostEstimate.Estimate(config, spec);
        Assert.Equal(13, cost.PromptTokens); // "20 20 20=100:"
        Assert.Equal(13 + 24, cost.SequenceTokens);
        Assert.Equal(150.0 * 16 * 8 * 37, cost.RolloutTokens);
        Assert.Equal(2.0 * 200 * (1 + 16 + 16) * 37, cost.EvaluationTokens); // at the start and at step 150: pass@1, 16 Avg@k samples (pass@k shares them), 16 diversity samples
        Assert.Equal(1200.0 * 128 * 37, cost.SftTokens);
        Assert.InRange(cost.MemoryGiB!.Value, 0.25, 1.0);
        Assert.InRange(cost.Hours!.Value, 1e-4, 1);
    }

    [Fact]
    public void Every_example_spec_passes_the_default_limits()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot(), "examples"), "*.json"))
        {
            var result = SweepSpecParser.Parse(File.ReadAllText(file));
            Assert.True(result.IsValid, $"{Path.GetFileName(file)}: {string.Join("; ", result.Errors)}");
        }
    }

    [Fact]
    public void A_batch_beyond_the_slot_memory_is_refused_naming_the_field_the_estimate_and_the_limit()
    {
        var json = With(o =>
        {
            o["base"] = N("{\"promptsPerStep\": 1024, \"groupSize\": 1024, \"maxNewTokens\": 4096}");
            o["resources"] = N("{\"memoryGiB\": 2}");
        });
        var error = Single(json, "$.base.maxNewTokens", about: "needs about");
        Assert.Matches(@"the trial needs about [\d.e]+ GiB \(weights and optimizer .* rollout KV cache [\d.e]+ GiB for 1024 × 1024 sequences of \d+ tokens", error.Reason);
        Assert.Contains("but $.resources.memoryGiB asks for 2 GiB", error.Reason);
        Assert.Contains("(trial row", error.Reason);
    }

    [Fact]
    public void Without_size_overrides_the_memory_refusal_points_at_the_memory_asked_for()
    {
        // the runtime allowance alone is 0.25 GiB
        var error = Single(With(o => o["resources"] = N("{\"memoryGiB\": 0.1}")), "$.resources.memoryGiB");
        Assert.Contains("asks for 0.1 GiB", error.Reason);
    }

    [Fact]
    public void The_operators_step_limit_is_checked_with_its_setting_named()
    {
        var json = With(o => o["base"] = N("{\"totalSteps\": 200000}"));
        var error = Single(json, "$.base.totalSteps");
        Assert.Contains("totalSteps 200000 exceeds this platform's limit of 100000 steps per trial (Dsdr:Limits:MaxStepsPerTrial)", error.Reason);

        var strict = new SweepSpecParserOptions { Limits = new SpecLimitOptions(MaxStepsPerTrial: 100) };
        Assert.Contains("limit of 100 steps", Single(Minimal, "$.base", strict).Reason); // the default 150 steps
        Assert.True(SweepSpecParser.Parse(Minimal, new SweepSpecParserOptions { Limits = new SpecLimitOptions(MaxStepsPerTrial: 600) }).IsValid);
        Assert.Contains("SFT steps exceed", Single(Minimal, "$.model.sft.steps", new SweepSpecParserOptions { Limits = new SpecLimitOptions(MaxStepsPerTrial: 500) }).Reason);
    }

    [Fact]
    public void The_operators_token_limit_is_checked_with_the_estimate_and_its_parts()
    {
        var options = new SweepSpecParserOptions { Limits = new SpecLimitOptions(MaxTokensPerTrial: 1_000_000) };
        var error = Single(With(o => o["base"] = N("{\"groupSize\": 16}")), "$.base.groupSize", options);
        Assert.Matches(@"the trial would process about [\d.e]+ tokens \(rollouts [\d.e]+ = 150 steps × 16 prompts × 16 rollouts × \d+ tokens; evaluations", error.Reason);
        Assert.Contains("limit of 1e6 tokens per trial (Dsdr:Limits:MaxTokensPerTrial)", error.Reason);
    }

    [Fact]
    public void The_hour_limit_is_checked_only_when_configured()
    {
        var json = With(o => o["base"] = N("{\"totalSteps\": 50000, \"promptsPerStep\": 256}"));
        Assert.DoesNotContain(SweepSpecParser.Parse(json).Errors, e => e.Reason.Contains("MaxHoursPerTrial"));
        var error = Single(json, "$.base.totalSteps", new SweepSpecParserOptions { Limits = new SpecLimitOptions(MaxHoursPerTrial: 1) }, "MaxHoursPerTrial");
        Assert.Contains("more than this platform's limit of 1 h per trial (Dsdr:Limits:MaxHoursPerTrial)", error.Reason);
    }

    [Fact]
    public void A_grid_of_many_failing_rows_reports_a_few()
    {
        var values = string.Join(", ", Enumerable.Range(0, 50).Select(i => 900 + i));
        var json = With(o => { o["grid"] = N($"{{\"groupSize\": [{values}]}}"); o["base"] = N("{\"maxNewTokens\": 4096, \"promptsPerStep\": 1024}"); });
        var result = SweepSpecParser.Parse(json);
        Assert.InRange(result.Errors.Count(e => e.Path == "$.grid.groupSize"), 1, 3);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, -1, 1)]
    [InlineData(1, 1, 0)]
    public void Bad_operator_limits_throw_naming_the_setting(int steps, long tokens, double hours)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SpecLimitOptions(steps, tokens, hours).Validate());
        Assert.Contains("Dsdr:Limits:", ex.Message);
    }

    // ---- task capacity ----

    [Fact]
    public void A_task_with_too_few_distinct_problems_is_refused_at_submission()
    {
        var json = With(o => o["task"] = N("{\"kind\": \"countdown\", \"numberRange\": {\"min\": 1, \"max\": 3}, \"trainSize\": 10000}"));
        var error = Single(json, "$.task.trainSize");
        Assert.Matches(@"^the task has only \d+ distinct training problems \(3 numbers from \[1, 3\], targets in \[1, 100\]\), 10000 requested; lower trainSize to at most \d+", error.Reason);
    }

    [Fact]
    public void The_countdown_capacity_is_what_the_generator_can_make()
    {
        var task = new TaskSpec { Numbers = 3, NumberRange = new(1, 4), TargetRange = new(1, 30) };
        var capacity = TaskCapacity.Of(task)!;
        Assert.True(capacity.Exact);
        var config = new CountdownConfig(Count: 3, MinNumber: 1, MaxNumber: 4, MinTarget: 1, MaxTarget: 30);
        var train = (int)capacity.Train;
        Assert.Equal(train, CountdownGenerator.Generate(config, 7, train, SplitPart.Train).Count);
        Assert.Throws<ArgumentException>(() => CountdownGenerator.Generate(config, 7, train + 1, SplitPart.Train));
        Assert.Throws<ArgumentException>(() => CountdownGenerator.Generate(config, 7, (int)capacity.HeldOut + 1, SplitPart.HeldOut));
    }

    [Fact]
    public void The_arith_capacity_is_what_the_generator_can_make()
    {
        var task = new TaskSpec { Kind = TaskKind.Arith, Operands = 2, NumberRange = new(2, 4) };
        var capacity = TaskCapacity.Of(task)!;
        Assert.Equal(Math.Pow(3, 4) * 2, capacity.Total);
        var config = new ArithConfig(Terms: 2, MinFactor: 2, MaxFactor: 4);
        Assert.Equal((int)capacity.Train, ArithGenerator.Generate(config, 3, (int)capacity.Train, SplitPart.Train).Count);
        Assert.Throws<ArgumentException>(() => ArithGenerator.Generate(config, 3, (int)capacity.Train + 1, SplitPart.Train));
    }

    [Fact]
    public void A_large_space_gets_an_upper_bound_and_the_default_task_is_feasible()
    {
        var wide = TaskCapacity.Of(new TaskSpec { Numbers = 4, NumberRange = new(1, 100), TargetRange = new(1, 2) })!;
        Assert.False(wide.Exact);
        Assert.Equal(TaskCapacity.NumberSets(4, 100) * 2, wide.Total);
        Assert.Empty(TaskCapacity.Problems(new TaskSpec()));
        Assert.Contains(TaskCapacity.Problems(new TaskSpec { Numbers = 4, NumberRange = new(1, 100), TargetRange = new(5, 5), TrainSize = 10_000_000 }),
            p => p.Path == "$.task.trainSize" && p.Reason.Contains("at most"));
    }
}
