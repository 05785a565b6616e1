using Dsdr.Storage.Ingest;
using Dsdr.Storage.Repositories;

namespace Dsdr.Storage.Tests;

public sealed class IngestTests(PostgresFixture fixture) : DatabaseTest(fixture)
{
    private static List<MetricSample> Samples(string trial, int steps, params string[] names) =>
        [.. from step in Enumerable.Range(0, steps) from name in names select new MetricSample(trial, step, name, step * 0.5 + name.Length)];

    [Fact]
    public async Task The_same_batch_written_twice_is_stored_once()
    {
        var metrics = new MetricRepository(Database);
        var batch = Samples("t1", 500, "loss", "reward");

        Assert.Equal(1000, await metrics.WriteAsync(batch));
        Assert.Equal(0, await metrics.WriteAsync(batch));
        Assert.Equal(10, await metrics.WriteAsync([.. batch, .. Samples("t2", 10, "loss")]));   // overlapping batch: only the new rows

        Assert.Equal(1010, await CountAsync("SELECT count(*) FROM metrics"));
        Assert.Equal(1000 * 0.5 / 2 * 499 + 500 * ("loss".Length + "reward".Length),
            await CountAsync("SELECT CAST(sum(value) AS bigint) FROM metrics WHERE trial_id = 't1'"));
    }

    [Fact]
    public async Task The_duplicate_safe_staging_path_alone_is_idempotent()
    {
        var batch = Samples("t1", 100, "loss");
        await using var connection = await Database.OpenConnectionAsync();
        Assert.Equal(100, await Dsdr.Storage.Repositories.MetricCopy.WriteStagedAsync(connection, batch));
        Assert.Equal(0, await Dsdr.Storage.Repositories.MetricCopy.WriteStagedAsync(connection, batch));
        Assert.Equal(0, await Dsdr.Storage.Repositories.MetricCopy.WriteAsync(connection, batch)); // direct COPY fails on the key, falls back
        Assert.Equal(100, await CountAsync("SELECT count(*) FROM metrics"));
    }

    [Fact]
    public async Task A_batch_with_a_repeated_sample_stores_it_once()
    {
        var sample = new MetricSample("t1", 3, "loss", 0.7);
        Assert.Equal(1, await new MetricRepository(Database).WriteAsync([sample, sample, sample]));
    }

    [Fact]
    public async Task The_ingestor_buffers_flushes_and_drains_on_dispose_without_duplicates()
    {
        var ingestor = new MetricIngestor(Database, new MetricIngestorOptions { BatchSize = 700, FlushInterval = TimeSpan.FromSeconds(30) });
        var samples = Samples("t1", 2000, "loss", "kl");
        await ingestor.WriteAsync(samples.Take(3000));
        await ingestor.WriteAsync(samples.Take(100)); // resent samples (a retried step) are not duplicated

        await ingestor.FlushAsync();   // the 30 s interval never elapses: FlushAsync itself forces the write
        Assert.Equal(3000, await CountAsync("SELECT count(*) FROM metrics"));

        await ingestor.WriteAsync(samples.Skip(3000));
        await ingestor.DisposeAsync();
        Assert.Equal(4000, await CountAsync("SELECT count(*) FROM metrics"));
        Assert.Equal(ingestor.Accepted, ingestor.Stored);
        await Assert.ThrowsAnyAsync<Exception>(() => ingestor.WriteAsync(samples[0]).AsTask());
    }

    [Fact]
    public async Task PostgreSQL_restarted_during_ingest_loses_and_duplicates_nothing()
    {
        await using var ingestor = new MetricIngestor(Database, new MetricIngestorOptions
        {
            BatchSize = 500, FlushInterval = TimeSpan.FromMilliseconds(20),
            RetryInitialDelay = TimeSpan.FromMilliseconds(50), RetryMaxDelay = TimeSpan.FromMilliseconds(400),
        });
        var samples = Samples("t1", 10_000, "loss", "reward", "entropy");
        async Task ProduceAsync(IEnumerable<MetricSample> part)
        {
            foreach (var chunk in part.Chunk(300))
            {
                await ingestor.WriteAsync(chunk);
                await Task.Delay(2);
            }
        }

        await ProduceAsync(samples.Take(15_000));
        await WaitUntilAsync(() => ingestor.Stored > 2000);
        await Fixture.Server.StopAsync();
        var storedWhenStopped = ingestor.Stored;
        var producer = Task.Run(() => ProduceAsync(samples.Skip(15_000))); // keeps writing while the server is away
        await Task.Delay(1500);
        Assert.True(ingestor.Stored - storedWhenStopped <= 500, "nothing more can be stored while the server is down (beyond a batch in flight)");
        await Fixture.Server.StartAsync();
        Database.ClearPool();

        await producer;
        await ingestor.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(ingestor.Retries > 0, "the outage must have made some batch fail and be retried");
        Assert.Equal(samples.Count, await CountAsync("SELECT count(*) FROM metrics"));
        Assert.Equal(samples.Count, await CountAsync("SELECT count(DISTINCT (trial_id, name, step)) FROM metrics"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached in 30 s");
            await Task.Delay(10);
        }
    }
}
