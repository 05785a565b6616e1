using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Dsdr.Storage.Migrations;

/// <summary>One numbered schema script from db/, e.g. 0001_core.sql → (1, "core").</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public string Checksum => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n")))).ToLowerInvariant();

    public override string ToString() => $"{Version:D4}_{Name}";
}

/// <summary>What one <see cref="MigrationRunner.MigrateAsync"/> call did.</summary>
public sealed record MigrationResult(IReadOnlyList<Migration> Applied, int CurrentVersion);

/// <summary>Where a database stands against this build's migrations (for `dsdr migrate --status` / `dsdr doctor`).</summary>
public sealed record MigrationStatus(IReadOnlyList<Migration> Applied, IReadOnlyList<Migration> Pending, IReadOnlyList<string> Unknown)
{
    public bool IsCurrent => Pending.Count == 0 && Unknown.Count == 0;
}

/// <summary>The database holds a migration this build does not know (it was migrated by a newer Dsdr), or a changed one.</summary>
public sealed class MigrationMismatchException(string message) : Exception(message);

/// <summary>
/// Applies db/'s numbered scripts in order, each in its own transaction, under a session advisory lock so
/// concurrent runners serialise; applied scripts are recorded in schema_version. A no-op when current.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, IReadOnlyList<Migration>? migrations = null, ILogger? logger = null)
{
    // pg_advisory_lock key shared by every runner: the first 8 bytes of SHA-256("dsdr.schema_version").
    private static readonly long LockKey = BitConverter.ToInt64(SHA256.HashData("dsdr.schema_version"u8)[..8]);

    private readonly IReadOnlyList<Migration> _migrations = Validate(migrations ?? EmbeddedMigrations());
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public IReadOnlyList<Migration> Migrations => _migrations;

    /// <summary>The scripts compiled into Dsdr.Storage from db/*.sql.</summary>
    public static IReadOnlyList<Migration> EmbeddedMigrations()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith("db/", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => Parse(Path.GetFileName(name), ReadResource(assembly, name)))
            .OrderBy(m => m.Version)
            .ToList();
    }

    /// <summary>"0003_add_index.sql" → (3, "add_index").</summary>
    public static Migration Parse(string fileName, string sql)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
            throw new ArgumentException($"Migration file '{fileName}' must be named NNNN_name.sql, e.g. 0003_add_index.sql.", nameof(fileName));
        return new Migration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value, sql);
    }

    public async Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_lock($1)", cancellationToken, LockKey);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_version (
                    version     integer     PRIMARY KEY,
                    name        text        NOT NULL,
                    checksum    text        NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            CheckKnown(applied);

            var pending = _migrations.Where(m => !applied.ContainsKey(m.Version)).ToList();
            foreach (var migration in pending)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
                {
                    try
                    {
                        await script.ExecuteNonQueryAsync(cancellationToken);
                    }
                    catch (PostgresException e)
                    {
                        throw new InvalidOperationException($"Migration {migration} failed: {e.MessageText} (SQLSTATE {e.SqlState}).", e);
                    }
                }
                await ExecuteAsync(connection, "INSERT INTO schema_version (version, name, checksum) VALUES ($1, $2, $3)",
                    cancellationToken, migration.Version, migration.Name, migration.Checksum);
                await transaction.CommitAsync(cancellationToken);
                _logger.LogInformation("Applied migration {Migration}", migration);
            }
            var current = _migrations.Count == 0 ? 0 : _migrations[^1].Version;
            return new MigrationResult(pending, Math.Max(current, applied.Count == 0 ? 0 : applied.Keys.Max()));
        }
        finally
        {
            await ExecuteAsync(connection, "SELECT pg_advisory_unlock($1)", CancellationToken.None, LockKey);
        }
    }

    /// <summary>Reads schema_version without changing anything (no lock, no table creation).</summary>
    public async Task<MigrationStatus> StatusAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
                return new MigrationStatus([], _migrations, []);
        }
        var applied = await ReadAppliedAsync(connection, cancellationToken);
        return new MigrationStatus(
            _migrations.Where(m => applied.ContainsKey(m.Version)).ToList(),
            _migrations.Where(m => !applied.ContainsKey(m.Version)).ToList(),
            applied.Where(a => _migrations.All(m => m.Version != a.Key)).Select(a => $"{a.Key:D4}_{a.Value.Name}").Order().ToList());
    }

    private void CheckKnown(IReadOnlyDictionary<int, (string Name, string Checksum)> applied)
    {
        var known = _migrations.ToDictionary(m => m.Version);
        foreach (var (version, (name, checksum)) in applied.OrderBy(a => a.Key))
        {
            if (!known.TryGetValue(version, out var migration))
                throw new MigrationMismatchException(
                    $"The database has migration {version:D4}_{name}, which this build does not know (newest known: " +
                    $"{(_migrations.Count == 0 ? "none" : _migrations[^1].ToString())}). It was migrated by a newer Dsdr: upgrade Dsdr, or use another database.");
            if (migration.Checksum != checksum)
                throw new MigrationMismatchException(
                    $"Migration {migration} was changed after it was applied to this database (checksum {checksum[..12]}… vs {migration.Checksum[..12]}…). " +
                    "Applied migrations are immutable: put the change into a new numbered script.");
        }
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM schema_version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static IReadOnlyList<Migration> Validate(IReadOnlyList<Migration> migrations)
    {
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Two migrations share version {duplicate.Key}: {string.Join(", ", duplicate)}. Renumber one of them.");
        return migrations.OrderBy(m => m.Version).ToList();
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(\d+)_([A-Za-z0-9_\-]+)\.sql$")]
    private static partial Regex FileNamePattern();
}
