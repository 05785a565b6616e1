using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;

namespace Dsdr.Core.Tests.Tasks;

/// <summary>The task families are one registry; the spec's task section, its summary and the verifiers come from it.</summary>
public class TaskFamilyTests
{
    [Fact]
    public void The_registry_lists_the_built_in_families_in_spec_order_each_with_its_verifier()
    {
        // the built-ins first, in the order specs, forms and "use one of …" listed them before the registry; a new family comes after
        Assert.Equal(["countdown", "arith", "math"], TaskFamilies.Registry.Names.Take(3));
        Assert.Equal(TaskFamilies.Registry.Names, TaskCatalog.Names);
        foreach (var family in TaskFamilies.Registry.All)
        {
            Assert.Equal("kind", family.Properties[0]);
            Assert.Equal(family.Properties.Count, family.Properties.Distinct().Count());
            Assert.Equal(family.Name, family.Verifier(TaskCatalog.DefaultFormulas).Name);
            Assert.Same(family, family.Kind.Family);
            Assert.False(string.IsNullOrWhiteSpace(family.Label));
        }
        Assert.Equal([true, true, false], TaskFamilies.Registry.All.Take(3).Select(f => f.Generated));
    }

    // The text each family wrote before the registry (SweepSpecWriter switched on the enum): trial ids hash this text.
    [Theory]
    [InlineData("countdown", """{"kind":"countdown","numbers":3,"numberRange":{"min":1,"max":20},"targetRange":{"min":1,"max":100},"targets":"uniform","minSolutions":1,"trainSize":10000,"heldOutSize":200,"dataSeed":1234}""")]
    [InlineData("arith", """{"kind":"arith","operands":4,"numberRange":{"min":1,"max":20},"trainSize":10000,"heldOutSize":200,"dataSeed":1234}""")]
    [InlineData("math", """{"kind":"math","benchmarks":[]}""")]
    public void A_default_task_of_each_family_is_written_as_before_and_reads_back(string kind, string expected)
    {
        var task = new TaskSpec { Kind = new TaskKind(kind) };
        var json = JsonSerializer.Serialize(task);
        Assert.Equal(expected, json);
        if (kind == "math") return; // a math task needs its trainPath to read back (the next test)
        Assert.Equal(json, JsonSerializer.Serialize(JsonSerializer.Deserialize<TaskSpec>(json)));
    }

    [Fact]
    public void A_math_task_round_trips_its_files_and_names_its_benchmarks()
    {
        var task = new TaskSpec
        {
            Kind = TaskKind.Math, TrainPath = "/d/train.jsonl", AnswerField = "reward_model.ground_truth",
            Benchmarks = [new BenchmarkFile("AIME", "/d/aime.jsonl"), new BenchmarkFile("MATH500", "/d/m.parquet", PromptField: "q")],
        };
        var json = JsonSerializer.Serialize(task);
        Assert.Equal("""{"kind":"math","trainPath":"/d/train.jsonl","answerField":"reward_model.ground_truth","benchmarks":[{"name":"AIME","path":"/d/aime.jsonl"},{"name":"MATH500","path":"/d/m.parquet","promptField":"q"}]}""", json);
        var read = JsonSerializer.Deserialize<TaskSpec>(json)!;
        Assert.Equal(["AIME", "MATH500"], read.BenchmarkNames);
        Assert.Equal(json, JsonSerializer.Serialize(read));
    }

    [Fact]
    public void A_task_kind_is_written_as_its_name_and_an_unknown_name_is_refused_listing_the_known_ones()
    {
        Assert.Equal("\"arith\"", JsonSerializer.Serialize(TaskKind.Arith));
        Assert.Equal(TaskKind.Countdown, JsonSerializer.Deserialize<TaskKind>("\"countdown\""));
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TaskKind>("\"sudoku\""));
        Assert.StartsWith("unknown task kind \"sudoku\"; use one of countdown, arith, math", e.Message);
        Assert.Equal(TaskFamilies.Registry.UnknownReason("sudoku"), e.Message);
        Assert.Throws<ArgumentException>(() => new TaskKind("sudoku").Family);
    }

    [Fact]
    public void The_summary_and_the_capacity_are_the_family_s()
    {
        Assert.Equal("arith with 2 operands from [2, 4], 10000 training / 200 held-out problems (data seed 1234)",
            TaskKind.Arith.Family.Summary(new TaskSpec { Kind = TaskKind.Arith, Operands = 2, NumberRange = new(2, 4) }));
        Assert.Null(TaskCapacity.Of(new TaskSpec { Kind = TaskKind.Math }));
        // 2 terms of 2 factors from 3 values with one free sign: 3^4 · 2 = 162 expressions
        var arith = TaskCapacity.Of(new TaskSpec { Kind = TaskKind.Arith, Operands = 2, NumberRange = new(2, 4) })!;
        Assert.True(arith.Exact);
        Assert.Equal(162, arith.Total);
        var problem = Assert.Single(TaskCapacity.Problems(new TaskSpec { Kind = TaskKind.Arith, Operands = 2, NumberRange = new(2, 4), TrainSize = 1000, HeldOutSize = 10 }));
        Assert.Equal("$.task.trainSize", problem.Path);
        Assert.Equal("the task has only 144 distinct training problems (2 products of two factors from [2, 4]), 1000 requested; lower trainSize to at most 144, or widen numberRange", problem.Reason);
    }
}
