using System.Net;
using Dsdr.Storage.Orleans;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;

namespace Dsdr.Storage.Tests;

public sealed class OrleansProviderTests(PostgresFixture fixture) : DatabaseTest(fixture)
{
    private static readonly IOptions<ClusterOptions> Cluster = Options.Create(new ClusterOptions { ClusterId = "dsdr-test", ServiceId = "dsdr" });
    private static int _generation;

    public sealed record TrialState(string Status, int Attempts, List<string> Checkpoints);

    private static GrainId Grain(string key) => GrainId.Create("trial", key);

    [Fact]
    public async Task Grain_state_round_trips_as_json_and_a_stale_etag_is_rejected()
    {
        var storage = new PostgresGrainStorage("Default", Database, new DsdrGrainStorageOptions(), Cluster);
        var grain = Grain("a1b2c3d4e5f60708");

        var fresh = new GrainState<TrialState>();
        await storage.ReadStateAsync("trial", grain, fresh);
        Assert.False(fresh.RecordExists);
        Assert.Null(fresh.ETag);

        // Two activations read the same (absent) state; the first write wins, the second carries a stale (null) etag.
        var first = new GrainState<TrialState>(new TrialState("running", 1, ["/ckpt/10"]));
        var second = new GrainState<TrialState>(new TrialState("queued", 0, []));
        await storage.WriteStateAsync("trial", grain, first);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("trial", grain, second));

        var read = new GrainState<TrialState>();
        await storage.ReadStateAsync("trial", grain, read);
        Assert.True(read.RecordExists);
        Assert.Equal(first.ETag, read.ETag);
        Assert.Equal(("running", 1), (read.State!.Status, read.State.Attempts));
        Assert.Equal(["/ckpt/10"], read.State.Checkpoints);

