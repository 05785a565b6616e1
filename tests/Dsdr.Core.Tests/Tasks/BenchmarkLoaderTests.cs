using Dsdr.Core.Tasks;

namespace Dsdr.Core.Tests.Tasks;

public sealed class BenchmarkLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dsdr-loader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Reads_the_common_row_shapes()
    {
        var path = Write("math500.jsonl",
            """{"problem":"What is 1+1?","answer":"2","unique_id":"test/algebra/1.json"}""",
            "",
            """{"question":"How many?","answer":14}""",
            """{"problem":"Half of one?","solution":"It is \\boxed{1} then \\boxed{\\frac{1}{2}}.","id":7}""",
            """{"question":"Gold field?","gold":"(1, 2)","id":null}""");
        var problems = BenchmarkLoader.Load(path);
        Assert.Equal(
            [
                new Problem("math500", "test/algebra/1.json", "What is 1+1?", "2"),
                new Problem("math500", "3", "How many?", "14"),
                new Problem("math500", "7", "Half of one?", "\\frac{1}{2}"),
                new Problem("math500", "5", "Gold field?", "(1, 2)"),
            ],
            problems);
    }

    [Fact]
    public void Dataset_name_and_prompt_template_can_be_given()
    {
        var path = Write("aime.jsonl", """{"problem":"Find n.","answer":"42"}""");
        var p = Assert.Single(BenchmarkLoader.Load(path, "aime24", text => text + " Put the answer in \\boxed{}."));
        Assert.Equal(new Problem("aime24", "1", "Find n. Put the answer in \\boxed{}.", "42"), p);
    }

    [Theory]
    [InlineData("{\"problem\":\"x\",\"answer\":\"1\"", "not valid JSON")]
    [InlineData("""[1,2]""", "expected a JSON object")]
    [InlineData("""{"answer":"1"}""", "no problem text")]
    [InlineData("""{"problem":"x"}""", "no gold answer")]
    [InlineData("""{"problem":"x","solution":"no box"}""", "has no \\boxed{}")]
    [InlineData("""{"problem":["x"],"answer":"1"}""", "field \"problem\" must be a string or a number")]
    [InlineData("""{"problem":"x","answer":"  "}""", "gold answer is empty")]
    public void A_malformed_line_names_file_line_and_fault(string badLine, string fault)
    {
        var path = Write("bad.jsonl", """{"problem":"fine","answer":"1"}""", badLine);
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkLoader.Load(path));
        Assert.StartsWith($"{path}:2: ", e.Message);
        Assert.Contains(fault, e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = Path.Combine(_folder, "absent.jsonl");
        var e = Assert.Throws<FileNotFoundException>(() => BenchmarkLoader.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Loaded_problems_verify_with_the_math_task()
    {
        var path = Write("m.jsonl", """{"problem":"Half?","answer":"\\frac{1}{2}"}""");
        var p = Assert.Single(BenchmarkLoader.Load(path));
        var math = new MathTask(() => throw new InvalidOperationException("formulas are not needed to verify"));
        Assert.True(math.Verify("So it is \\boxed{0.5}.", p.Gold).Correct);
    }
}
