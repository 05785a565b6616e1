using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Data;
using Xunit;

namespace Dsdr.Learning.Tests.Training;

public class TaskDataTests
{
    [Fact]
    public void Countdown_train_and_held_out_are_disjoint_compact_and_sized_as_asked()
    {
        var data = TaskData.Create(new TaskSpec { TrainSize = 300, HeldOutSize = 40 });
        Assert.Equal(300, data.Train.Count);
        var heldOut = Assert.Single(data.HeldOut);
        Assert.Equal("countdown", heldOut.Key);
        Assert.Equal(40, heldOut.Value.Count);
        Assert.Empty(data.Train.Select(p => p.Id).Intersect(heldOut.Value.Select(p => p.Id)));
        Assert.All(data.Train, p => Assert.Matches(@"^\d+ \d+ \d+=\d+:$", p.Prompt));
        Assert.All(data.Train.Take(20), p => Assert.True(data.Task.CountSolutions(p.Gold) >= 1));
        Assert.Equal(data.Train, TaskData.Create(new TaskSpec { TrainSize = 300, HeldOutSize = 40 }).Train);
    }

    [Fact]
    public void Arith_problems_are_verbose_and_math_reads_its_files()
    {
        var arith = TaskData.Create(new TaskSpec { Kind = TaskKind.Arith, Operands = 3, NumberRange = new(2, 9), TrainSize = 50, HeldOutSize = 10 });
        Assert.Equal(PromptStyle.Verbose, arith.Style);
        Assert.Contains("\\boxed", arith.Train[0].Prompt);
        Assert.All(arith.Train[0].Prompt, c => Assert.Contains(c, TaskData.CharAlphabet(TaskKind.Arith)));

        var folder = TestModels.TempFolder();
        File.WriteAllText(Path.Combine(folder, "train.jsonl"), "{\"problem\":\"1+1?\",\"answer\":\"2\"}\n");
        File.WriteAllText(Path.Combine(folder, "b.jsonl"), "{\"problem\":\"2+2?\",\"answer\":\"4\"}\n{\"problem\":\"3+3?\",\"answer\":\"6\"}\n");
        var math = TaskData.Create(new TaskSpec
        {
            Kind = TaskKind.Math, TrainPath = Path.Combine(folder, "train.jsonl"),
            Benchmarks = [new BenchmarkFile("B", Path.Combine(folder, "b.jsonl"))],
        });
        Assert.Single(math.Train);
        Assert.Equal(2, math.HeldOut["B"].Count);
    }

    [Fact]
    public void The_train_stream_is_a_seeded_permutation_per_epoch_and_resumes_from_its_cursor()
    {
        var problems = Enumerable.Range(0, 10).Select(i => new Problem("d", i.ToString(), $"p{i}", "g")).ToList();
        var stream = new TrainStream(problems, seed: 7);
        var firstEpoch = stream.Next(10);
        Assert.Equal(problems.Select(p => p.Id).Order(), firstEpoch.Select(p => p.Id).Order());
        Assert.NotEqual(problems.Select(p => p.Id), firstEpoch.Select(p => p.Id));
        var next = stream.Next(7);
        Assert.Equal(17, stream.Cursor);

        var resumed = new TrainStream(problems, seed: 7, cursor: 10);
        Assert.Equal(next, resumed.Next(7));
        Assert.NotEqual(firstEpoch, new TrainStream(problems, seed: 8).Next(10));
    }

    [Fact]
    public void Problems_that_cannot_be_made_or_read_are_a_task_data_error_with_the_generators_message()
    {
        // no sum, difference, product or quotient of numbers up to 100 reaches 999999: the generator gives up
        var unreachable = Assert.Throws<TaskDataException>(() => TaskData.Create(new TaskSpec { Numbers = 3, NumberRange = new(1, 100), TargetRange = new(999_999, 999_999) }));
        Assert.Contains("No reachable target in [999999, 999999]", unreachable.Message);
        var tooFew = Assert.Throws<TaskDataException>(() => TaskData.Create(new TaskSpec { NumberRange = new(1, 3), TrainSize = 10_000 }));
        Assert.Contains("distinct", tooFew.Message);
        var missing = Assert.Throws<TaskDataException>(() => TaskData.Create(new TaskSpec
        {
            Kind = TaskKind.Math, TrainPath = Path.Combine(TestModels.TempFolder(), "absent.jsonl"), Benchmarks = [],
        }));
        Assert.IsType<FileNotFoundException>(missing.InnerException);
    }
}
