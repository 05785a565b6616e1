// Early-stopping benchmark: a random search of --trials trials (one arm, one seed, log-uniform learning rate and λ_d) on the
// simulated runner, through the real scheduler, trial and sweep grains with PostgreSQL keeping grain state, reminders,
// metrics and the sweeps/trials mirror, once with ASHA (reward/mean at --rungs, η = --eta) and once without early stopping
// (the peer: the same search run to the end). Prints the trial-steps each ran, what ASHA saved, and the wall time of both.
//   dotnet run -c Release --project bench/Dsdr.Bench.EarlyStopping -- [--trials 1000] [--steps 27] [--rungs 3,9] [--eta 3]
//       [--slots 32] [--silos 2] [--step-ms 5] [--seed 11]
// Uses DSDR_PG when set, else a private ephemeral PostgreSQL in a temporary folder; each run gets a fresh database.
// Simulated: a trial's reward is a function of its id and step (SimulatedMetrics), not of the sampled values.
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Dsdr.Bench.EarlyStopping;
using Dsdr.Storage;
using Dsdr.Storage.Embedded;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
BenchOptions options;
try { options = BenchOptions.Parse(args); }
catch (ArgumentException ex) { Console.Error.WriteLine(ex.Message); return 2; }
ThreadPool.SetMinThreads(32, 32);

var search = SearchWorkload.Expand(options);
Console.WriteLine($"Early-stopping benchmark: random search of {search.Trials.Count} trials × {options.Steps} steps ({options.StepMilliseconds} ms each) " +
                  $"on {options.Slots} simulated slots in {options.Silos} silos; ASHA on {search.Rules.Asha!.Metric} at rungs {string.Join(", ", options.Rungs)}, " +
                  $"η = {options.ReductionFactor}; {Environment.ProcessorCount} cores.");

var folder = Path.Combine(Path.GetTempPath(), $"dsdr-bench-stopping-{Guid.NewGuid():N}");
EmbeddedPostgres? server = null;
try
{
    var connectionString = Environment.GetEnvironmentVariable(DsdrDatabaseOptions.EnvironmentVariable);
    if (connectionString is null)
    {
        var started = Stopwatch.StartNew();
        server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = Path.Combine(folder, "pg"), Database = "dsdr_bench", Ephemeral = true });
        Console.WriteLine($"embedded PostgreSQL (ephemeral) ready in {started.Elapsed.TotalSeconds:F1} s on port {server.Port}");
        connectionString = server.ConnectionString;
    }
    // a short search first, not reported, so neither measured run pays for JIT and first activations
    var warmUp = SearchWorkload.Expand(options with { Trials = 2 * options.Slots });
    await SearchRun.RunAsync("warm-up", await FreshDatabaseAsync(connectionString, "warm"), warmUp, warmUp.Rules, options, Path.Combine(folder, "warm"));
    var withAsha = await SearchRun.RunAsync("with ASHA", await FreshDatabaseAsync(connectionString, "asha"), search, search.Rules, options, Path.Combine(folder, "asha"));
    var without = await SearchRun.RunAsync("no early stopping (peer)", await FreshDatabaseAsync(connectionString, "full"), search, null, options, Path.Combine(folder, "full"));

    Console.WriteLine();
    Console.WriteLine($"{"run",-26} {"completed",9} {"stopped",7} {"failed",6} {"trial-steps",11} {"wall s",7} {"db completed",12} {"db stopped",10}");
    foreach (var r in new[] { withAsha, without })
        Console.WriteLine($"{r.Name,-26} {r.Completed,9} {r.Stopped,7} {r.Failed,6} {r.TrialSteps,11} {r.Wall.TotalSeconds,7:F2} {r.StoredCompleted,12} {r.StoredStopped,10}");
    var saved = without.TrialSteps - withAsha.TrialSteps;
    Console.WriteLine();
    Console.WriteLine($"ASHA saved {saved} of {without.TrialSteps} trial-steps ({100.0 * saved / without.TrialSteps:F1} %); " +
                      $"wall time {withAsha.Wall.TotalSeconds:F2} s vs {without.Wall.TotalSeconds:F2} s ({withAsha.Wall / without.Wall:F2}×)");
    var ok = withAsha.Finished && without.Finished && without.Stopped == 0 && without.Completed == search.Trials.Count
             && withAsha.Completed + withAsha.Stopped == search.Trials.Count && withAsha.Stopped > 0
             && withAsha.StoredStopped == withAsha.Stopped && withAsha.StoredCompleted == withAsha.Completed
             && without.StoredCompleted == without.Completed;
    Console.WriteLine(ok ? "checks: both searches finished, every trial completed or stopped, PostgreSQL agrees"
                         : "checks FAILED: both searches must finish, ASHA must stop some trials, PostgreSQL must agree with the grains");
    return ok ? 0 : 1;
}
finally
{
    if (server is not null) await server.DisposeAsync();
    try { Directory.Delete(folder, recursive: true); } catch (DirectoryNotFoundException) { }
}

static async Task<string> FreshDatabaseAsync(string connectionString, string name)
{
    var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
    var database = $"{builder.Database}_{name}_{Guid.NewGuid():N}"[..40];
    await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
    {
        await connection.OpenAsync();
        await connection.ExecuteAsync($"CREATE DATABASE \"{database}\"");
    }
    builder.Database = database;
    await using (var migrate = DsdrDatabase.FromConnectionString(builder.ConnectionString))
        await migrate.GetDataSourceAsync(); // applies the migrations, 0010 (the 'stopped' trial status) included
    return builder.ConnectionString;
}
