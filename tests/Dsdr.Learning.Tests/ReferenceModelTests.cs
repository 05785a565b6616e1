using System.Text.Json;
using Dsdr.Learning.Checkpoints;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests;

/// <summary>
/// Against an independent implementation: bench/pytorch/qwen2_reference.py (written after Hugging Face's Qwen2
/// modelling code, run with PyTorch 1.13) wrote the checkpoint in bench/pytorch/fixtures/qwen2_tiny — its own
/// safetensors writer, GQA, q/k/v biases, untied head, rope_theta 1000 — and its logits for a left-padded batch.
/// Regenerate with: /usr/bin/python3 bench/pytorch/qwen2_reference.py fixture bench/pytorch/fixtures/qwen2_tiny
/// </summary>
public class ReferenceModelTests
{
    private static string FixtureFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln")))
                return Path.Combine(dir.FullName, "bench", "pytorch", "fixtures", "qwen2_tiny");
        throw new DirectoryNotFoundException("Cannot find the repository root (Dsdr.sln) above the test binary.");
    }

    [Fact]
    public void LogitsMatchThePyTorchReferenceOnItsOwnCheckpoint()
    {
        var folder = FixtureFolder();
        using var model = Checkpoint.Load(folder);   // strict: every Hugging Face name present, none extra
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_logits.json"))).RootElement;
        long[][] Rows(string name) => expected.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var ids = Rows("ids");
        var mask = Rows("mask");
        var logits = expected.GetProperty("logits").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray()).ToArray();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var actual = model.Forward(tensor(ids.SelectMany(r => r).ToArray(), [ids.Length, ids[0].Length]),
                                   tensor(mask.SelectMany(r => r).ToArray(), [mask.Length, mask[0].Length]));
        var worst = 0.0;
        for (var b = 0; b < ids.Length; b++)
            for (var t = 0; t < ids[b].Length; t++)
            {
                if (mask[b][t] == 0) continue;
                var row = actual[b, t].data<float>().ToArray();
                for (var v = 0; v < row.Length; v++) worst = Math.Max(worst, Math.Abs(row[v] - logits[b][t][v]));
            }
        Assert.True(worst < 5e-5, $"logits differ from the PyTorch reference by up to {worst}");
        Assert.True(logits.SelectMany(r => r).SelectMany(p => p).Max(Math.Abs) > 1, "the fixture's logits are not trivial");
    }
}
