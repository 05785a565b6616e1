using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Data;
using Dsdr.Learning.Sft;
using Xunit;

namespace Dsdr.Learning.Tests.Data;

/// <summary>Every task family declared in Core has its problem source in Learning, under the same name, and no source lacks a family.</summary>
public class TaskSourcesTests
{
    [Fact]
    public void Every_family_has_one_source_and_every_source_a_family()
    {
        Assert.Equal(TaskFamilies.Registry.Names, TaskSources.Registry.Names);
        foreach (var family in TaskFamilies.Registry.All)
            Assert.Equal(family.Name, TaskSources.Of(family.Kind).Name);
    }

    [Fact]
    public void Prompt_styles_are_the_family_s_compact_only_where_it_has_one()
    {
        Assert.Equal(PromptStyle.Compact, TaskSources.Of(TaskKind.Countdown).StyleFor(characterTokens: true));
        Assert.Equal(PromptStyle.Verbose, TaskSources.Of(TaskKind.Countdown).StyleFor(characterTokens: false));
        Assert.Equal(PromptStyle.Verbose, TaskSources.Of(TaskKind.Arith).StyleFor(characterTokens: true));
        Assert.Equal(PromptStyle.Verbose, TaskSources.Of(TaskKind.Math).StyleFor(characterTokens: true));
        Assert.Equal(PromptStyle.Verbose, SyntheticTasks.DefaultPromptStyle(TaskKind.Arith));
        Assert.Equal(PromptStyle.Compact, SyntheticTasks.DefaultPromptStyle(TaskKind.Countdown));
    }

    [Fact]
    public void Generated_problems_use_only_the_family_s_alphabet_and_a_files_family_has_none()
    {
        foreach (var family in TaskFamilies.Registry.All.Where(f => f.Generated))
        {
            var source = TaskSources.Of(family.Kind);
            var task = new TaskSpec { Kind = family.Kind, NumberRange = new(2, 9), TrainSize = 20, HeldOutSize = 5 };
            var problems = source.Problems(task, SplitPart.Train, 20, source.StyleFor(characterTokens: true));
            Assert.Equal(20, problems.Count);
            Assert.All(problems, p => Assert.All(p.Prompt, c => Assert.Contains(c, family.CharacterAlphabet)));
        }
        var math = new TaskSpec { Kind = TaskKind.Math };
        var e = Assert.Throws<NotSupportedException>(() => SyntheticTasks.Train(math));
        Assert.Contains("cover countdown and arith", e.Message);
        Assert.Throws<NotSupportedException>(() => SyntheticTasks.ExampleSource(math));
    }

    [Fact]
    public void A_kind_without_a_source_is_refused_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskSources.Of(new TaskKind("sudoku")));
        Assert.Contains("\"sudoku\" has no problem source", e.Message);
        Assert.Throws<TaskDataException>(() => TaskData.Create(new TaskSpec { Kind = new TaskKind("sudoku") }));
    }
}
