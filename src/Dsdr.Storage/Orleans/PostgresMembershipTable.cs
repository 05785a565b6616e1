using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace Dsdr.Storage.Orleans;

/// <summary>
/// Orleans cluster membership on orleans_membership(+_version), per Orleans' contract: the table version row carries
/// (version, etag); InsertRow/UpdateRow succeed only when the caller's table-version etag is current (and, for updates,
/// the row's etag too), and then move the version to the caller's number with a fresh etag, in one transaction.
/// UpdateIAmAlive touches only the heartbeat column.
/// </summary>
public sealed class PostgresMembershipTable(DsdrDatabase database, IOptions<ClusterOptions> cluster) : IMembershipTable
{
    private readonly string _clusterId = cluster.Value.ClusterId;

    public async Task InitializeMembershipTable(bool tryInitTableVersion)
    {
        await using var connection = await database.OpenConnectionAsync();
        if (tryInitTableVersion)
            await connection.ExecuteAsync(
                "INSERT INTO orleans_membership_version (cluster_id, version, etag) VALUES (@clusterId, 0, 0) ON CONFLICT (cluster_id) DO NOTHING",
                new { clusterId = _clusterId });
    }

    public async Task DeleteMembershipTableEntries(string clusterId)
    {
        await using var connection = await database.OpenConnectionAsync();
        await connection.ExecuteAsync("DELETE FROM orleans_membership_version WHERE cluster_id = @clusterId", new { clusterId });
    }

