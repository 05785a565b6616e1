using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

public class SweepExpanderTests
{
    private static JsonNode N(string json) => JsonNode.Parse(json)!;

    private static SweepSpec Grid2x3() => Valid(With(o =>
    {
        o["arms"] = N("[\"grpo\", \"dsdr\", \"dsdr-no-gd\"]");
        o["grid"] = N("{\"lambdaD\": [0.001, 0.01], \"tau\": [1, 5, 10]}");
        o["seeds"] = N("[0, 1]");
    }));

    [Fact]
    public void Count_is_arms_times_unpinned_grid_times_seeds()
    {
        var spec = Grid2x3();
        // grpo pins λd and τ: 1 point; dsdr: 2 × 3 points; dsdr-no-gd pins λd and τ: 1 point.
        Assert.Equal(1, SweepExpander.CountGridPoints(spec, "grpo"));
        Assert.Equal(6, SweepExpander.CountGridPoints(spec, "dsdr"));
        Assert.Equal((1 + 6 + 1) * 2, SweepExpander.CountTrials(spec));
        var trials = SweepExpander.Expand(spec);
        Assert.Equal(16, trials.Count);
        Assert.Equal(16, trials.Select(t => t.TrialId).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 16), trials.Select(t => t.Index));
    }

    [Fact]
    public void Order_is_arm_then_grid_first_key_outermost_then_seed()
    {
        var rows = SweepExpander.Expand(Grid2x3()).Select(t => $"{t.Row}#{t.Seed}").ToList();
        Assert.Equal(
        [
            "grpo#0", "grpo#1",
            "dsdr λd=0.001 τ=1#0", "dsdr λd=0.001 τ=1#1", "dsdr λd=0.001 τ=5#0", "dsdr λd=0.001 τ=5#1",
            "dsdr λd=0.001 τ=10#0", "dsdr λd=0.001 τ=10#1", "dsdr λd=0.01 τ=1#0", "dsdr λd=0.01 τ=1#1",
            "dsdr λd=0.01 τ=5#0", "dsdr λd=0.01 τ=5#1", "dsdr λd=0.01 τ=10#0", "dsdr λd=0.01 τ=10#1",
            "dsdr-no-gd#0", "dsdr-no-gd#1",
        ], rows);
    }

    [Fact]
    public void Trials_carry_resolved_config_grid_point_and_spec_parts()
    {
        var spec = Grid2x3();
        var t = SweepExpander.Expand(spec).Single(x => x.Row == "dsdr λd=0.01 τ=5" && x.Seed == 1);
        Assert.Equal(TrainingConfig.Default with { LambdaD = 0.01, Tau = 5, Seed = 1 }, t.Config);
        Assert.Equal([new HyperAssignment("lambdaD", 0.01), new HyperAssignment("tau", 5.0)], t.GridPoint);
        Assert.Equal(("t", "dsdr", 1), (t.SweepName, t.Arm, t.Seed));
        Assert.Same(spec.Task, t.Task);
        Assert.Same(spec.Model, t.Model);
        Assert.Same(spec.Eval, t.Eval);
        Assert.Same(spec.Resources, t.Resources);
        var grpo = SweepExpander.Expand(spec).First();
        Assert.Empty(grpo.GridPoint);
        Assert.Equal((0.0, 0.0, 0.2), (grpo.Config.LambdaD, grpo.Config.Tau, grpo.Config.ClipHigh));
    }

    [Fact]
    public void No_grid_gives_one_point_per_arm()
    {
        var spec = Valid(With(o => o.Remove("grid")));
        Assert.Equal(["grpo", "grpo", "dsdr", "dsdr"], SweepExpander.Expand(spec).Select(t => t.Row));
    }

    [Fact]
    public void Ids_are_16_hex_chars_and_stable_across_runs_whitespace_and_key_order()
    {
        var a = SweepExpander.Expand(Grid2x3()).Select(t => t.TrialId).ToList();
        Assert.All(a, id => Assert.Matches("^[0-9a-f]{16}$", id));
        Assert.Equal(a, SweepExpander.Expand(Grid2x3()).Select(t => t.TrialId));

        // Same sweep written with keys in another order, base keys swapped, extra whitespace.
        var reordered = """
            {  "seeds": [0, 1],
               "grid": { "lambdaD": [0.001, 0.01], "tau": [1, 5, 10] },
               "base": { "tau": 5, "learningRate": 0.0001 },
               "arms": ["grpo", "dsdr", "dsdr-no-gd"],
               "model": { "preset": "small" },   "task": { "numbers": 3, "kind": "countdown" },
               "name": "t" }
            """;
        Assert.Equal(a, SweepExpander.Expand(Valid(reordered)).Select(t => t.TrialId));
    }

    [Fact]
    public void Swapping_grid_axes_keeps_each_trials_id()
    {
        var swapped = Valid(With(o =>
        {
            o["arms"] = N("[\"grpo\", \"dsdr\", \"dsdr-no-gd\"]");
            o["grid"] = N("{\"tau\": [10, 5, 1], \"lambdaD\": [0.01, 0.001]}");
            o["seeds"] = N("[1, 0]");
        }));
        var ids = SweepExpander.Expand(Grid2x3()).Select(t => t.TrialId).Order().ToList();
        Assert.Equal(ids, SweepExpander.Expand(swapped).Select(t => t.TrialId).Order());
    }

    [Fact]
    public void Ids_differ_by_seed_arm_config_task_and_sweep_but_config_hash_ignores_the_sweep()
    {
        var spec = Valid(Minimal);
        var trials = SweepExpander.Expand(spec);
        Assert.Equal(trials.Count, trials.Select(t => t.TrialId).Distinct().Count());

        var renamed = SweepExpander.Expand(spec with { Name = "other" });
        Assert.All(trials.Zip(renamed), p =>
        {
            Assert.NotEqual(p.First.TrialId, p.Second.TrialId);
            Assert.Equal(p.First.ConfigHash, p.Second.ConfigHash);
        });

        var otherTask = SweepExpander.Expand(spec with { Task = spec.Task with { DataSeed = 99 } });
        Assert.Empty(trials.Select(t => t.ConfigHash).Intersect(otherTask.Select(t => t.ConfigHash)));

        // Resources say where a trial runs, not what it is.
        var onGpu = SweepExpander.Expand(spec with { Resources = new ResourceSpec(DeviceKind.Cuda, 40, 5) });
        Assert.Equal(trials.Select(t => t.TrialId), onGpu.Select(t => t.TrialId));
    }

    [Fact]
    public void Adding_a_seed_keeps_the_existing_trials_ids()
    {
        var spec = Valid(Minimal);
        var more = spec with { Seeds = [0, 1, 2] };
        var before = SweepExpander.Expand(spec).Select(t => t.TrialId).ToHashSet();
        var after = SweepExpander.Expand(more).Select(t => t.TrialId).ToList();
        Assert.Equal(9, after.Count);
        Assert.True(before.IsSubsetOf(after));
    }

    [Fact]
    public void Id_is_sha256_prefix_of_the_canonical_sorted_json()
    {
        var spec = Valid(Minimal);
        var trial = SweepExpander.Expand(spec)[0];
        var canonical = TrialIdentity.CanonicalJson("t", "grpo", trial.Config, spec.Task, spec.Model, spec.Eval);
        Assert.StartsWith("{\"arm\":\"grpo\",\"config\":{\"clipHigh\":0.2,\"clipLow\":0.2,", canonical);
        Assert.Contains(",\"sweep\":\"t\",\"task\":{\"dataSeed\":1234,", canonical);
        var expected = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16].ToLowerInvariant();
        Assert.Equal(expected, trial.TrialId);
        Assert.Equal(TrialIdentity.Hash(TrialIdentity.CanonicalJson(null, "grpo", trial.Config, spec.Task, spec.Model, spec.Eval)), trial.ConfigHash);
    }

    [Fact]
    public void Pinned_axis_collapses_for_that_arm_only()
    {
        var spec = Valid(With(o =>
        {
            o["arms"] = N("[\"dsdr\", \"dsdr-no-gc\", \"dsdr-uniform\"]");
            o["grid"] = N("{\"tau\": [1, 5], \"lambdaL\": [0.001, 0.01]}");
            o["seeds"] = N("[0]");
        }));
        // dsdr: 2 × 2; no-gc pins λℓ and τ: one trial; uniform pins τ: two (λℓ) trials.
        Assert.Equal(["dsdr τ=1 λℓ=0.001", "dsdr τ=1 λℓ=0.01", "dsdr τ=5 λℓ=0.001", "dsdr τ=5 λℓ=0.01", "dsdr-no-gc", "dsdr-uniform λℓ=0.001", "dsdr-uniform λℓ=0.01"], SweepExpander.Expand(spec).Select(t => t.Row));
    }

    [Fact]
    public void Trial_json_is_camel_case_and_round_trips()
    {
        var trial = SweepExpander.Expand(Grid2x3())[5];
        var json = trial.ToJson();
        Assert.Contains("\"trialId\":\"" + trial.TrialId + "\"", json);
        Assert.Contains("\"gridPoint\":[{\"key\":\"lambdaD\",\"value\":0.001},{\"key\":\"tau\",\"value\":5}]", json);
        Assert.Contains("\"task\":{\"kind\":\"countdown\",\"numbers\":3,", json);
        var back = JsonSerializer.Deserialize<TrialSpec>(json, SweepJson.Options)!;
        Assert.Equal(trial.Config, back.Config);
        Assert.Equal(trial.GridPoint, back.GridPoint);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void Row_label_formats_each_grid_coordinate()
    {
        Assert.Equal("dsdr", SweepExpander.RowLabel("dsdr", []));
        Assert.Equal("dapo agg=seq-mean-token-sum std=false G=16",
            SweepExpander.RowLabel("dapo", [new("lossAggregation", LossAggregation.SeqMeanTokenSum), new("stdNormalize", false), new("groupSize", 16)]));
    }
}
