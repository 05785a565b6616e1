using Dsdr.Core.Results;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Dsdr.Storage.Ingest;
using Dsdr.Storage.Repositories;

namespace Dsdr.Grains.Tests;

/// <summary>
/// The tables the web layer reads beyond sweeps/trials/metrics (evals, rollout groups, problems, slots), filled
/// by the silo's PostgreSQL services on a real database, idempotently when a step is replayed.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresDataPathTests(PostgresServer postgres)
{
    [Fact]
    public async Task Eval_metrics_land_in_metrics_and_evals_once_and_feed_the_result_table()
    {
        var cs = await postgres.NewDatabaseAsync();
        await using var database = DsdrDatabase.FromConnectionString(cs, migrate: false);
        await new SweepRepository(database).InsertAsync(new NewSweep("ev", "ev", "{}"));
        await new TrialRepository(database).InsertAsync([new NewTrial("ev-t0", "ev", "dsdr", "dsdr", 1, "{}")]);
        var evals = new EvalRepository(database);
        await using var ingestor = new MetricIngestor(database);
        var sink = new PostgresTrialMetricSink(ingestor, evals);

        await sink.WriteAsync("ev-t0", 10, new Dictionary<string, double>
        {
            ["loss"] = 0.5,
            ["eval/countdown/pass1"] = 0.25,
            ["eval/countdown/avg@16"] = 0.3,
            ["eval/countdown/pass@16"] = 0.75,
        });
        // The step replayed after a resume with other values: both tables keep the first ones.
        await sink.WriteAsync("ev-t0", 10, new Dictionary<string, double> { ["eval/countdown/avg@16"] = 0.9, ["eval/countdown/distinct"] = 2 });
        await sink.FlushAsync();

        var rows = await evals.ListByTrialAsync("ev-t0");
        Assert.Equal(
            [new EvalRow("ev-t0", 10, "countdown", "avg", 16, 0.3), new EvalRow("ev-t0", 10, "countdown", "distinct", null, 2),
             new EvalRow("ev-t0", 10, "countdown", "pass", 16, 0.75), new EvalRow("ev-t0", 10, "countdown", "pass1", null, 0.25)],
            rows);
        var metrics = await Db.QueryAsync<(string Name, double Value)>(cs, "SELECT name, value FROM metrics WHERE trial_id = 'ev-t0' ORDER BY name");
        Assert.Equal([("eval/countdown/avg@16", 0.3), ("eval/countdown/distinct", 2), ("eval/countdown/pass1", 0.25), ("eval/countdown/pass@16", 0.75), ("loss", 0.5)],
            metrics);

        var table = await evals.ResultTableAsync("ev", EvalStepChoice.Final);
        Assert.Contains(new TrialEvalRecord("ev-t0", "dsdr", "dsdr", 1, 10, "countdown", "avg", 16, 0.3), table);
        Assert.Equal(4, table.Count);
    }
}
