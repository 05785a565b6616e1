using System.Diagnostics;

namespace Dsdr.Storage.Embedded;

/// <summary>The folder holding a PostgreSQL server's programs (initdb, pg_ctl, postgres).</summary>
public sealed record PostgresBinaries(string BinDirectory)
{
    /// <summary>Environment variable naming the folder explicitly (checked first).</summary>
    public const string BinDirectoryVariable = "DSDR_PG_BIN";

    public string InitDb => Path.Combine(BinDirectory, "initdb");
    public string PgCtl => Path.Combine(BinDirectory, "pg_ctl");

    /// <summary>
    /// Finds the server programs: <paramref name="explicitDirectory"/>, DSDR_PG_BIN, <c>pg_config --bindir</c>,
    /// then the highest version under /usr/lib/postgresql/*/bin (Debian/Ubuntu) and the usual install folders.
    /// </summary>
    /// <exception cref="PostgresNotFoundException">No folder holds both initdb and pg_ctl.</exception>
    public static PostgresBinaries Locate(string? explicitDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return IsServerBinDirectory(explicitDirectory)
                ? new PostgresBinaries(explicitDirectory)
                : throw new PostgresNotFoundException(
                    $"The configured PostgreSQL folder '{explicitDirectory}' does not contain initdb and pg_ctl. " + InstallHint);
        }

        foreach (var candidate in Candidates())
        {
            if (IsServerBinDirectory(candidate)) return new PostgresBinaries(candidate);
        }
        throw new PostgresNotFoundException("PostgreSQL server programs (initdb, pg_ctl) were not found. " + InstallHint);
    }

    internal const string InstallHint =
        "Install them (Debian/Ubuntu: `sudo apt-get install postgresql`; Fedora/RHEL: `sudo dnf install postgresql-server`; " +
        "macOS: `brew install postgresql`), or set DSDR_PG_BIN to the folder holding initdb, " +
        "or point ConnectionStrings:Dsdr / DSDR_PG at an existing PostgreSQL server.";

    private static IEnumerable<string> Candidates()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) yield return fromEnvironment;

        var fromPgConfig = PgConfigBinDir();
        if (fromPgConfig is not null) yield return fromPgConfig;

        foreach (var root in new[] { "/usr/lib/postgresql", "/usr/local/lib/postgresql", "/opt/homebrew/opt" })
        {
            if (!Directory.Exists(root)) continue;
            var versions = Directory.GetDirectories(root)
                .Select(dir => (dir, version: VersionOf(Path.GetFileName(dir))))
                .OrderByDescending(v => v.version);
            foreach (var (dir, _) in versions) yield return Path.Combine(dir, "bin");
        }
        foreach (var dir in new[] { "/usr/local/pgsql/bin", "/usr/pgsql/bin", "/usr/local/bin", "/usr/bin", "/opt/homebrew/bin" })
            yield return dir;
    }

    // "15" → 15, "postgresql@16" → 16; unversioned names sort last.
    private static double VersionOf(string name)
    {
        var digits = new string(name.SkipWhile(c => !char.IsAsciiDigit(c)).TakeWhile(c => char.IsAsciiDigit(c) || c == '.').ToArray());
        return double.TryParse(digits, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : -1;
    }

    private static string? PgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(5000);
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // pg_config is not installed
        }
    }

    private static bool IsServerBinDirectory(string dir) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
}

/// <summary>PostgreSQL's server programs are missing; the message says how to install them.</summary>
public sealed class PostgresNotFoundException(string message) : Exception(message);

/// <summary>The embedded PostgreSQL failed to initialise, start or stop; the message carries the server's own output.</summary>
public sealed class EmbeddedPostgresException(string message, Exception? inner = null) : Exception(message, inner);
