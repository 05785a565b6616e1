using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;

namespace Dsdr.Cli.Commands;

/// <summary>`dsdr score`: DSDR's reward-side quantities (D_emb, D_eq, d, d̄, r̃, A, w) for one group of rollouts.</summary>
internal static class ScoreCommand
{
    internal sealed record Rollout(string Text, double? Reward, float[]? Embedding);

    internal sealed record Request(ScoringConfig Config, IReasoningTask? Task, string? Gold, IReadOnlyList<Rollout> Rollouts);

    public static Command Create(CliIo io, Func<IEmbedder>? embedder = null)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "Group JSON {\"config\",\"task\",\"rollouts\"}; '-' or nothing reads standard input.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var score = new Command("score", "Score one group of rollouts with DSDR's formulas; prints one object per rollout in input order.") { file };
        score.SetAction(parse =>
        {
            var request = Parse(CliFiles.ReadAllText(parse.GetValue(file), io, "group file"));
            io.Output.WriteLine(Score(request, embedder).ToJsonString(CliJson.Compact));
            return CliExit.Ok;
        });
        return score;
    }

    internal static JsonObject Score(Request request, Func<IEmbedder>? embedder)
    {
        var rollouts = request.Rollouts;
        var rewards = rollouts.Select(r => r.Reward ?? (request.Task!.Verify(r.Text, request.Gold!).Correct ? 1.0 : 0.0)).ToArray();
        var extractor = request.Task?.Formulas ?? DefaultFormulaExtractor.Instance;
        var formulas = rollouts.Select(r => extractor.Extract(r.Text)).ToArray();
        var scores = GroupScorer.Score(rewards, Embeddings(rollouts, embedder), formulas, request.Config);
        var rows = new JsonArray();
        for (var i = 0; i < rollouts.Count; i++)
        {
            rows.Add(new JsonObject
            {
                ["reward"] = rewards[i],
                ["formulas"] = new JsonArray([.. formulas[i].Select(f => (JsonNode?)f)]),
                ["semantic"] = scores.Semantic[i],
                ["formula"] = scores.Formula[i],
                ["diversity"] = scores.Diversity[i],
                ["clipped"] = scores.Clipped[i],
                ["shapedReward"] = scores.ShapedRewards[i],
                ["advantage"] = scores.Advantages[i],
                ["weight"] = scores.Weights[i],
            });
        }
        return new JsonObject { ["rollouts"] = rows };
    }

    /// <summary>z̄_i = f(o_i)/‖f(o_i)‖: given embeddings are normalised; missing ones come from the frozen encoder.</summary>
    private static IReadOnlyList<float[]> Embeddings(IReadOnlyList<Rollout> rollouts, Func<IEmbedder>? embedder)
    {
        var missing = rollouts.Select((r, i) => (r, i)).Where(p => p.r.Embedding is null).Select(p => p.i).ToList();
        if (missing.Count > 0 && embedder is null)
            throw new CliInputException($"rollouts[{missing[0]}].embedding: missing, and no sentence encoder is available; give an embedding for every rollout.");
        var computed = missing.Count > 0 ? embedder!().Embed([.. missing.Select(i => rollouts[i].Text)]) : [];
        var result = rollouts.Select(r => r.Embedding).ToArray();
        for (var m = 0; m < missing.Count; m++) result[missing[m]] = computed[m];
        var dimension = result[0]!.Length;
        for (var i = 0; i < result.Length; i++)
        {
            if (result[i]!.Length != dimension)
                throw new CliInputException($"rollouts[{i}].embedding: has {result[i]!.Length} dimensions but rollouts[0] has {dimension}; give every rollout an embedding of one size.");
            result[i] = Normalized(result[i]!, i);
        }
        return result!;
    }

    private static float[] Normalized(float[] vector, int index)
    {
        var norm = Math.Sqrt(vector.Sum(x => (double)x * x));
        if (!(norm > 0) || !double.IsFinite(norm))
            throw new CliInputException($"rollouts[{index}].embedding: has zero or non-finite length; it cannot be normalised.");
        return [.. vector.Select(x => (float)(x / norm))];
    }

    internal static Request Parse(string json)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true }) as JsonObject
                ?? throw new CliInputException("$: expected an object {\"config\", \"task\", \"rollouts\"}.");
        }
        catch (JsonException e)
        {
            throw new CliInputException($"$: not valid JSON ({e.Message}).");
        }
        RejectUnknown(root, "$", "config", "task", "rollouts");
        var config = ParseConfig(root["config"]);
        var (task, gold) = ParseTask(root["task"]);
        if (root["rollouts"] is not JsonArray items || items.Count == 0)
            throw new CliInputException("$.rollouts: required, a non-empty array of {\"text\", \"reward\", \"embedding\"}.");
        var rollouts = new List<Rollout>();
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"$.rollouts[{i}]";
            if (items[i] is not JsonObject item) throw new CliInputException($"{path}: expected an object {{\"text\", \"reward\", \"embedding\"}}.");
            RejectUnknown(item, path, "text", "reward", "embedding");
            var text = item["text"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : throw new CliInputException($"{path}.text: required, a string.");
            double? reward = item["reward"] is null ? null : Number(item["reward"], $"{path}.reward");
            if (reward is null && task is null)
                throw new CliInputException($"{path}.reward: missing, and no \"task\" is given to verify the rollout; add a reward or a task {{\"kind\", \"gold\"}}.");
            rollouts.Add(new Rollout(text, reward, item["embedding"] is null ? null : Vector(item["embedding"], $"{path}.embedding")));
        }
        return new Request(config, task, gold, rollouts);
    }

    private static ScoringConfig ParseConfig(JsonNode? node)
    {
        var config = new ScoringConfig();
        if (node is null) return config;
        if (node is not JsonObject fields) throw new CliInputException("$.config: expected an object.");
        RejectUnknown(fields, "$.config", "lambdaD", "tau", "sigmaD", "epsilon", "stdNormalize", "semanticNeighbours", "advantageEstimator");
        foreach (var (name, value) in fields)
        {
            var path = $"$.config.{name}";
            config = name switch
            {
                "lambdaD" => config with { LambdaD = Number(value, path) },
                "tau" => config with { Tau = Number(value, path) },
                "sigmaD" => config with { SigmaD = Number(value, path) },
                "epsilon" => config with { Epsilon = Number(value, path) },
                "stdNormalize" => config with
                {
                    StdNormalize = value is JsonValue b && b.TryGetValue<bool>(out var flag) ? flag : throw new CliInputException($"{path}: must be true or false."),
                },
                "advantageEstimator" => config with
                {
                    AdvantageEstimator = value is JsonValue e && e.TryGetValue<string>(out var estimator) && MethodRegistries.AdvantageEstimators.TryGet(estimator, out _)
                        ? estimator
                        : throw new CliInputException($"{path}: must be one of {string.Join(", ", MethodRegistries.AdvantageEstimators.Names.Select(n => $"\"{n}\""))}."),
                },
                _ => config with
                {
                    SemanticNeighbours = value is JsonValue n && n.TryGetValue<string>(out var s) && SemanticNeighboursJsonConverter.TryParse(s, out var neighbours)
                        ? neighbours
                        : throw new CliInputException($"{path}: must be \"{SemanticNeighboursJsonConverter.GroupName}\" or \"{SemanticNeighboursJsonConverter.CorrectOnlyName}\"."),
                },
            };
        }
        try
        {
            GroupScorer.ValidateConfig(config);
        }
        catch (ArgumentException e)
        {
            throw new CliInputException($"$.config: {e.Message}");
        }
        return config;
    }

    private static (IReasoningTask? Task, string? Gold) ParseTask(JsonNode? node)
    {
        if (node is null) return (null, null);
        if (node is not JsonObject fields) throw new CliInputException("$.task: expected an object {\"kind\", \"gold\"}.");
        RejectUnknown(fields, "$.task", "kind", "gold");
        var kind = fields["kind"] is JsonValue k && k.TryGetValue<string>(out var s) ? s : throw new CliInputException("$.task.kind: required, a string.");
        if (!TaskCatalog.Names.Contains(kind))
            throw new CliInputException($"$.task.kind: unknown task \"{kind}\"; use one of {string.Join(", ", TaskCatalog.Names)}.");
        var gold = fields["gold"] is JsonValue g && g.TryGetValue<string>(out var text) ? text : throw new CliInputException("$.task.gold: required, a string.");
        return (TaskCatalog.Get(kind), gold);
    }

    private static double Number(JsonNode? node, string path) =>
        node is JsonValue v && v.TryGetValue<double>(out var x) && double.IsFinite(x) ? x : throw new CliInputException($"{path}: must be a finite number.");

    private static float[] Vector(JsonNode? node, string path)
    {
        if (node is not JsonArray array || array.Count == 0) throw new CliInputException($"{path}: must be a non-empty array of numbers.");
        return [.. array.Select((x, j) => (float)Number(x, $"{path}[{j}]"))];
    }

    private static void RejectUnknown(JsonObject node, string path, params string[] known)
    {
        var unknown = node.Select(p => p.Key).FirstOrDefault(k => !known.Contains(k));
        if (unknown is not null)
            throw new CliInputException($"{path}.{unknown}: unknown field; known fields are {string.Join(", ", known)}.");
    }
}
