using System.Diagnostics;
using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

/// <summary>
/// Cross-check against an independent PyTorch computation (bench/pytorch/loss_crosscheck.py) of the group advantages
/// and the total DSDR loss, its components and its gradient, on the fixed batch bench/pytorch/fixtures/loss_batch.json.
/// The committed fixtures/loss_expected.json was produced by that script with Debian's python3-torch; where
/// /usr/bin/python3 can import torch, the script is also run live.
/// </summary>
public class PyTorchCrossCheckTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;
    private const string Python = PyTorchReference.Python;

    [Fact]
    public void AdvantagesAndLossMatchTheCommittedPyTorchValues()
    {
        var fixture = ReadJson("loss_batch.json");
        var expected = ReadJson("loss_expected.json");
        CompareWithPyTorch(fixture.RootElement, expected.RootElement);
    }

    [Fact]
    public void AdvantagesAndLossMatchALivePyTorchRun()
    {
        // .ci/run installs Debian's python3-torch, so CI always runs this; elsewhere it says what is missing.
        Assert.True(PythonTorchAvailable(), $"{Python} cannot import torch: apt-get install -y python3-torch libopenblas0-pthread");
        var script = Path.Combine(BenchFolder(), "loss_crosscheck.py");
        var (exitCode, stdout, stderr) = Run(Python, $"\"{script}\" \"{Path.Combine(BenchFolder(), "fixtures", "loss_batch.json")}\"");
        Assert.True(exitCode == 0, $"loss_crosscheck.py failed ({exitCode}): {stderr}");
        using var live = JsonDocument.Parse(stdout);
        output.WriteLine($"live PyTorch {live.RootElement.GetProperty("torch_version").GetString()}");
        var fixture = ReadJson("loss_batch.json");
        CompareWithPyTorch(fixture.RootElement, live.RootElement);

        // the committed values must be what the script produces now (regenerate them with --out if the script changed)
        var committed = ReadJson("loss_expected.json").RootElement;
        T.Close(Doubles(live.RootElement.GetProperty("advantages")), Doubles(committed.GetProperty("advantages")), 1e-12);
        foreach (var (a, b) in live.RootElement.GetProperty("cases").EnumerateArray().Zip(committed.GetProperty("cases").EnumerateArray()))
            T.Close(a.GetProperty("total").GetDouble(), b.GetProperty("total").GetDouble(), 1e-12);
    }

    // the fixture names aggregations as C# members ("SeqMeanTokenSum"); the registry as specs do ("seq-mean-token-sum")
    private static string KebabCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private void CompareWithPyTorch(JsonElement fixture, JsonElement expected)
    {
        var n = fixture.GetProperty("sequences").GetInt64();
        var t = fixture.GetProperty("response_length").GetInt64();
        var v = fixture.GetProperty("vocabulary").GetInt64();

        var advantages = fixture.GetProperty("shaped_rewards").EnumerateArray()
            .SelectMany(group => Dsdr.Core.Method.DsdrMath.GroupAdvantages(Doubles(group), 1e-6)).ToArray();
        T.Close(Doubles(expected.GetProperty("advantages")), advantages, Tolerance);
        Assert.Contains(advantages, a => Math.Abs(a) > 0.5); // the batch exercises non-trivial advantages

        var cases = fixture.GetProperty("cases").EnumerateArray().ToArray();
        var results = expected.GetProperty("cases").EnumerateArray().ToArray();
        Assert.Equal(cases.Length, results.Length);
        Assert.True(cases.Length >= 4);
        for (var c = 0; c < cases.Length; c++)
        {
            using var scope = NewDisposeScope();
            var spec = cases[c];
            var want = results[c];
            Assert.Equal(spec.GetProperty("name").GetString(), want.GetProperty("name").GetString());
            var config = new PolicyLossConfig(
                ClipLow: spec.GetProperty("clip_low").GetDouble(),
                ClipHigh: spec.GetProperty("clip_high").GetDouble(),
                DualClip: spec.GetProperty("dual_clip").ValueKind == JsonValueKind.Null ? null : spec.GetProperty("dual_clip").GetDouble(),
                Aggregation: KebabCase(spec.GetProperty("aggregation").GetString()!),
                LambdaLocal: spec.GetProperty("lambda_local").GetDouble(),
                KlBeta: spec.GetProperty("kl_beta").GetDouble(),
                KlEstimator: Enum.Parse<KlEstimator>(spec.GetProperty("kl_estimator").GetString()!));
            var batch = new PolicyLossBatch(
                Tokens: T.L(Longs(fixture.GetProperty("tokens")), n, t),
                OldLogProbs: T.D(Doubles(fixture.GetProperty("old_log_probs")), n, t),
                Mask: T.D(Doubles(fixture.GetProperty("mask")), n, t),
                Advantages: T.D(advantages, n),
                CouplingWeights: T.D(Doubles(fixture.GetProperty("coupling_weights")), n),
                GroupIndex: T.L(Longs(fixture.GetProperty("group_index")), n),
                RefLogProbs: config.KlBeta > 0 ? T.D(Doubles(fixture.GetProperty("ref_log_probs")), n, t) : null);
            var logits = T.Leaf(Doubles(fixture.GetProperty("logits")), n, t, v);

            var result = DsdrLoss.Compute(logits, batch, config);
            result.Loss.backward();
            var got = result.Components;
            var name = spec.GetProperty("name").GetString();
            output.WriteLine($"{name}: total C# {got.Total:R} PyTorch {want.GetProperty("total").GetDouble():R}");

            T.Close(want.GetProperty("total").GetDouble(), got.Total, Tolerance);
            T.Close(want.GetProperty("total").GetDouble(), result.Loss.ToDouble(), Tolerance);
            T.Close(want.GetProperty("policy_loss").GetDouble(), got.PolicyLoss, Tolerance);
            T.Close(want.GetProperty("local_term").GetDouble(), got.LocalTerm, Tolerance);
            if (want.GetProperty("kl").ValueKind == JsonValueKind.Null)
                Assert.Null(got.Kl);
            else
                T.Close(want.GetProperty("kl").GetDouble(), got.Kl!.Value, Tolerance);
            T.Close(want.GetProperty("clip_fraction_low").GetDouble(), got.ClipFractions.Low, Tolerance);
            T.Close(want.GetProperty("clip_fraction_high").GetDouble(), got.ClipFractions.High, Tolerance);
            T.Close(want.GetProperty("clip_fraction_dual").GetDouble(), got.ClipFractions.Dual, Tolerance);
            T.Close(want.GetProperty("entropy").GetDouble(), got.Entropy, Tolerance);
            T.Close(want.GetProperty("approx_kl_to_old").GetDouble(), got.ApproxKlToOld, Tolerance);
            T.Close(Doubles(want.GetProperty("logits_gradient")), T.Values(logits.grad!), Tolerance);
        }
    }

    // Test-local stand-in for Core's DsdrMath.GroupAdvantages (not in this branch yet):
    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static JsonDocument ReadJson(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(BenchFolder(), "fixtures", name)));

    private static string BenchFolder() => PyTorchReference.BenchFolder();

    private static bool PythonTorchAvailable() => PyTorchReference.Available();

    private static (int ExitCode, string Stdout, string Stderr) Run(string file, string arguments) => PyTorchReference.Run(file, arguments);
}