        // The reader writes at the current etag; the first activation's etag is now stale.
        read.State = read.State with { Attempts = 2 };
        await storage.WriteStateAsync("trial", grain, read);
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("trial", grain, first));
        Assert.Equal(read.ETag, conflict.StoredEtag);
        Assert.Equal(first.ETag, conflict.CurrentEtag);

        // Clearing keeps counting etags: a stale writer still fails, the clearing activation continues.
        await storage.ClearStateAsync("trial", grain, read);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("trial", grain, first));
        var afterClear = new GrainState<TrialState>();
        await storage.ReadStateAsync("trial", grain, afterClear);
        Assert.False(afterClear.RecordExists);
        Assert.Equal(read.ETag, afterClear.ETag);
        read.State = new TrialState("queued", 0, []);
        await storage.WriteStateAsync("trial", grain, read);

        // Another state name or service id is another record.
        var other = new GrainState<TrialState>();
        await storage.ReadStateAsync("other", grain, other);
        Assert.False(other.RecordExists);
    }

    [Fact]
    public async Task Reminders_are_created_read_updated_and_removed_by_etag()
    {
        var table = new PostgresReminderTable(Database, Cluster);
        await table.StartAsync();
        var grain = Grain("sweep/with:odd#chars?");
        var start = new DateTime(2026, 11, 28, 9, 0, 0, DateTimeKind.Utc);
        var entry = new ReminderEntry { GrainId = grain, ReminderName = "tick/1", StartAt = start, Period = TimeSpan.FromMinutes(1) };

        var etag1 = await table.UpsertRow(entry);
        var read = await table.ReadRow(grain, "tick/1");
        Assert.NotNull(read);
        Assert.Equal((grain, "tick/1", start, TimeSpan.FromMinutes(1), etag1), (read.GrainId, read.ReminderName, read.StartAt, read.Period, read.ETag));

        entry.Period = TimeSpan.FromSeconds(30);
        var etag2 = await table.UpsertRow(entry);
        Assert.NotEqual(etag1, etag2);
        await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "tick/2", StartAt = start, Period = TimeSpan.FromHours(1) });
        Assert.Equal(["tick/1", "tick/2"], (await table.ReadRows(grain)).Reminders.Select(r => r.ReminderName).Order());
        Assert.Equal(TimeSpan.FromSeconds(30), (await table.ReadRow(grain, "tick/1"))!.Period);

        Assert.False(await table.RemoveRow(grain, "tick/1", etag1!), "a stale etag must not remove");
        Assert.False(await table.RemoveRow(grain, "no-such", etag2!));
        Assert.True(await table.RemoveRow(grain, "tick/1", etag2!));
        Assert.False(await table.RemoveRow(grain, "tick/1", etag2!));
        Assert.Null(await table.ReadRow(grain, "tick/1"));

        await table.TestOnlyClearTable();
        Assert.Empty((await table.ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task Concurrent_upserts_of_one_reminder_get_distinct_etags()
    {
        var table = new PostgresReminderTable(Database, Cluster);
        var grain = Grain("concurrent");
        var etags = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => table.UpsertRow(new ReminderEntry
        {
            GrainId = grain, ReminderName = "r", StartAt = DateTime.UtcNow.AddSeconds(i), Period = TimeSpan.FromMinutes(1),
        })));
        Assert.Equal(8, etags.Distinct().Count());
    }

    [Fact]
    public async Task Reminder_ranges_follow_the_ring_including_wrap_around()
    {
        var table = new PostgresReminderTable(Database, Cluster);
        var grains = Enumerable.Range(0, 200).Select(i => Grain($"g{i}")).ToList();
        foreach (var grain in grains)
            await table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = "r", StartAt = DateTime.UtcNow, Period = TimeSpan.FromMinutes(1) });
        var hashes = grains.Select(g => g.GetUniformHashCode()).ToArray();

        Assert.Equal(200, (await table.ReadRows(0, uint.MaxValue)).Reminders.Count);
        Assert.Equal(200, (await table.ReadRows(0, 0)).Reminders.Count);
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            var (begin, end) = ((uint)random.NextInt64(0, uint.MaxValue), (uint)random.NextInt64(0, uint.MaxValue));
            var expected = hashes.Where(h => begin < end ? h > begin && h <= end : h > begin || h <= end).Order();
            var actual = (await table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId.GetUniformHashCode()).Order();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public async Task Membership_inserts_only_at_the_current_table_version()
    {
        var table = await MembershipAsync();
        var empty = await table.ReadAll();
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        var entry = Entry(SiloStatus.Joining);
        var next = empty.Version.Next();
        Assert.True(await table.InsertRow(entry, next));
        Assert.False(await table.InsertRow(entry, next), "same entry, old table version");
        Assert.False(await table.InsertRow(Entry(SiloStatus.Joining), next), "new entry, old table version");

        var data = await table.ReadAll();
        Assert.Equal(1, data.Version.Version);
        Assert.NotEqual(next.VersionEtag, data.Version.VersionEtag);
        Assert.False(await table.InsertRow(entry, data.Version.Next()), "duplicate entry at the current version");

        var row = await table.ReadRow(entry.SiloAddress);
        var (stored, etag) = Assert.Single(row.Members);
        Assert.Equal(entry.ToFullString(), stored.ToFullString());
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.Equal(1, row.Version.Version);
    }

    [Fact]
    public async Task Membership_rejects_updates_with_a_stale_etag_or_table_version()
    {
        var table = await MembershipAsync();
        var entry = Entry(SiloStatus.Joining);
        entry.SuspectTimes = [Tuple.Create(Silo(), Seconds(DateTime.UtcNow.AddSeconds(1)))];
        var inserted = (await table.ReadAll()).Version.Next();
        Assert.True(await table.InsertRow(entry, inserted));
        var data = await table.ReadAll();
        var etag = data.TryGet(entry.SiloAddress)!.Item2;

        Assert.False(await table.UpdateRow(entry, etag, inserted), "old table version");
        entry.Status = SiloStatus.Active;
        var version = data.Version.Next();
        Assert.True(await table.UpdateRow(entry, etag, version));
        Assert.False(await table.UpdateRow(entry, etag, (await table.ReadAll()).Version.Next()), "old row etag");

        data = await table.ReadAll();
        var (stored, newEtag) = data.TryGet(entry.SiloAddress)!;
        Assert.Equal(entry.ToFullString(), stored.ToFullString());
        Assert.NotEqual(etag, newEtag);
        Assert.Equal(version.Version, data.Version.Version);
    }

    [Fact]
    public async Task Membership_parallel_updaters_each_win_once_by_retrying()
    {
        var table = await MembershipAsync();
        var entry = Entry(SiloStatus.Active);
        var firstVersion = (await table.ReadAll()).Version.Next();
        var inserts = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => table.InsertRow(entry, firstVersion)));
        Assert.Single(inserts, ok => ok);

        await Task.WhenAll(Enumerable.Range(0, 9).Select(async _ =>
        {
            while (true)
            {
                var data = await table.ReadAll();
                var row = data.TryGet(entry.SiloAddress)!;
                if (await table.UpdateRow(row.Item1, row.Item2, data.Version.Next())) return;
            }
        })).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(10, (await table.ReadAll()).Version.Version);
    }

    [Fact]
    public async Task Membership_IAmAlive_moves_the_heartbeat_only()
    {
        var table = await MembershipAsync();
        var entry = Entry(SiloStatus.Active);
        var version = (await table.ReadAll()).Version.Next();
        Assert.True(await table.InsertRow(entry, version));
        var etagBefore = (await table.ReadAll()).TryGet(entry.SiloAddress)!.Item2;

        var alive = DateTime.UtcNow.AddSeconds(5);
        await table.UpdateIAmAlive(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = alive });

        var data = await table.ReadAll();
        var (stored, etagAfter) = data.TryGet(entry.SiloAddress)!;
        Assert.True((alive - stored.IAmAliveTime).Duration() < TimeSpan.FromMilliseconds(1));
        Assert.Equal(version.Version, data.Version.Version);
        Assert.Equal(etagBefore, etagAfter);
        Assert.Equal(SiloStatus.Active, stored.Status);
    }

    [Fact]
    public async Task Membership_cleanup_removes_old_entries_that_are_not_active_and_delete_removes_the_cluster()
    {
        var table = await MembershipAsync();
        var now = Seconds(DateTime.UtcNow);
        var entries = Enum.GetValues<SiloStatus>().Select(status => Entry(status, now.AddDays(-10))).Append(Entry(SiloStatus.Joining, now)).ToList();
        var recentlySuspected = Entry(SiloStatus.Dead, now.AddDays(-10));
        recentlySuspected.SuspectTimes = [Tuple.Create(Silo(), now)];
        entries.Add(recentlySuspected);
        foreach (var entry in entries)
            Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));

        await table.CleanupDefunctSiloEntries(now.AddDays(-7));

        var left = (await table.ReadAll()).Members.Select(m => m.Item1).ToList();
        Assert.Equal(3, left.Count); // the old Active one, the recent Joining one, the Dead one with a recent suspicion
        Assert.Contains(left, m => m.Status == SiloStatus.Active);
        Assert.Contains(left, m => m.SiloAddress.Equals(recentlySuspected.SiloAddress));

        await table.DeleteMembershipTableEntries(Cluster.Value.ClusterId);
        await Assert.ThrowsAsync<InvalidOperationException>(() => table.ReadAll());
    }

    [Fact]
    public async Task Gateway_list_holds_active_silos_with_a_proxy_port()
    {
        var table = await MembershipAsync();
        var active = Entry(SiloStatus.Active);
        var activeWithoutGateway = Entry(SiloStatus.Active);
        activeWithoutGateway.ProxyPort = 0;
        var joining = Entry(SiloStatus.Joining);
        foreach (var entry in new[] { active, activeWithoutGateway, joining })
            Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));

        var gateways = new PostgresGatewayListProvider(Database, Cluster, Options.Create(new GatewayOptions()));
        await gateways.InitializeGatewayListProvider();
        var expected = SiloAddress.New(new IPEndPoint(active.SiloAddress.Endpoint.Address, active.ProxyPort), active.SiloAddress.Generation).ToGatewayUri();
        Assert.Equal([expected], await gateways.GetGateways());
    }

    private async Task<PostgresMembershipTable> MembershipAsync()
    {
        var table = new PostgresMembershipTable(Database, Cluster);
        await table.InitializeMembershipTable(tryInitTableVersion: true);
        await table.InitializeMembershipTable(tryInitTableVersion: true); // idempotent
        return table;
    }

    private static SiloAddress Silo() => SiloAddress.New(IPAddress.Loopback, 11111, Interlocked.Increment(ref _generation));

    private static DateTime Seconds(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static MembershipEntry Entry(SiloStatus status, DateTime? at = null)
    {
        var silo = Silo();
        var time = at ?? Seconds(DateTime.UtcNow);
        return new MembershipEntry
        {
            SiloAddress = silo, Status = status, HostName = "node-1", SiloName = $"silo-{silo.Generation}", ProxyPort = 30000,
            StartTime = time, IAmAliveTime = time, RoleName = "worker", UpdateZone = 1, FaultZone = 2,
        };
    }
}
