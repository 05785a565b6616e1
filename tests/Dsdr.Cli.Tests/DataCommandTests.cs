using System.Text.Json;
using Dsdr.Tests.Shared;

namespace Dsdr.Cli.Tests;

public sealed class DataCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dsdr-data-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [NodeFact]
    public void Inspect_json_shows_layout_rows_and_first_problems_of_a_parquet_file()
    {
        NodeReference.Script("parquet-fixtures.mjs", _folder);
        var result = CliRunner.Run("data", "inspect", Path.Combine(_folder, "dapo-math-17k.parquet"), "--json", "--samples", "1");
        Assert.Equal(0, result.Exit);
        var root = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal("dapo-math-17k", root.GetProperty("layout").GetString());
        Assert.Equal(2, root.GetProperty("rows").GetInt32());
        var sample = Assert.Single(root.GetProperty("samples").EnumerateArray());
        Assert.Equal("What is $1+1$?", sample.GetProperty("prompt").GetString());
        Assert.Equal("2", sample.GetProperty("answer").GetString());
    }

    [Fact]
    public void Inspect_text_and_field_mapping()
    {
        var path = Path.Combine(_folder, "mine.jsonl");
        File.WriteAllLines(path, ["""{"q":{"text":"Six times seven?"},"a":42}""", """{"q":{"text":"Nine minus four?"},"a":5}"""]);
        var result = CliRunner.Run("data", "inspect", path, "--prompt-field", "q.text", "--answer-field", "a");
        Assert.Equal(0, result.Exit);
        Assert.Contains("layout: fields", result.Output);
        Assert.Contains("rows:   2", result.Output);
        Assert.Contains("[1] prompt: Six times seven?", result.Output);
        Assert.Contains("[2] answer: 5", result.Output);
    }

    [NodeFact]
    public void Unreadable_files_exit_2_with_the_loaders_error()
    {
        NodeReference.Script("parquet-fixtures.mjs", _folder);
        var noColumn = Path.Combine(_folder, "no-answer.parquet");
        var result = CliRunner.Run("data", "inspect", noColumn, "--json");
        Assert.Equal(2, result.Exit);
        Assert.StartsWith($"dsdr: {noColumn}: row 1: no gold answer;", result.Error);
        var truncated = Path.Combine(_folder, "cut.parquet");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Path.Combine(_folder, "math500.parquet"))[..100]);
        result = CliRunner.Run("data", "inspect", truncated);
        Assert.Equal(2, result.Exit);
        Assert.Contains($"{truncated}: not a readable parquet file", result.Error);
        result = CliRunner.Run("data", "inspect", Path.Combine(_folder, "absent.jsonl"));
        Assert.Equal(2, result.Exit);
        Assert.Contains("absent.jsonl does not exist", result.Error);
    }
}
