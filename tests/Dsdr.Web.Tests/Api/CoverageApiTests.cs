using System.Net;
using Dsdr.Core.Results;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>GET /api/sweeps/{id}/coverage on a completed sweep, held against the stored per-problem outcomes.</summary>
[Collection(WebApiCollection.Name)]
public sealed class CoverageApiTests(WebApiFixture web)
{
    [Fact]
    public async Task The_ledger_is_each_trials_final_evaluation_per_problem_and_the_pairs_follow_from_it()
    {
        using var client = web.Client();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(Spec("coverage-api", steps: 20, evalEvery: 10)))).StatusCode);
        var done = await WaitForSweepAsync(client, "coverage-api", s => s.Sweep.Status == "completed", "sweep coverage-api to complete");

        var response = await client.GetAsync("/api/sweeps/coverage-api/coverage");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ledger = await response.ReadAsync<CoverageLedger>();
        Assert.Equal(["grpo", "dsdr"], ledger.Rows);

        // independently: each trial's outcomes at its last evaluated step
        await using var database = DsdrDatabase.FromConnectionString(web.ConnectionString, migrate: false);
        var repository = new EvalProblemRepository(database);
        var solved = new Dictionary<(string Row, string Problem), SortedSet<int>>();
        var evaluated = new HashSet<(string Row, string Problem)>();
        foreach (var trial in done.Trials)
        {
            var records = await repository.ListByTrialAsync(trial.TrialId);
            var last = records.Max(r => r.Step);
            Assert.Equal(20, last);
            foreach (var r in records.Where(r => r.Step == last))
            {
                var key = (trial.Row, $"{r.Outcome.Benchmark}/{r.Outcome.ProblemId}");
                evaluated.Add(key);
                if (!solved.TryGetValue(key, out var seeds)) solved[key] = seeds = [];
                if (r.Outcome.Pass1Correct || r.Outcome.AvgCorrect > 0 || r.Outcome.PassKCorrect > 0) seeds.Add(trial.Seed);
            }
        }
        Assert.Equal(evaluated.Select(k => k.Problem).Distinct().Order(StringComparer.Ordinal), ledger.Problems.Select(p => p.Key));
        foreach (var problem in ledger.Problems)
            foreach (var row in problem.Rows)
            {
                Assert.Equal([0, 1], row.Seeds);
                Assert.Equal(solved[(row.Row, problem.Key)], row.SolvedSeeds);
            }
        var grpoOnly = evaluated.Where(k => k.Row == "grpo" && solved[k].Count > 0 && solved[("dsdr", k.Problem)].Count == 0).Select(k => k.Problem).Order(StringComparer.Ordinal);
        Assert.Equal(grpoOnly, ledger.Pair("grpo", "dsdr")!.Problems);
        Assert.Contains(ledger.Problems, p => p.Rows.Any(r => r.Solved)); // the simulated runner solves some, not none
    }

    [Fact]
    public async Task An_unknown_sweep_has_no_ledger()
    {
        using var client = web.Client();
        var response = await client.GetAsync("/api/sweeps/no-such-sweep/coverage");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no-such-sweep", (await response.ReadJsonAsync()).GetProperty("detail").GetString());
    }
}
