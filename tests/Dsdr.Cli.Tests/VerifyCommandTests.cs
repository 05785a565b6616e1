using System.Text.Json;

namespace Dsdr.Cli.Tests;

public class VerifyCommandTests
{
    [Theory]
    [InlineData("countdown", "(5+3)*8", "3 5 8 -> 64", true, "(5+3)*8")]
    [InlineData("countdown", "Answer: 5*8+3", "3 5 8 -> 64", false, "5*8+3")]
    [InlineData("math", @"so the answer is \boxed{\frac{1}{2}}", "0.5", true, @"\frac{1}{2}")]
    [InlineData("math", @"\boxed{2}", "1/2", false, "2")]
    [InlineData("arith", @"3*4=12, 12+5=17 \boxed{17}", "17", true, "17")]
    public void SingleAnswerPrintsVerdict(string task, string answer, string gold, bool correct, string extracted)
    {
        var result = CliRunner.Run("verify", "--task", task, "--answer", answer, "--gold", gold);
        Assert.Equal(0, result.Exit);
        var verdict = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(correct, verdict.GetProperty("correct").GetBoolean());
        Assert.Equal(extracted, verdict.GetProperty("extracted").GetString());
    }

    [Fact]
    public void JsonlWritesOneVerdictPerLineInOrder()
    {
        const string input = """
            {"task":"arith","answer":"\\boxed{28}","gold":"28"}
            {"task":"math","answer":"no answer here","gold":"1"}

            {"task":"countdown","answer":"8*(3+5)","gold":"3 5 8 -> 64"}
            """;
        var result = CliRunner.RunWithInput(input, "verify", "--jsonl", "-");
        Assert.Equal(0, result.Exit);
        var verdicts = result.Output.TrimEnd().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("correct").GetBoolean());
        Assert.Equal([true, false, true], verdicts);
    }

    [Theory]
    [InlineData("{\"task\":\"math\",\"answer\":\"1\"}", "-:1: \"gold\" must be a string")]
    [InlineData("{\"task\":\"chess\",\"answer\":\"1\",\"gold\":\"1\"}", "-:1: task: unknown task \"chess\"")]
    [InlineData("{\"task\":\"math\",\"answer\":\"1\",\"gold\":\"1\"}\n[1,2]", "-:2: expected an object")]
    [InlineData("{not json", "-:1: not valid JSON")]
    public void BadJsonlLineExitsTwoWithNothingWritten(string input, string message)
    {
        var result = CliRunner.RunWithInput(input, "verify", "--jsonl", "-");
        Assert.Equal(2, result.Exit);
        Assert.Equal("", result.Output);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public void MissingOptionsExitTwo()
    {
        var result = CliRunner.Run("verify", "--task", "math", "--answer", "1");
        Assert.Equal(2, result.Exit);
        Assert.Contains("--gold", result.Error);
    }
}
