using System.Collections.Concurrent;
using Dapper;
using Dsdr.Storage.Notifications;
using Dsdr.Storage.Repositories;

namespace Dsdr.Storage.Tests;

/// <summary>db/0006's triggers announce committed changes; <see cref="DataChangeListener"/> hears them.</summary>
public sealed class DataChangeListenerTests(PostgresFixture fixture) : DatabaseTest(fixture)
{
    private const string Reconnected = "(reconnected)";
    private readonly ConcurrentQueue<string> _heard = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _listener = Task.CompletedTask;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _listener = DataChangeListener.RunAsync(Database, _heard.Enqueue, () => _heard.Enqueue(Reconnected), listening: () => listening.TrySetResult(),
            cancellationToken: _stop.Token);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public override async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _listener.WaitAsync(TimeSpan.FromSeconds(30));
        await base.DisposeAsync();
    }

    /// <summary>The next payload of <paramref name="kind"/> ("metrics", …) as (sweep ids, trial ids), each sorted.</summary>
    private async Task<(string[] Sweeps, string[] Trials)> NextAsync(string kind)
    {
        var payload = await NextPayloadAsync(p => p.StartsWith(kind + "|", StringComparison.Ordinal));
        var parts = payload.Split('|');
        return ([.. parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Order()], [.. parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries).Order()]);
    }

    private async Task<string> NextPayloadAsync(Func<string, bool> matches)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            while (_heard.TryDequeue(out var change))
                if (matches(change)) return change;
            await Task.Delay(20);
        }
        throw new TimeoutException("No matching payload was announced within 20 s.");
    }

    [Fact]
    public async Task Writes_through_every_repository_are_announced_once_per_statement_with_their_ids()
    {
        await new SweepRepository(Database).InsertAsync(new NewSweep("sw1", "first", "{}"));
        Assert.Equal((["sw1"], []), await NextAsync("sweeps"), Ids.Instance);

        var trials = new TrialRepository(Database);
        await trials.InsertAsync([new NewTrial("t1", "sw1", "grpo", "grpo", 0, "{}"), new NewTrial("t2", "sw1", "dsdr", "dsdr", 0, "{}")]);
        Assert.Equal((["sw1"], ["t1", "t2"]), await NextAsync("trials"), Ids.Instance);
        await trials.StartAttemptAsync("t2", "n/cpu0", TimeSpan.FromMinutes(1));
        Assert.Equal((["sw1"], ["t2"]), await NextAsync("trials"), Ids.Instance);

        await new MetricRepository(Database).WriteAsync([.. Enumerable.Range(0, 5000).Select(s => new MetricSample("t1", s, "loss", s))]);
        Assert.Equal(([], ["t1"]), await NextAsync("metrics"), Ids.Instance);
        Assert.DoesNotContain(_heard, p => p.StartsWith("metrics|", StringComparison.Ordinal)); // one notification for the whole batch

        await new EvalRepository(Database).UpsertAsync([new EvalRow("t2", 10, "countdown", "pass1", null, 0.5)]);
        Assert.Equal(([], ["t2"]), await NextAsync("evals"), Ids.Instance);
    }

    [Fact]
    public async Task A_rolled_back_write_and_one_that_changes_nothing_are_not_announced()
    {
        await new SweepRepository(Database).InsertAsync(new NewSweep("sw1", "first", "{}"));
        await NextAsync("sweeps");
        await using (var connection = await Database.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("INSERT INTO sweeps (sweep_id, name, spec) VALUES ('sw2', 'x', '{}')", transaction: transaction);
            await transaction.RollbackAsync();
            await connection.ExecuteAsync("UPDATE sweeps SET name = 'y' WHERE sweep_id = 'none'");
            await connection.ExecuteAsync("UPDATE sweeps SET name = 'z' WHERE sweep_id = 'sw1'"); // a marker after them
        }
        Assert.Equal((["sw1"], []), await NextAsync("sweeps"), Ids.Instance);
    }

    [Fact]
    public async Task Metric_rows_are_announced_whoever_writes_them_and_a_batch_of_stored_rows_is_not()
    {
        var batch = Enumerable.Range(0, 100).Select(s => new MetricSample("t1", s, "loss", s)).ToList();
        await using var connection = await Database.OpenConnectionAsync();
        await MetricCopy.WriteAsync(connection, batch);
        Assert.Equal(([], ["t1"]), await NextAsync("metrics"), Ids.Instance);
        await MetricCopy.WriteAsync(connection, batch); // every row stored already
        await connection.ExecuteAsync("INSERT INTO metrics (trial_id, name, step, value) VALUES ('t2', 'loss', 1, 0.5)"); // a plain writer
        Assert.Equal(([], ["t2"]), await NextAsync("metrics"), Ids.Instance); // the replay came and went unannounced
        await MetricCopy.WriteAsync(connection, [.. Enumerable.Range(0, 600).Select(i => new MetricSample($"trial-{i:D10}", 0, "loss", i))]);
        Assert.Equal("metrics||*", await NextPayloadAsync(p => p.StartsWith("metrics|", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Too_many_ids_for_one_payload_are_announced_as_a_star()
    {
        await new SweepRepository(Database).InsertAsync(new NewSweep("sw1", "first", "{}"));
        await new TrialRepository(Database).InsertAsync(Enumerable.Range(0, 600).Select(i => new NewTrial($"trial-{i:D10}", "sw1", "grpo", "grpo", i, "{}")));
        Assert.Equal("trials|*|*", await NextPayloadAsync(p => p.StartsWith("trials|", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task After_its_connection_is_cut_the_listener_reconnects_and_says_so()
    {
        await using (var connection = await Database.OpenConnectionAsync())
            await connection.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()");
        await NextPayloadAsync(p => p == Reconnected);
        await new SweepRepository(Database).InsertAsync(new NewSweep("sw3", "after", "{}"));
        Assert.Equal((["sw3"], []), await NextAsync("sweeps"), Ids.Instance);
    }

    private sealed class Ids : IEqualityComparer<(string[] Sweeps, string[] Trials)>
    {
        public static readonly Ids Instance = new();
        public bool Equals((string[] Sweeps, string[] Trials) a, (string[] Sweeps, string[] Trials) b) => a.Sweeps.SequenceEqual(b.Sweeps) && a.Trials.SequenceEqual(b.Trials);
        public int GetHashCode((string[] Sweeps, string[] Trials) x) => x.Sweeps.Length;
    }
}