    /// <summary>Removes rows of silos that are not Active and whose last sign of life is older than <paramref name="beforeDate"/>.</summary>
    public async Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate)
    {
        await using var connection = await database.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            DELETE FROM orleans_membership m
            WHERE m.cluster_id = @clusterId AND m.status <> @active
              AND GREATEST(m.start_time, m.iamalive_time,
                           (SELECT max((vote->>'at')::timestamptz) FROM jsonb_array_elements(coalesce(m.suspect_times, '[]'::jsonb)) vote))
                  < @beforeDate
            """, new { clusterId = _clusterId, active = (int)SiloStatus.Active, beforeDate = beforeDate.UtcDateTime });
    }

    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadAsync(key);

    public Task<MembershipTableData> ReadAll() => ReadAsync(null);

    public async Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (!await AdvanceVersionAsync(connection, transaction, tableVersion)) return false;
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO orleans_membership (cluster_id, silo_address, silo_name, host_name, status, proxy_port, role_name,
                update_zone, fault_zone, suspect_times, start_time, iamalive_time, etag)
            VALUES (@clusterId, @siloAddress, @siloName, @hostName, @status, @proxyPort, @roleName,
                @updateZone, @faultZone, CAST(@suspectTimes AS jsonb), @startTime, @iAmAliveTime, 1)
            ON CONFLICT (cluster_id, silo_address) DO NOTHING
            """, RowParameters(entry), transaction));
        if (inserted != 1) return false; // the silo is already in the table; the transaction rolls back
        await transaction.CommitAsync();
        return true;
    }

    public async Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion)
    {
        if (!long.TryParse(etag, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rowEtag)) return false;
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (!await AdvanceVersionAsync(connection, transaction, tableVersion)) return false;
        var parameters = new DynamicParameters(RowParameters(entry));
        parameters.Add("rowEtag", rowEtag);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE orleans_membership SET silo_name = @siloName, host_name = @hostName, status = @status, proxy_port = @proxyPort,
                role_name = @roleName, update_zone = @updateZone, fault_zone = @faultZone, suspect_times = CAST(@suspectTimes AS jsonb),
                start_time = @startTime, iamalive_time = @iAmAliveTime, etag = etag + 1
            WHERE cluster_id = @clusterId AND silo_address = @siloAddress AND etag = @rowEtag
            """, parameters, transaction));
        if (updated != 1) return false;
        await transaction.CommitAsync();
        return true;
    }

    public async Task UpdateIAmAlive(MembershipEntry entry)
    {
        await using var connection = await database.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "UPDATE orleans_membership SET iamalive_time = @iAmAliveTime WHERE cluster_id = @clusterId AND silo_address = @siloAddress",
            new { clusterId = _clusterId, siloAddress = entry.SiloAddress.ToParsableString(), iAmAliveTime = Utc(entry.IAmAliveTime) });
    }

    // The version row moves only from the caller's etag; a concurrent writer that got there first leaves 0 rows.
    private async Task<bool> AdvanceVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TableVersion tableVersion)
    {
        if (!long.TryParse(tableVersion.VersionEtag, NumberStyles.Integer, CultureInfo.InvariantCulture, out var versionEtag)) return false;
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE orleans_membership_version SET version = @version, etag = etag + 1, updated_at = now()
            WHERE cluster_id = @clusterId AND etag = @versionEtag
            """, new { clusterId = _clusterId, version = tableVersion.Version, versionEtag }, transaction)) == 1;
    }

    private async Task<MembershipTableData> ReadAsync(SiloAddress? key)
    {
        await using var connection = await database.OpenConnectionAsync();
        // One statement, one snapshot: the version and the rows agree.
        var rows = (await connection.QueryAsync<MemberRow>("""
            SELECT v.version AS Version, v.etag AS VersionEtag, m.silo_address AS SiloAddress, m.silo_name AS SiloName, m.host_name AS HostName,
                   m.status AS Status, m.proxy_port AS ProxyPort, m.role_name AS RoleName, m.update_zone AS UpdateZone, m.fault_zone AS FaultZone,
                   m.suspect_times::text AS SuspectTimes, m.start_time AS StartTime, m.iamalive_time AS IAmAliveTime, m.etag AS Etag
            FROM orleans_membership_version v
            LEFT JOIN orleans_membership m ON m.cluster_id = v.cluster_id AND (@siloAddress::text IS NULL OR m.silo_address = @siloAddress::text)
            WHERE v.cluster_id = @clusterId
            """, new { clusterId = _clusterId, siloAddress = key?.ToParsableString() })).AsList();
        if (rows.Count == 0)
            throw new InvalidOperationException(
                $"The membership table has no version row for cluster '{_clusterId}': InitializeMembershipTable(true) must run first.");
        var version = new TableVersion(rows[0].Version, rows[0].VersionEtag.ToString(CultureInfo.InvariantCulture));
        var members = rows.Where(r => r.SiloAddress is not null)
            .Select(r => Tuple.Create(ToEntry(r), r.Etag!.Value.ToString(CultureInfo.InvariantCulture)))
            .ToList();
        return new MembershipTableData(members, version);
    }

    private object RowParameters(MembershipEntry entry) => new
    {
        clusterId = _clusterId,
        siloAddress = entry.SiloAddress.ToParsableString(),
        siloName = entry.SiloName ?? "",
        hostName = entry.HostName ?? "",
        status = (int)entry.Status,
        proxyPort = entry.ProxyPort,
        roleName = entry.RoleName,
        updateZone = entry.UpdateZone,
        faultZone = entry.FaultZone,
        suspectTimes = entry.SuspectTimes is null
            ? null
            : JsonSerializer.Serialize(entry.SuspectTimes.Select(v => new SuspectVote(v.Item1.ToParsableString(), Utc(v.Item2)))),
        startTime = Utc(entry.StartTime),
        iAmAliveTime = Utc(entry.IAmAliveTime),
    };

    private static MembershipEntry ToEntry(MemberRow row) => new()
    {
        SiloAddress = SiloAddress.FromParsableString(row.SiloAddress!),
        SiloName = row.SiloName!,
        HostName = row.HostName!,
        Status = (SiloStatus)row.Status!.Value,
        ProxyPort = row.ProxyPort!.Value,
        RoleName = row.RoleName,
        UpdateZone = row.UpdateZone!.Value,
        FaultZone = row.FaultZone!.Value,
        SuspectTimes = row.SuspectTimes is null
            ? null
            : JsonSerializer.Deserialize<List<SuspectVote>>(row.SuspectTimes)!
                .Select(v => Tuple.Create(SiloAddress.FromParsableString(v.Silo), DateTime.SpecifyKind(v.At, DateTimeKind.Utc)))
                .ToList(),
        StartTime = DateTime.SpecifyKind(row.StartTime!.Value, DateTimeKind.Utc),
        IAmAliveTime = DateTime.SpecifyKind(row.IAmAliveTime!.Value, DateTimeKind.Utc),
    };

    // timestamptz takes UTC; Orleans fills these with UtcNow, but an Unspecified kind is read as UTC rather than refused.
    private static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };

    private sealed record SuspectVote(
        [property: System.Text.Json.Serialization.JsonPropertyName("silo")] string Silo,
        [property: System.Text.Json.Serialization.JsonPropertyName("at")] DateTime At);

    private sealed record MemberRow(
        int Version, long VersionEtag, string? SiloAddress, string? SiloName, string? HostName, int? Status, int? ProxyPort, string? RoleName,
        int? UpdateZone, int? FaultZone, string? SuspectTimes, DateTime? StartTime, DateTime? IAmAliveTime, long? Etag);
}

/// <summary>Clients' gateway list: the proxy endpoints of Active silos in the membership table.</summary>
public sealed class PostgresGatewayListProvider(DsdrDatabase database, IOptions<ClusterOptions> cluster, IOptions<GatewayOptions> gateway)
    : IGatewayListProvider
{
    public TimeSpan MaxStaleness => gateway.Value.GatewayListRefreshPeriod;

    [Obsolete("Orleans no longer reads this; every provider is updatable.")]
    public bool IsUpdatable => true;

    public async Task InitializeGatewayListProvider() => await database.GetDataSourceAsync();

    public async Task<IList<Uri>> GetGateways()
    {
        await using var connection = await database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<GatewayRow>("""
            SELECT silo_address AS SiloAddress, proxy_port AS ProxyPort FROM orleans_membership
            WHERE cluster_id = @clusterId AND status = @active AND proxy_port > 0
            """, new { clusterId = cluster.Value.ClusterId, active = (int)SiloStatus.Active });
        return rows.Select(r =>
        {
            var silo = SiloAddress.FromParsableString(r.SiloAddress);
            return SiloAddress.New(new IPEndPoint(silo.Endpoint.Address, r.ProxyPort), silo.Generation).ToGatewayUri();
        }).ToList();
    }

    private sealed record GatewayRow(string SiloAddress, int ProxyPort);
}
