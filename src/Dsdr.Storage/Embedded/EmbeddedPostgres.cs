using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Dsdr.Storage.Embedded;

/// <summary>How the private PostgreSQL server is laid out and started.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>The server's data folder (PGDATA). Default: <see cref="EmbeddedPostgres.DefaultDataDirectory"/>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The database the platform uses; created on first start.</summary>
    public string Database { get; init; } = "dsdr";

    /// <summary>Throw-away server (tests, benchmarks): fsync off, data folder deleted on dispose. Never for user data.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>Loopback port; 0 picks a free one at every start.</summary>
    public int Port { get; init; }

    /// <summary>Folder with initdb/pg_ctl; null searches (DSDR_PG_BIN, pg_config, /usr/lib/postgresql/*/bin, …).</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Operating-system user that runs the server when this process is root (postgres refuses root).</summary>
    public string ServiceUser { get; init; } = "postgres";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A private PostgreSQL server started from the machine's own binaries in a data folder on a loopback port.
/// A second start on the same folder finds the data again; a server left running by a killed process is adopted,
/// a stale postmaster.pid is removed. Disposing stops the server (and deletes an ephemeral folder).
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable, IDisposable
{
    private const string SuperUser = "dsdr";
    private const string PasswordFileName = "dsdr-superuser.password";
    private const string LogFileName = "dsdr-server.log";

    private readonly EmbeddedPostgresOptions _options;
    private readonly PostgresBinaries _binaries;
    private readonly ILogger _logger;
    private readonly string? _runAsUser;
    private readonly string _password;
    private int _disposed;

    public string DataDirectory { get; }
    public int Port { get; private set; }
    public bool IsRunning { get; private set; }

    /// <summary>Connection string of the platform's database.</summary>
    public string ConnectionString => ConnectionStringFor(_options.Database);

    private EmbeddedPostgres(EmbeddedPostgresOptions options, PostgresBinaries binaries, string dataDirectory,
        string? runAsUser, string password, ILogger logger)
    {
        _options = options;
        _binaries = binaries;
        DataDirectory = dataDirectory;
        _runAsUser = runAsUser;
        _password = password;
        _logger = logger;
    }

    /// <summary>
    /// Default data folder: $XDG_DATA_HOME (or ~/.local/share)/dsdr/postgres for ordinary users; /var/lib/dsdr/postgres
    /// for root, whose home folder the unprivileged server user cannot enter.
    /// </summary>
    public static string DefaultDataDirectory() =>
        Environment.IsPrivilegedProcess
            ? "/var/lib/dsdr/postgres"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "dsdr", "postgres");

    /// <summary>Initialises the data folder when new, starts (or adopts) the server and creates the database.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions? options = null, ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedPostgresOptions();
        logger ??= NullLogger.Instance;
        if (string.IsNullOrWhiteSpace(options.Database))
            throw new ArgumentException("EmbeddedPostgresOptions.Database must name a database, e.g. \"dsdr\".", nameof(options));

        var binaries = PostgresBinaries.Locate(options.BinDirectory);
        var dataDirectory = Path.GetFullPath(options.DataDirectory ?? DefaultDataDirectory());
        var runAsUser = Environment.IsPrivilegedProcess ? await EnsureServiceUserAsync(options.ServiceUser, cancellationToken) : null;

        string password;
        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            password = await InitialiseAsync(binaries, dataDirectory, runAsUser, options.Ephemeral, logger, cancellationToken);
        else
        {
            await CheckVersionMatchesAsync(binaries, dataDirectory, cancellationToken);
            var passwordFile = Path.Combine(dataDirectory, PasswordFileName);
            if (!File.Exists(passwordFile))
                throw new EmbeddedPostgresException(
                    $"The data folder '{dataDirectory}' holds a PostgreSQL cluster that Dsdr did not create (no {PasswordFileName}). " +
                    "Choose another folder (Dsdr:DataDirectory) or connect to that server with ConnectionStrings:Dsdr.");
            password = (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim();
        }

        var server = new EmbeddedPostgres(options, binaries, dataDirectory, runAsUser, password, logger);
        try
        {
            await server.StartAsync(cancellationToken);
            await server.CreateDatabaseAsync(options.Database, cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        AppDomain.CurrentDomain.ProcessExit += server.OnProcessExit;
        return server;
    }

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = SuperUser, Password = _password, Database = database,
        // A restarted server gets the same port, so pooled connections fail once and are replaced.
        MaxPoolSize = 50, Timeout = 15,
    }.ConnectionString;

    /// <summary>Creates <paramref name="database"/> unless it exists; returns true when it was created.</summary>
    public async Task<bool> CreateDatabaseAsync(string database, CancellationToken cancellationToken = default, string? template = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection))
        {
            exists.Parameters.AddWithValue(database);
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null) return false;
        }
        // CREATE DATABASE takes no parameters; quote the identifiers.
        var sql = $"CREATE DATABASE {QuoteIdentifier(database)}" + (template is null ? "" : $" TEMPLATE {QuoteIdentifier(template)}");
        await using var create = new NpgsqlCommand(sql, connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            return false; // created concurrently
        }
        return true;
    }

    /// <summary>Starts the server on this folder again (after <see cref="StopAsync"/>), on the same port when it was chosen before.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning) return;
        if (TryAdoptRunningServer()) return;

        for (var attempt = 1; ; attempt++)
        {
            Port = _options.Port != 0 ? _options.Port : Port != 0 && attempt == 1 ? Port : FreeLoopbackPort();
            var timeout = ((int)_options.StartTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var result = await RunAsync(_binaries.PgCtl,
                ["start", "-D", DataDirectory, "-w", "-t", timeout, "-l", Path.Combine(DataDirectory, LogFileName), "-o", $"-p {Port}"],
                asServiceUser: true, cancellationToken);
            if (result.ExitCode == 0) break;

            var log = LogTail();
            var portTaken = log.Contains("could not bind", StringComparison.OrdinalIgnoreCase) ||
                            log.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);
            if (portTaken && _options.Port == 0 && attempt < 3)
            {
                _logger.LogWarning("Port {Port} was taken while PostgreSQL started; trying another", Port);
                Port = 0;
                continue;
            }
            throw new EmbeddedPostgresException(
                $"PostgreSQL did not start on port {Port} from '{DataDirectory}' (pg_ctl exit {result.ExitCode}).\n{result.Output}\nServer log:\n{log}");
        }
        IsRunning = true;
        _logger.LogInformation("Embedded PostgreSQL running on 127.0.0.1:{Port} with data in {DataDirectory}", Port, DataDirectory);
    }

    /// <summary>Stops the server (fast shutdown: open transactions roll back); the data stays.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!IsRunning) return;
        var result = await RunAsync(_binaries.PgCtl, ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"],
            asServiceUser: true, cancellationToken);
        if (result.ExitCode != 0 && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            throw new EmbeddedPostgresException($"pg_ctl stop failed for '{DataDirectory}' (exit {result.ExitCode}): {result.Output}");
        IsRunning = false;
        NpgsqlConnection.ClearAllPools();
        _logger.LogInformation("Embedded PostgreSQL stopped ({DataDirectory})", DataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        try
        {
            await StopAsync();
        }
        finally
        {
            if (_options.Ephemeral && Directory.Exists(DataDirectory))
                Directory.Delete(DataDirectory, recursive: true);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnProcessExit(object? sender, EventArgs e)
    {
        try { Dispose(); }
        catch (Exception ex) { _logger.LogWarning(ex, "Stopping embedded PostgreSQL at exit failed"); }
    }

    // A server whose postmaster.pid names a live postgres process (left by a killed run) is reused;
    // a pid file naming a dead process is removed so pg_ctl can start.
    private bool TryAdoptRunningServer()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return false;
        var lines = File.ReadAllLines(pidFile);
        if (lines.Length >= 4 && int.TryParse(lines[0].Trim(), out var pid) && int.TryParse(lines[3].Trim(), out var port)
            && IsPostgresProcess(pid) && lines.Length >= 8 && lines[7].Trim() == "ready")
        {
            Port = port;
            IsRunning = true;
            _logger.LogInformation("Adopted the PostgreSQL server (pid {Pid}) already running on port {Port} for {DataDirectory}", pid, port, DataDirectory);
            return true;
        }
        if (lines.Length >= 1 && int.TryParse(lines[0].Trim(), out var stalePid) && IsPostgresProcess(stalePid))
            throw new EmbeddedPostgresException(
                $"A PostgreSQL process (pid {stalePid}) holds '{DataDirectory}' but is not ready; stop it (pg_ctl stop -D '{DataDirectory}') and retry.");
        _logger.LogWarning("Removing stale postmaster.pid from {DataDirectory} (its process is gone)", DataDirectory);
        File.Delete(pidFile);
        return false;
    }

    private static bool IsPostgresProcess(int pid)
    {
        var cmdline = $"/proc/{pid}/cmdline";
        if (File.Exists(cmdline))
        {
            try { return File.ReadAllText(cmdline).Contains("postgres", StringComparison.Ordinal); }
            catch (IOException) { return false; }
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.ProcessName.Contains("postgres", StringComparison.OrdinalIgnoreCase);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<string> InitialiseAsync(PostgresBinaries binaries, string dataDirectory, string? runAsUser,
        bool ephemeral, ILogger logger, CancellationToken cancellationToken)
    {
        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
            throw new EmbeddedPostgresException(
                $"The data folder '{dataDirectory}' is not empty and holds no PostgreSQL cluster (no PG_VERSION). " +
                "Empty it or choose another folder (Dsdr:DataDirectory).");
        Directory.CreateDirectory(dataDirectory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var passwordFile = Path.Combine(Path.GetTempPath(), $"dsdr-pw-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        try
        {
            if (runAsUser is not null)
            {
                await ChownAsync(runAsUser, dataDirectory, cancellationToken);
                await ChownAsync(runAsUser, passwordFile, cancellationToken);
                var probe = await RunAsync("test", ["-w", dataDirectory], runAsUser, cancellationToken);
                if (probe.ExitCode != 0)
                    throw new EmbeddedPostgresException(
                        $"The server user '{runAsUser}' cannot write '{dataDirectory}' (a parent folder is closed to it). " +
                        "Choose a data folder outside /root, e.g. under /var/lib or /tmp.");
            }
            string[] args =
            [
                "-D", dataDirectory, "-U", SuperUser, "--pwfile", passwordFile, "--auth", "scram-sha-256",
                "-E", "UTF8", "--locale", "C", .. ephemeral ? new[] { "--no-sync" } : [],
            ];
            var result = await RunAsync(binaries.InitDb, args, runAsUser, cancellationToken);
            if (result.ExitCode != 0)
                throw new EmbeddedPostgresException($"initdb failed for '{dataDirectory}' (exit {result.ExitCode}):\n{result.Output}");
        }
        finally
        {
            File.Delete(passwordFile);
        }

        var settings = new StringBuilder()
            .AppendLine()
            .AppendLine("# Dsdr embedded server")
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine("unix_socket_directories = ''")
            .AppendLine("max_connections = 200")
            .AppendLine("max_wal_size = '2GB'");
        if (ephemeral)
            settings.AppendLine("fsync = off").AppendLine("synchronous_commit = off").AppendLine("full_page_writes = off");
        await File.AppendAllTextAsync(Path.Combine(dataDirectory, "postgresql.conf"), settings.ToString(), cancellationToken);

        var storedPassword = Path.Combine(dataDirectory, PasswordFileName);
        await File.WriteAllTextAsync(storedPassword, password, cancellationToken);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(storedPassword, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (runAsUser is not null) await ChownAsync(runAsUser, storedPassword, cancellationToken);
        logger.LogInformation("Initialised a PostgreSQL cluster in {DataDirectory}", dataDirectory);
        return password;
    }

    private static async Task CheckVersionMatchesAsync(PostgresBinaries binaries, string dataDirectory, CancellationToken cancellationToken)
    {
        var dataVersion = (await File.ReadAllTextAsync(Path.Combine(dataDirectory, "PG_VERSION"), cancellationToken)).Trim();
        var result = await RunAsync(binaries.PgCtl, ["--version"], null, cancellationToken);
        // "pg_ctl (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" → "15"
        var words = result.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var binaryMajor = words.Length >= 3 ? words[2].Split('.')[0] : "";
        if (binaryMajor.Length > 0 && binaryMajor != dataVersion)
            throw new EmbeddedPostgresException(
                $"The data folder '{dataDirectory}' was created by PostgreSQL {dataVersion}, but the binaries in '{binaries.BinDirectory}' " +
                $"are PostgreSQL {binaryMajor}. Point DSDR_PG_BIN at PostgreSQL {dataVersion}'s bin folder, or choose a new data folder.");
    }

    private static async Task<string> EnsureServiceUserAsync(string user, CancellationToken cancellationToken)
    {
        if ((await RunAsync("id", ["-u", user], null, cancellationToken)).ExitCode == 0) return user;
        var created = await RunAsync("useradd",
            ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user], null, cancellationToken);
        if (created.ExitCode != 0)
            throw new EmbeddedPostgresException(
                $"Running as root, the embedded PostgreSQL needs an unprivileged user '{user}', and creating it failed: {created.Output}");
        return user;
    }

    private static async Task ChownAsync(string user, string path, CancellationToken cancellationToken)
    {
        var result = await RunAsync("chown", ["-R", $"{user}:", path], null, cancellationToken);
        if (result.ExitCode != 0) throw new EmbeddedPostgresException($"chown {user} '{path}' failed: {result.Output}");
    }

    private Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] args, bool asServiceUser, CancellationToken cancellationToken) =>
        RunAsync(fileName, args, asServiceUser ? _runAsUser : null, cancellationToken);

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] args, string? runAsUser,
        CancellationToken cancellationToken)
    {
        var start = runAsUser is null
            ? new ProcessStartInfo(fileName, args)
            : new ProcessStartInfo("runuser", ["-u", runAsUser, "--", fileName, .. args]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = "/"; // the server user may not enter the caller's folder
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new EmbeddedPostgresException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }

    private string LogTail()
    {
        var log = Path.Combine(DataDirectory, LogFileName);
        if (!File.Exists(log)) return "(no server log)";
        var lines = File.ReadAllLines(log);
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 20)));
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
}
