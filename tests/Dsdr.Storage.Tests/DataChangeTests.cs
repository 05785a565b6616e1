using System.Collections.Concurrent;
using Dapper;
using Dsdr.Storage.Notifications;
using Dsdr.Storage.Repositories;

namespace Dsdr.Storage.Tests;

public sealed class DataChangePayloadTests
{
    [Fact]
    public void Payloads_parse_into_kind_and_ids_with_star_for_too_many_and_anything_else_refused()
    {
        var metrics = DataChange.Parse("metrics||t1,t2")!;
        Assert.Equal(ChangeKind.Metrics, metrics.Kind);
        Assert.Empty(metrics.Sweeps!);
        Assert.Equal(["t1", "t2"], metrics.Trials!.Order());
        var trials = DataChange.Parse("trials|sw1|*")!;
        Assert.Equal(["sw1"], trials.Sweeps!);
        Assert.Null(trials.Trials);
        Assert.Equal(ChangeKind.Pool, DataChange.Parse("pool||")!.Kind);
        Assert.False(metrics.IsEverything);
        Assert.True(DataChange.Everything.IsEverything);
        foreach (var bad in new[] { "", "metrics", "metrics|a", "cheese||", "3||", "metrics|a|b|c" })
            Assert.Null(DataChange.Parse(bad));
    }
}

/// <summary>db/0006's triggers announce committed changes; <see cref="DataChangeListener"/> hears them.</summary>
public sealed class DataChangeListenerTests(PostgresFixture fixture) : DatabaseTest(fixture)
{
    private readonly ConcurrentQueue<DataChange> _heard = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _listener = Task.CompletedTask;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _listener = DataChangeListener.RunAsync(Database, _heard.Enqueue, listening: () => listening.TrySetResult(), cancellationToken: _stop.Token);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public override async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _listener.WaitAsync(TimeSpan.FromSeconds(30));
        await base.DisposeAsync();
    }

    private async Task<DataChange> NextAsync(Func<DataChange, bool> matches)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            while (_heard.TryDequeue(out var change))
                if (matches(change)) return change;
            await Task.Delay(20);
        }
        throw new TimeoutException("No matching change was announced within 20 s.");
    }

    [Fact]
    public async Task Writes_through_every_repository_are_announced_once_per_statement_with_their_ids()
    {
        await new SweepRepository(Database).InsertAsync(new NewSweep("sw1", "first", "{}"));
        var sweep = await NextAsync(c => c.Kind == ChangeKind.Sweeps);
        Assert.Equal(["sw1"], sweep.Sweeps!);

        var trials = new TrialRepository(Database);
        await trials.InsertAsync([new NewTrial("t1", "sw1", "grpo", "grpo", 0, "{}"), new NewTrial("t2", "sw1", "dsdr", "dsdr", 0, "{}")]);
        var inserted = await NextAsync(c => c.Kind == ChangeKind.Trials);
        Assert.Equal(["sw1"], inserted.Sweeps!);
        Assert.Equal(["t1", "t2"], inserted.Trials!.Order());
        await trials.StartAttemptAsync("t2", "n/cpu0", TimeSpan.FromMinutes(1));
        Assert.Equal(["t2"], (await NextAsync(c => c.Kind == ChangeKind.Trials)).Trials!);

        await new MetricRepository(Database).WriteAsync([.. Enumerable.Range(0, 5000).Select(s => new MetricSample("t1", s, "loss", s))]);
        var metrics = await NextAsync(c => c.Kind == ChangeKind.Metrics);
        Assert.Equal(["t1"], metrics.Trials!);
        Assert.DoesNotContain(_heard, c => c.Kind == ChangeKind.Metrics); // one notification for the whole batch

        await new EvalRepository(Database).UpsertAsync([new EvalRow("t2", 10, "countdown", "pass1", null, 0.5)]);
        Assert.Equal(["t2"], (await NextAsync(c => c.Kind == ChangeKind.Evals)).Trials!);
    }

    [Fact]
    public async Task A_rolled_back_write_and_one_that_changes_nothing_are_not_announced()
    {
        await new SweepRepository(Database).InsertAsync(new NewSweep("sw1", "first", "{}"));
        await NextAsync(c => c.Kind == ChangeKind.Sweeps);
        await using (var connection = await Database.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("INSERT INTO sweeps (sweep_id, name, spec) VALUES ('sw2', 'x', '{}')", transaction: transaction);
            await transaction.RollbackAsync();
            await connection.ExecuteAsync("UPDATE sweeps SET name = 'y' WHERE sweep_id = 'none'");
            await connection.ExecuteAsync("UPDATE sweeps SET name = 'z' WHERE sweep_id = 'sw1'"); // a marker after them
        }
        var next = await NextAsync(c => c.Kind == ChangeKind.Sweeps);
        Assert.Equal(["sw1"], next.Sweeps!);
    }

    [Fact]
    public async Task After_its_connection_is_cut_the_listener_reconnects_and_reports_that_anything_may_have_changed()
    {
        await using (var connection = await Database.OpenConnectionAsync())
            await connection.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()");
        await NextAsync(c => c.IsEverything);
        await new SweepRepository(Database).InsertAsync(new NewSweep("sw3", "after", "{}"));
        Assert.Equal(["sw3"], (await NextAsync(c => c.Kind == ChangeKind.Sweeps)).Sweeps!);
    }
}
