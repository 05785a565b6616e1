using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Data;
using Xunit;

namespace Dsdr.Learning.Tests.Training;

/// <summary>A trial's math problems from Hugging Face layouts, folders and field mappings; a bad file fails the task whole.</summary>
public sealed class TaskDataFilesTests
{
    [Fact]
    public void A_trial_reads_dapo_rows_from_a_folder_and_a_mapped_benchmark()
    {
        var folder = TestModels.TempFolder();
        Directory.CreateDirectory(Path.Combine(folder, "dapo", "data"));
        File.WriteAllLines(Path.Combine(folder, "dapo", "data", "train.jsonl"),
        [
            """{"data_source":"math_dapo","prompt":[{"role":"user","content":"One plus one?"}],"reward_model":{"ground_truth":"2"}}""",
            """{"data_source":"math_dapo","prompt":[{"role":"user","content":"Two plus two?"}],"reward_model":{"ground_truth":"4"}}""",
        ]);
        File.WriteAllLines(Path.Combine(folder, "mine.jsonl"), ["""{"q":{"text":"Three?"},"labels":{"gold":"3"}}"""]);
        var data = TaskData.Create(new TaskSpec
        {
            Kind = TaskKind.Math, TrainPath = Path.Combine(folder, "dapo"),
            Benchmarks = [new BenchmarkFile("mine", Path.Combine(folder, "mine.jsonl"), "q.text", "labels.gold")],
        });
        Assert.Equal(["One plus one?", "Two plus two?"], data.Train.Select(p => p.Prompt));
        Assert.Equal(new Problem("mine", "1", "Three?", "3"), Assert.Single(data.HeldOut["mine"]));

        var broken = new TaskSpec
        {
            Kind = TaskKind.Math, TrainPath = Path.Combine(folder, "dapo"),
            Benchmarks = [new BenchmarkFile("mine", Path.Combine(folder, "mine.jsonl"), "q.text", "labels.answer")],
        };
        var e = Assert.Throws<TaskDataException>(() => TaskData.Create(broken));
        Assert.Contains($"{Path.Combine(folder, "mine.jsonl")}:1: no gold answer; expected \"labels.answer\"", e.Message);
    }
}
