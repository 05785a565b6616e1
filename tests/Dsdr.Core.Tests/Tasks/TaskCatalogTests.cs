using Dsdr.Core.Formulas;
using Dsdr.Core.Tasks;

namespace Dsdr.Core.Tests.Tasks;

public class TaskCatalogTests
{
    private sealed class FixedFormulas : IFormulaExtractor
    {
        public IReadOnlySet<string> Extract(string response) => new HashSet<string> { "a+b" };
    }

    [Theory]
    [InlineData("countdown", typeof(CountdownTask))]
    [InlineData("arith", typeof(ArithTask))]
    [InlineData("math", typeof(MathTask))]
    [InlineData(" Math ", typeof(MathTask))]
    public void Gets_each_task_by_name(string name, Type type)
    {
        var task = TaskCatalog.Get(name, () => new FixedFormulas());
        Assert.IsType(type, task);
        Assert.Equal(name.Trim().ToLowerInvariant(), task.Name);
    }

    [Fact]
    public void Unknown_name_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskCatalog.Get("gsm8k"));
        Assert.Contains("gsm8k", e.Message);
        Assert.Contains("countdown, arith, math", e.Message);
    }

    [Fact]
    public void Arith_and_math_use_the_given_formula_extractor_countdown_its_own()
    {
        Assert.Equal(new HashSet<string> { "a+b" }, TaskCatalog.Get("arith", () => new FixedFormulas()).Formulas.Extract("x"));
        Assert.Equal(new HashSet<string> { "a+b" }, TaskCatalog.Get("math", () => new FixedFormulas()).Formulas.Extract("x"));
        Assert.Equal(new HashSet<string> { "3+5" }, TaskCatalog.Get("countdown", () => new FixedFormulas()).Formulas.Extract("5+3"));
    }

    [Fact]
    public void Verify_works_without_touching_the_formula_extractor()
    {
        Func<IFormulaExtractor> absent = () => throw new InvalidOperationException("not wired");
        Assert.True(TaskCatalog.Get("math", absent).Verify("\\boxed{14}", "14").Correct);
        Assert.True(TaskCatalog.Get("arith", absent).Verify("\\boxed{14}", "14").Correct);
        Assert.True(TaskCatalog.Get("countdown").Verify("Answer: 2*7", "2 7 -> 14").Correct);
    }

    [Fact]
    public void Default_formulas_is_the_spec_extractor_or_says_it_is_missing()
    {
        var type = typeof(TaskCatalog).Assembly.GetType("Dsdr.Core.Formulas.DefaultFormulaExtractor");
        if (type is null)
            Assert.Contains("DefaultFormulaExtractor", Assert.Throws<InvalidOperationException>(TaskCatalog.DefaultFormulas).Message);
        else
            Assert.IsType(type, TaskCatalog.DefaultFormulas());
    }
}
