using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit.Abstractions;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// A seeded fuzz run against the real app on PostgreSQL: at least 1,000 malformed and extreme specs (mutated fields, absurd
/// numbers, wrong types, deep nesting, truncation, invalid UTF-8, odd content types) and queries (every read route with
/// garbage ids and parameters). Every answer is below 500; every error is ProblemDetails with its status; a refused spec
/// stores nothing; the server still answers. Bounded: the whole run must finish in 90 s.
/// </summary>
[Collection(WebApiCollection.Name)]
public sealed class FuzzTests(WebApiFixture web, ITestOutputHelper output)
{
    private const int Seed = 18;
    private const int SpecCases = 700;
    private const int QueryCases = 500;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_thousand_malformed_specs_and_queries_get_problem_details_store_nothing_and_leave_the_server_answering()
    {
        var random = new Random(Seed);
        using var client = web.Client();
        var clock = Stopwatch.StartNew();
        // one real sweep, so result and trial queries also hit existing ids
        var real = $"fz-real-{Guid.NewGuid():N}"[..16];
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(Spec(real, steps: 4, evalEvery: 2)))).StatusCode);
        var sweepsBefore = await SweepCountAsync();
        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var created = new List<string>();

        for (var i = 0; i < SpecCases; i++)
        {
            var name = $"fz-{Seed}-{i}";
            var (what, content) = SpecCase(random, name);
            var response = await client.PostAsync("/api/sweeps", content);
            var status = (int)response.StatusCode;
            Count(statuses, status);
            var problem = await CheckAsync(response, $"spec {i} ({what})", failures);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var id = (await response.ReadJsonAsync()).GetProperty("sweepId").GetString()!;
                created.Add(id);
                await client.PostAsync($"/api/sweeps/{Uri.EscapeDataString(id)}/cancel", null); // keep the slots free
            }
            else if (problem && status is >= 400 and < 500 && (await client.GetAsync($"/api/sweeps/{name}")).StatusCode != HttpStatusCode.NotFound)
                failures.Add($"spec {i} ({what}): answered {status} but sweep {name} was stored");
            if (i % 100 == 99) await AliveAsync(client, failures, $"after spec {i}");
        }

        string[] trialIds = [.. (await (await client.GetAsync($"/api/sweeps/{real}")).ReadJsonAsync()).GetProperty("trials").EnumerateArray()
            .Select(t => t.GetProperty("trialId").GetString()!)];
        for (var i = 0; i < QueryCases; i++)
        {
            var url = QueryCase(random, real, trialIds);
            var response = await client.GetAsync(url);
            Count(statuses, (int)response.StatusCode);
            await CheckAsync(response, $"query {i} GET {Shorten(url)}", failures);
            if (i % 100 == 99) await AliveAsync(client, failures, $"after query {i}");
        }

        await AliveAsync(client, failures, "at the end");
        var elapsed = clock.Elapsed;
        var sweepsAfter = await SweepCountAsync();
        var figures = $"fuzz seed {Seed}: {SpecCases} specs + {QueryCases} queries in {elapsed.TotalSeconds:F1} s; statuses {string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}; " +
                      $"{created.Count} spec(s) accepted ({string.Join(", ", created.Take(5))}); sweeps stored {sweepsBefore} → {sweepsAfter}";
        output.WriteLine(figures);
        Console.WriteLine(figures);
        Assert.True(failures.Count == 0, $"{failures.Count} failure(s):\n{string.Join("\n", failures.Take(25))}");
        Assert.Equal(sweepsBefore + created.Count, sweepsAfter); // nothing stored but what was answered 201
        Assert.True(elapsed < Budget, $"the fuzz run took {elapsed.TotalSeconds:F1} s (budget {Budget.TotalSeconds} s)");
        Assert.True(statuses.Keys.Count(s => s is >= 400 and < 500) >= 2, "the generator should reach several kinds of refusal");
    }

    private static void Count(IDictionary<int, int> statuses, int status) => statuses[status] = statuses.TryGetValue(status, out var n) ? n + 1 : 1;

    /// <summary>No 5xx; an error is application/problem+json with its status and a title. True when the answer is an error done right.</summary>
    private static async Task<bool> CheckAsync(HttpResponseMessage response, string what, List<string> failures)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        if (status >= 500)
        {
            failures.Add($"{what}: {status} {Shorten(body)}");
            return false;
        }
        if (status < 400) return true;
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{what}: {status} with content type {response.Content.Headers.ContentType?.MediaType ?? "none"}: {Shorten(body)}");
            return false;
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (!root.TryGetProperty("status", out var s) || s.GetInt32() != status || !root.TryGetProperty("title", out _))
            {
                failures.Add($"{what}: {status} problem without a matching status and a title: {Shorten(body)}");
                return false;
            }
        }
        catch (JsonException)
        {
            failures.Add($"{what}: {status} problem body is not JSON: {Shorten(body)}");
            return false;
        }
        return true;
    }

    private static async Task AliveAsync(HttpClient client, List<string> failures, string when)
    {
        var live = await client.GetAsync("/health/live");
        var list = await client.GetAsync("/api/sweeps?limit=1");
        if (live.StatusCode != HttpStatusCode.OK || list.StatusCode != HttpStatusCode.OK)
            failures.Add($"server not answering {when}: /health/live {(int)live.StatusCode}, /api/sweeps {(int)list.StatusCode}");
    }

    private async Task<long> SweepCountAsync()
    {
        await using var connection = new NpgsqlConnection(web.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM sweeps", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    // ---- the generator ----

    private static JsonObject Valid(string name) => JsonNode.Parse($$$"""
        {
          "name": "{{{name}}}",
          "description": "fuzz",
          "task": {"kind": "countdown", "numbers": 3, "numberRange": {"min": 1, "max": 20}, "trainSize": 200, "heldOutSize": 20},
          "model": {"preset": "countdown", "sft": {"steps": 10}},
          "base": {"totalSteps": 4, "learningRate": 0.0001, "groupSize": 4, "promptsPerStep": 2, "maxNewTokens": 16},
          "arms": ["grpo", "dsdr"],
          "grid": {"lambdaD": [0.01, 0.1]},
          "seeds": [0, 1],
          "eval": {"everySteps": 2, "avgK": 4, "passKSamples": 4},
          "resources": {"device": "cpu", "memoryGiB": 1},
          "maxTrials": 16
        }
        """)!.AsObject();

    private static readonly string[] Paths =
    [
        "name", "description", "task", "task.kind", "task.numbers", "task.numberRange", "task.numberRange.min", "task.numberRange.max",
        "task.trainSize", "task.heldOutSize", "task.trainPath", "model", "model.preset", "model.checkpoint", "model.sft", "model.sft.steps",
        "base", "base.totalSteps", "base.learningRate", "base.groupSize", "base.promptsPerStep", "base.maxNewTokens", "base.temperature",
        "base.lambdaD", "arms", "arms.0", "arms.1", "grid", "grid.lambdaD", "grid.lambdaD.0", "seeds", "seeds.0", "eval", "eval.everySteps",
        "eval.avgK", "eval.passKSamples", "eval.benchmarks", "resources", "resources.device", "resources.memoryGiB", "resources.priority", "maxTrials",
    ];

    /// <summary>Absurd, wrong-typed and hostile values for any field.</summary>
    private static JsonNode? Extreme(Random random) => random.Next(30) switch
    {
        0 => null,
        1 => true,
        2 => "",
        3 => new string('x', random.Next(1000, 20000)),
        4 => "\u0000\u0001",
        5 => -1,
        6 => 0,
        7 => int.MaxValue,
        8 => long.MaxValue,
        9 => 1e308,
        10 => -1e308,
        11 => 5e-324,
        12 => 3.5,
        13 => "NaN",
        14 => new JsonArray(),
        15 => new JsonObject(),
        16 => Deep(random.Next(20, 200)),
        17 => "../../../../etc/passwd",
        18 => "/etc/passwd",
        19 => "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ \u202e",
        20 => new JsonArray([.. Enumerable.Range(0, random.Next(100, 5000)).Select(n => (JsonNode?)n)]),
        21 => int.MinValue,
        22 => 1_000_000,
        23 => 2147483648L,
        24 => "1e308",
        25 => new JsonArray("grpo", "grpo", "ppo"),
        26 => JsonNode.Parse("{\"min\": 30, \"max\": 2}"),
        27 => random.NextDouble() * Math.Pow(10, random.Next(-30, 30)) * (random.Next(2) == 0 ? 1 : -1),
        28 => "DROP TABLE sweeps; --",
        _ => new JsonObject { ["$ref"] = "#", ["__proto__"] = new JsonObject() },
    };

    private static JsonNode Deep(int depth)
    {
        JsonNode node = new JsonArray();
        for (var d = 0; d < depth; d++) node = new JsonArray(node);
        return node;
    }

    /// <summary>One malformed or extreme spec and how it is sent.</summary>
    private static (string What, HttpContent Content) SpecCase(Random random, string name)
    {
        var spec = Valid(name);
        var kind = random.Next(12);
        switch (kind)
        {
            case <= 4: // one field set to something absurd (sometimes two or three)
            {
                var changes = 1 + random.Next(3);
                var what = new List<string>();
                for (var c = 0; c < changes; c++)
                {
                    var path = Paths[random.Next(Paths.Length)];
                    var value = Extreme(random);
                    Set(spec, path, value);
                    var shown = value?.ToJsonString() ?? "null";
                    what.Add($"{path}={(shown.Length > 40 ? shown[..40] + "…" : shown)}");
                }
                return (string.Join("; ", what), Json(spec.ToJsonString()));
            }
            case 5: // a field removed
            {
                var path = Paths[random.Next(Paths.Length)];
                Remove(spec, path);
                return ($"without {path}", Json(spec.ToJsonString()));
            }
            case 6: // an unknown field
                spec[$"unknown{random.Next(100)}"] = Extreme(random)?.DeepClone();
                return ("unknown field", Json(spec.ToJsonString()));
            case 7: // truncated text
            {
                var text = spec.ToJsonString();
                return ("truncated", Json(text[..random.Next(0, text.Length - 1)]));
            }
            case 8: // a byte flipped, or invalid UTF-8 inserted
            {
                var bytes = Encoding.UTF8.GetBytes(spec.ToJsonString()).ToList();
                var at = random.Next(bytes.Count);
                if (random.Next(2) == 0) bytes[at] = (byte)random.Next(256);
                else bytes.InsertRange(at, [0xC3, 0x28, 0xFF]);
                var content = new ByteArrayContent([.. bytes]);
                content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
                return ("bytes mangled", content);
            }
            case 9: // duplicate keys and comments in raw text
                return ("duplicate keys", Json(spec.ToJsonString().Replace("\"seeds\":", "\"seeds\":[0],\"seeds\":", StringComparison.Ordinal)));
            case 10: // the wrong content type or none
            {
                var content = new StringContent(spec.ToJsonString(), Encoding.UTF8, random.Next(2) == 0 ? "text/plain" : "application/xml");
                return ("wrong content type", content);
            }
            default: // not a spec at all
                string[] junk = ["", "null", "[]", "42", "\"text\"", "{", "}", "{\"name\":}", new string('[', 5000), "{\"a\":" + new string('1', 100000) + "}"];
                return ("junk body", Json(junk[random.Next(junk.Length)]));
        }
    }

    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        JsonNode? node = root;
        for (var p = 0; p < parts.Length - 1 && node is not null; p++) node = Child(node, parts[p]);
        switch (node)
        {
            case JsonObject o: o[parts[^1]] = value?.DeepClone(); break;
            case JsonArray a when int.TryParse(parts[^1], out var i) && i < a.Count: a[i] = value?.DeepClone(); break;
        }
    }

    private static void Remove(JsonObject root, string path)
    {
        var parts = path.Split('.');
        JsonNode? node = root;
        for (var p = 0; p < parts.Length - 1 && node is not null; p++) node = Child(node, parts[p]);
        switch (node)
        {
            case JsonObject o: o.Remove(parts[^1]); break;
            case JsonArray a when int.TryParse(parts[^1], out var i) && i < a.Count: a.RemoveAt(i); break;
        }
    }

    private static JsonNode? Child(JsonNode node, string part) => node switch
    {
        JsonObject o => o[part],
        JsonArray a when int.TryParse(part, out var i) && i < a.Count => a[i],
        _ => null,
    };

    private static readonly string[] Garbage =
    [
        "", "x", "best", "best:x:y", "final", "-1", "0", "2147483648", "99999999999999999999", "1e308", "NaN", "%00", "%FF%FE", "%C3%28",
        "..%2F..%2Fetc%2Fpasswd", "avg@16", "pass@100000", "pass@-1", "pass@", "accuracy,pass@4,avg@4", "json", "csv", "latex", "markdown", "xml",
        "true", "false", "grpo", "backbone", "%E2%80%AE", "a%20b", "'%3B--", Uri.EscapeDataString(new string('q', 3000)), "best:countdown:avg@4",
    ];

    // %00 in a URL path is refused by the server's URL decoder before any middleware (and by the test client before
    // sending): a known gap (issue 18), so path segments draw from the rest; query values keep it
    private static string PathPart(Random random, string fallback) => Pick(random) is { Length: > 0 } text && text != "%00" ? text : fallback;

    private static string Pick(Random random) => Garbage[random.Next(Garbage.Length)];

    /// <summary>A read of some route with a real or garbage id and garbage parameters.</summary>
    private static string QueryCase(Random random, string realSweep, string[] trialIds)
    {
        var sweep = random.Next(3) == 0 ? PathPart(random, "nope") : realSweep;
        var trial = random.Next(3) == 0 || trialIds.Length == 0 ? PathPart(random, "nope") : trialIds[random.Next(trialIds.Length)];
        var dataset = PathPart(random, "countdown");
        var problem = PathPart(random, "1");
        return random.Next(9) switch
        {
            0 => $"/api/sweeps/{sweep}/results?metric={Pick(random)}&step={Pick(random)}&format={Pick(random)}",
            1 => $"/api/sweeps/{sweep}/results?reference={Pick(random)}&backbone={Pick(random)}&metric={Pick(random)}",
            2 => $"/api/sweeps/{sweep}/report?metric={Pick(random)}&step={Pick(random)}&reference={Pick(random)}",
            3 => $"/api/sweeps/{sweep}",
            4 => $"/api/sweeps?limit={Pick(random)}&offset={Pick(random)}",
            5 => $"/api/trials/{trial}/metrics?names={Pick(random)}&maxPoints={Pick(random)}",
            6 => $"/api/trials/{trial}/rollouts?step={Pick(random)}",
            7 => $"/api/trials/{trial}",
            _ => $"/api/problems/{dataset}/{problem}",
        };
    }
}
