using System.Text.Json;

namespace Dsdr.Cli.Tests;

public class ScoreCommandTests
{
    private static JsonElement[] Rollouts(CliRunner.Result result)
    {
        Assert.True(result.Exit == 0, result.Error);
        return [.. JsonDocument.Parse(result.Output).RootElement.GetProperty("rollouts").EnumerateArray()];
    }

    [Fact]
    public void HandComputedGroupWithGivenEmbeddings()
    {
        // z̄ = (1,0), (0,1), (1,0); r = 1, 1, 0; one distinct formula each for the correct two.
        // e_01 = ½, e_02 = 0, e_12 = ½ → D_emb = (¼, ½, ¼); D_eq = (1, 1, 0) → d = (5/8, 3/4, 1/8).
        // λ_d = 0.1: r̃ = (1.0625, 1.075, 0); mean = 0.7125; sample std = sqrt(((0.35)² + (0.3625)² + (0.7125)²)/2).
        // τ = 5: w_0 = e^{5·5/8}/(e^{5·5/8} + e^{5·3/4}) = 1/(1 + e^{0.625}).
        const string input = """
            {"config":{"lambdaD":0.1,"tau":5},
             "rollouts":[
               {"text":"so $2+3=5$","reward":1,"embedding":[2,0]},
               {"text":"so $1+4=5$","reward":1,"embedding":[0,3]},
               {"text":"no idea","reward":0,"embedding":[1,0]}]}
            """;
        var rows = Rollouts(CliRunner.RunWithInput(input, "score"));
        double[] d = [5.0 / 8, 3.0 / 4, 1.0 / 8];
        double[] shaped = [1.0625, 1.075, 0];
        var std = Math.Sqrt((0.35 * 0.35 + 0.3625 * 0.3625 + 0.7125 * 0.7125) / 2);
        var w0 = 1 / (1 + Math.Exp(0.625));
        double[] weights = [w0, 1 - w0, 0];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(d[i], rows[i].GetProperty("diversity").GetDouble(), 1e-9);
            Assert.Equal(d[i], rows[i].GetProperty("clipped").GetDouble(), 1e-9);
            Assert.Equal(shaped[i], rows[i].GetProperty("shapedReward").GetDouble(), 1e-9);
            Assert.Equal((shaped[i] - 0.7125) / (std + 1e-6), rows[i].GetProperty("advantage").GetDouble(), 1e-9);
            Assert.Equal(weights[i], rows[i].GetProperty("weight").GetDouble(), 1e-9);
        }
        Assert.Equal(0.25, rows[0].GetProperty("semantic").GetDouble(), 1e-9);
        Assert.Equal(1, rows[1].GetProperty("formula").GetDouble(), 1e-9);
        Assert.Equal("2+3=5", rows[0].GetProperty("formulas")[0].GetString());
    }

    [Fact]
    public void RolloutsWithoutRewardAreVerifiedAgainstTheTask()
    {
        const string input = """
            {"task":{"kind":"countdown","gold":"3 5 8 -> 64"},
             "rollouts":[{"text":"(5+3)*8","embedding":[1,0]},{"text":"8*(3+5)","embedding":[0,1]},{"text":"5*8+3","embedding":[1,1]}]}
            """;
        var rows = Rollouts(CliRunner.RunWithInput(input, "score"));
        Assert.Equal([1.0, 1.0, 0.0], rows.Select(r => r.GetProperty("reward").GetDouble()));
        // Countdown's formulas are canonical solution keys: the two rewrites share one, so neither is unique.
        Assert.Equal(0, rows[0].GetProperty("formula").GetDouble());
        Assert.Equal(rows[0].GetProperty("formulas")[0].GetString(), rows[1].GetProperty("formulas")[0].GetString());
    }

    [Fact]
    public void MissingEmbeddingsComeFromTheFrozenEncoder()
    {
        const string input = """
            {"rollouts":[{"text":"The cat sits on the mat.","reward":1},{"text":"A cat is sitting on a mat.","reward":1},{"text":"Stock prices fell sharply today.","reward":1}]}
            """;
        var rows = Rollouts(CliRunner.RunWithInput(input, "score"));
        var semantic = rows.Select(r => r.GetProperty("semantic").GetDouble()).ToArray();
        Assert.True(semantic[2] > semantic[0] && semantic[2] > semantic[1], $"the unrelated sentence should be the most distant: {string.Join(", ", semantic)}");
        Assert.All(rows, r => Assert.NotEqual(0, r.GetProperty("advantage").GetDouble()));
    }

    [Theory]
    [InlineData("""{"rollouts":[]}""", "$.rollouts: required")]
    [InlineData("""{"rollouts":[{"text":"a"}]}""", "$.rollouts[0].reward: missing")]
    [InlineData("""{"config":{"tau":-1},"rollouts":[{"text":"a","reward":1,"embedding":[1]}]}""", "$.config:")]
    [InlineData("""{"config":{"sigmaD":"x"},"rollouts":[{"text":"a","reward":1,"embedding":[1]}]}""", "$.config.sigmaD: must be a finite number")]
    [InlineData("""{"config":{"lambda":1},"rollouts":[{"text":"a","reward":1,"embedding":[1]}]}""", "$.config.lambda: unknown field")]
    [InlineData("""{"config":{"semanticNeighbours":"all"},"rollouts":[{"text":"a","reward":1,"embedding":[1]}]}""", "$.config.semanticNeighbours: must be")]
    [InlineData("""{"config":{"advantageEstimator":"ppo"},"rollouts":[{"text":"a","reward":1,"embedding":[1]}]}""", "$.config.advantageEstimator: must be one of \"grpo\"")]
    [InlineData("""{"task":{"kind":"chess","gold":"1"},"rollouts":[{"text":"a"}]}""", "$.task.kind: unknown task \"chess\"")]
    [InlineData("""{"rollouts":[{"text":"a","reward":1,"embedding":[1,0]},{"text":"b","reward":1,"embedding":[1]}]}""", "rollouts[1].embedding: has 1 dimensions")]
    [InlineData("""{"rollouts":[{"text":"a","reward":1,"embedding":[0,0]}]}""", "rollouts[0].embedding: has zero or non-finite length")]
    [InlineData("""{"rollouts":[{"text":1,"reward":1}]}""", "$.rollouts[0].text: required, a string")]
    [InlineData("""{"rollouts":[{"text":"a","reward":"yes"}]}""", "$.rollouts[0].reward: must be a finite number")]
    [InlineData("""[1,2]""", "$: expected an object")]
    [InlineData("""{"rollouts": """, "$: not valid JSON")]
    public void BadInputExitsTwoNamingTheField(string input, string message)
    {
        var result = CliRunner.RunWithInput(input, "score", "-");
        Assert.Equal(2, result.Exit);
        Assert.Equal("", result.Output);
        Assert.Contains(message, result.Error);
    }
}
