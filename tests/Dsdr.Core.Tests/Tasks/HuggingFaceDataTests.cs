using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Core.Tasks;
using Dsdr.Tests.Shared;
using Parquet;
using Parquet.Serialization;

namespace Dsdr.Core.Tests.Tasks;

/// <summary>
/// The paper's datasets as Hugging Face publishes them: parquet files written by DuckDB (tests/node/parquet-fixtures.mjs,
/// an independent writer) in each public layout, JSONL in the same layouts, and parquet written here with Parquet.Net
/// and read back by DuckDB.
/// </summary>
public sealed class HuggingFaceDataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dsdr-hf-data-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Fixtures()
    {
        NodeReference.Script("parquet-fixtures.mjs", _folder);
        return _folder;
    }

    [NodeFact]
    public void Each_public_parquet_layout_is_recognised_and_read()
    {
        var dir = Fixtures();
        var expected = new (string File, string Layout, Problem First, Problem Second)[]
        {
            ("dapo-math-17k", "dapo-math-17k", new("train", "a-1", "What is $1+1$?", "2"), new("train", "a-2", "Find $x$ if $2x = 34$.", "17")),
            ("math500", "math500", new("train", "test/algebra/1.json", "Compute $\\frac{1}{2}+\\frac{1}{4}$.", "\\frac{3}{4}"), new("train", "test/algebra/2.json", "Solve $x^2=4$ for $x>0$.", "2")),
            ("aime2024", "aime2024", new("train", "2024-I-1", "Find the remainder when $7^{2024}$ is divided by $100$.", "1"), new("train", "2024-I-2", "How many positive divisors has $720$?", "30")),
            ("amc", "amc", new("train", "0", "What is $3 \\cdot 47$?", "141"), new("train", "1", "What is half of $5$?", "2.5")),
            ("olympiadbench", "olympiadbench", new("train", "1606", "Find all real $x$ with $x^2 = 9$.", "$3$, $-3$"), new("train", "1607", "Compute $2^{10}$.", "$1024$")),
            ("minerva", "minerva", new("train", "1", "A star has luminosity... compute $L$ in erg/s.", "3.83e33"), new("train", "2", "Give the speed of light in m/s.", "3e8")),
        };
        foreach (var (file, layout, first, second) in expected)
        {
            var read = BenchmarkLoader.Read(Path.Combine(dir, file + ".parquet"), "train");
            Assert.Equal(layout, read.Layout);
            Assert.Equal([first, second], read.Problems);
        }
    }

    [NodeFact]
    public void The_same_layouts_read_from_jsonl_as_from_parquet()
    {
        var dir = Fixtures();
        foreach (var file in new[] { "dapo-math-17k", "math500", "aime2024", "amc", "olympiadbench", "minerva" })
        {
            var rows = JsonDocument.Parse(NodeReference.Script("parquet-rows.mjs", Path.Combine(dir, file + ".parquet"))).RootElement;
            var jsonl = Path.Combine(dir, file + ".jsonl");
            File.WriteAllLines(jsonl, rows.EnumerateArray().Select(r => r.GetRawText()));
            var fromParquet = BenchmarkLoader.Read(Path.Combine(dir, file + ".parquet"), file);
            var fromJsonl = BenchmarkLoader.Read(jsonl, file);
            Assert.Equal(fromParquet.Layout, fromJsonl.Layout);
            // DuckDB's JSON spells 64-bit integers as strings and 141.0 as 141: the texts agree all the same
            Assert.Equal(fromParquet.Problems, fromJsonl.Problems);
        }
    }

    [NodeFact]
    public void A_field_mapping_reads_any_other_layout_through_nested_paths()
    {
        var dir = Fixtures();
        var read = BenchmarkLoader.Read(Path.Combine(dir, "custom.parquet"), "mine", mapping: new FieldMapping("meta.text", "labels.gold"));
        Assert.Equal("fields", read.Layout);
        Assert.Equal([new Problem("mine", "1", "What is $6 \\times 7$?", "42"), new Problem("mine", "2", "What is $9-4$?", "5")], read.Problems);
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkLoader.Read(Path.Combine(dir, "custom.parquet"), mapping: new FieldMapping("meta.text", "labels.answer")));
        Assert.StartsWith($"{Path.Combine(dir, "custom.parquet")}: row 1: no gold answer; expected \"labels.answer\"", e.Message);
        Assert.Contains("the row's fields: meta, labels", e.Message);
    }

    [NodeFact]
    public void Broken_parquet_files_name_file_row_and_field()
    {
        var dir = Fixtures();
        var noColumn = Path.Combine(dir, "no-answer.parquet");
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkLoader.Load(noColumn));
        Assert.StartsWith($"{noColumn}: row 1: no gold answer;", e.Message);
        Assert.Contains("\"answer\"", e.Message);

        var empty = Path.Combine(dir, "empty-answer.parquet");
        e = Assert.Throws<InvalidDataException>(() => BenchmarkLoader.Load(empty));
        Assert.Equal($"{empty}: row 2: field \"answer\": the gold answer is empty.", e.Message);

        var bytes = File.ReadAllBytes(Path.Combine(dir, "math500.parquet"));
        foreach (var keep in new[] { bytes.Length - 10, bytes.Length / 2, 3 })
        {
            var truncated = Path.Combine(dir, $"truncated-{keep}.parquet");
            File.WriteAllBytes(truncated, bytes[..keep]);
            e = Assert.Throws<InvalidDataException>(() => BenchmarkLoader.Load(truncated));
            Assert.StartsWith($"{truncated}: not a readable parquet file (", e.Message);
        }
        Assert.Throws<FileNotFoundException>(() => BenchmarkLoader.Load(Path.Combine(dir, "absent.parquet")));
    }

    [Fact]
    public void A_folder_reads_its_data_files_in_order_and_skips_the_rest()
    {
        var folder = Path.Combine(_folder, "MATH-500");
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        File.WriteAllText(Path.Combine(folder, "README.md"), "# not data");
        File.WriteAllLines(Path.Combine(folder, "data", "b.jsonl"), ["""{"problem":"B?","answer":"2"}"""]);
        File.WriteAllLines(Path.Combine(folder, "data", "a.jsonl"), ["""{"problem":"A?","answer":"1"}"""]);
        var read = BenchmarkLoader.Read(folder);
        Assert.Equal([new Problem("MATH-500", "data/a.jsonl:1", "A?", "1"), new Problem("MATH-500", "data/b.jsonl:1", "B?", "2")], read.Problems);
        Directory.CreateDirectory(Path.Combine(_folder, "empty"));
        Assert.Contains("holds no .parquet or .jsonl file", Assert.Throws<FileNotFoundException>(() => BenchmarkLoader.Read(Path.Combine(_folder, "empty"))).Message);
    }

    [Fact]
    public void Nothing_is_half_loaded_a_bad_last_row_fails_the_file()
    {
        var path = Path.Combine(_folder, "dapo.jsonl");
        File.WriteAllLines(path,
        [
            """{"data_source":"math_dapo","prompt":[{"role":"user","content":"One?"}],"reward_model":{"ground_truth":"1"}}""",
            """{"data_source":"math_dapo","prompt":[{"role":"user","content":"Two?"}],"reward_model":{"style":"rule-based"}}""",
        ]);
        var e = Assert.Throws<InvalidDataException>(() => BenchmarkLoader.Load(path));
        Assert.StartsWith($"{path}:2: no gold answer; expected \"reward_model.ground_truth\"", e.Message);
    }

    private sealed class Message
    {
        [JsonPropertyName("content")] public string Content { get; set; } = "";
        [JsonPropertyName("role")] public string Role { get; set; } = "";
    }

    private sealed class Reward
    {
        [JsonPropertyName("ground_truth")] public string GroundTruth { get; set; } = "";
        [JsonPropertyName("style")] public string Style { get; set; } = "rule-based";
    }

    private sealed class DapoRow
    {
        [JsonPropertyName("data_source")] public string DataSource { get; set; } = "math_dapo";
        [JsonPropertyName("prompt")] public List<Message> Prompt { get; set; } = [];
        [JsonPropertyName("reward_model")] public Reward RewardModel { get; set; } = new();
    }

    [NodeFact]
    public async Task Parquet_written_with_Parquet_Net_reads_back_the_same_in_DuckDB_and_here()
    {
        var path = Path.Combine(_folder, "written.parquet");
        var rows = Enumerable.Range(1, 40).Select(i => new DapoRow
        {
            Prompt = [new() { Role = "system", Content = "Be brief." }, new() { Role = "user", Content = $"What is {i}+{i}? ∑ 日本" }],
            RewardModel = new() { GroundTruth = (2 * i).ToString(System.Globalization.CultureInfo.InvariantCulture) },
        }).ToList();
        await using (var stream = File.Create(path)) await ParquetSerializer.SerializeAsync(rows, stream, new ParquetOptions { RowGroupSize = 16 });

        var duck = JsonDocument.Parse(NodeReference.Script("parquet-rows.mjs", path)).RootElement.EnumerateArray().ToList();
        Assert.Equal(40, duck.Count);
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal("math_dapo", duck[i].GetProperty("data_source").GetString());
            Assert.Equal($"What is {i + 1}+{i + 1}? ∑ 日本", duck[i].GetProperty("prompt")[1].GetProperty("content").GetString());
            Assert.Equal("user", duck[i].GetProperty("prompt")[1].GetProperty("role").GetString());
            Assert.Equal($"{2 * (i + 1)}", duck[i].GetProperty("reward_model").GetProperty("ground_truth").GetString());
        }
        var read = BenchmarkLoader.Read(path, "train");
        Assert.Equal("dapo-math-17k", read.Layout);
        Assert.Equal(rows.Select((r, i) => new Problem("train", $"{i + 1}", r.Prompt[1].Content, r.RewardModel.GroundTruth)), read.Problems);
    }
}
