using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>A local folder of the paper's datasets as a math task (dataDir), and field mappings in the spec.</summary>
public sealed class MathFolderSpecTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dsdr-math-folder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Data(string relative, string line)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, [line]);
    }

    private void PaperFolder()
    {
        Data("DAPO-Math-17k/data/dapo-math-17k.jsonl", """{"data_source":"math_dapo","prompt":[{"role":"user","content":"One?"}],"reward_model":{"ground_truth":"1"}}""");
        Data("MATH-500/test.jsonl", """{"problem":"Two?","answer":"2","unique_id":"t/1"}""");
        Data("aime24.jsonl", """{"Problem":"Three?","Answer":3,"ID":"2024-I-1"}""");
        Data(".cache/x.jsonl", """{"problem":"hidden","answer":"0"}""");
        File.WriteAllText(Path.Combine(_root, "README.md"), "not data");
    }

    private static string Spec(JsonObject task) => With(o => o["task"] = task);

    [Fact]
    public void A_folder_is_split_as_the_paper_DAPO_trains_the_rest_is_held_out()
    {
        PaperFolder();
        var spec = Valid(Spec(new JsonObject { ["kind"] = "math", ["dataDir"] = _root }));
        Assert.Equal(Path.Combine(_root, "DAPO-Math-17k"), spec.Task.TrainPath);
        Assert.Equal([new BenchmarkFile("MATH-500", Path.Combine(_root, "MATH-500")), new BenchmarkFile("aime24", Path.Combine(_root, "aime24.jsonl"))], spec.Task.Benchmarks);
        Assert.Equal(["MATH-500", "aime24"], spec.Task.BenchmarkNames);
        // the stored spec names the files each trial reads, and validates again as written
        Assert.Empty(SweepSpecParser.Validate(spec));
        Assert.Equal(new Problem("train", "1", "One?", "1"), Assert.Single(BenchmarkLoader.Load(spec.Task.TrainPath!, "train")));
        Assert.Equal(new Problem("aime24", "2024-I-1", "Three?", "3"), Assert.Single(BenchmarkLoader.Load(spec.Task.Benchmarks[1].Path, "aime24")));
    }

    [Fact]
    public void The_training_entry_can_be_named_and_unsplittable_folders_are_refused()
    {
        PaperFolder();
        var named = Valid(Spec(new JsonObject { ["kind"] = "math", ["dataDir"] = _root, ["trainSet"] = "MATH-500" }));
        Assert.Equal(Path.Combine(_root, "MATH-500"), named.Task.TrainPath);
        Assert.Equal(["DAPO-Math-17k", "aime24"], named.Task.BenchmarkNames);

        var unknown = SweepSpecParser.Parse(Spec(new JsonObject { ["kind"] = "math", ["dataDir"] = _root, ["trainSet"] = "gsm8k" }));
        var error = Assert.Single(unknown.Errors);
        Assert.Equal("$.task.dataDir", error.Path);
        Assert.Contains("no entry \"gsm8k\" (trainSet); its entries: DAPO-Math-17k, MATH-500, aime24", error.Reason);

        var missing = SweepSpecParser.Parse(Spec(new JsonObject { ["kind"] = "math", ["dataDir"] = Path.Combine(_root, "nope") }));
        Assert.Contains("no folder", Assert.Single(missing.Errors).Reason);

        var both = SweepSpecParser.Parse(Spec(new JsonObject { ["kind"] = "math", ["dataDir"] = _root, ["trainPath"] = "/d/t.jsonl" }));
        Assert.Equal("$.task.trainPath", Assert.Single(both.Errors).Path);
    }

    [Fact]
    public void A_dataDir_outside_the_data_roots_is_refused_before_it_is_listed()
    {
        PaperFolder();
        var inside = Directory.CreateDirectory(Path.Combine(_root, "roots")).FullName;
        var options = new SweepSpecParserOptions { DataRoots = [inside] };
        var result = SweepSpecParser.Parse(Spec(new JsonObject { ["kind"] = "math", ["dataDir"] = _root }), options);
        var error = Assert.Single(result.Errors);
        Assert.Equal("$.task.dataDir", error.Path);
        Assert.Contains("outside the platform's data roots", error.Reason);
        Assert.DoesNotContain("DAPO", error.Reason);
    }

    [Fact]
    public void Field_mappings_are_read_written_and_validated()
    {
        var spec = Valid(Spec(new JsonObject
        {
            ["kind"] = "math",
            ["trainPath"] = "/d/train.parquet",
            ["promptField"] = "meta.text",
            ["answerField"] = "labels.gold",
            ["benchmarks"] = new JsonArray(new JsonObject { ["name"] = "mine", ["path"] = "/d/mine.jsonl", ["answerField"] = "final" }),
        }));
        Assert.Equal(new FieldMapping("meta.text", "labels.gold"), spec.Task.TrainFields);
        Assert.Equal(new FieldMapping(null, "final"), Assert.Single(spec.Task.Benchmarks).Fields);
        var again = Valid(SweepSpecWriter.ToJson(spec));
        Assert.Equal(spec.Task.TrainFields, again.Task.TrainFields);
        Assert.Equal(spec.Task.Benchmarks, again.Task.Benchmarks);

        var bad = SweepSpecParser.Parse(Spec(new JsonObject { ["kind"] = "math", ["trainPath"] = "/d/t.jsonl", ["answerField"] = 3,
            ["benchmarks"] = new JsonArray(new JsonObject { ["name"] = "m", ["path"] = "/d/m.jsonl" }) }));
        Assert.Equal("$.task.answerField", Assert.Single(bad.Errors).Path);
    }
}
