using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Dsdr.Cli.Commands;
using Dsdr.Storage;
using Dsdr.Storage.Embedded;
using Npgsql;

namespace Dsdr.Cli.Tests;

/// <summary>`dsdr doctor` on this machine: a CPU build of TorchSharp with the GLIBCXX patch, no GPU, the MiniLM encoder, PostgreSQL 15 binaries.</summary>
public class DoctorCommandTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task ReportsThisMachinesFactsAndAPrivatePostgresAsOk()
    {
        await using var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(Path.GetTempPath(), $"dsdr-doctor-tests-{Guid.NewGuid():N}"), Database = "doctor", Ephemeral = true,
        });
        await using (var database = DsdrDatabase.FromConnectionString(server.ConnectionString))
            await database.GetDataSourceAsync(); // migrated, as the hosts leave it
        NpgsqlConnection.ClearAllPools();

        var result = CliRunner.Run("doctor", "--connection", server.ConnectionString);
        var report = result.Output;

        Assert.True(result.Exit == 0, report + result.Error);
        Assert.Matches($@"(?m)^OK\s+\.NET\s+\.NET {Environment.Version.Major}\.{Environment.Version.Minor}\.{Environment.Version.Build} \(linux-x64, .*\), {Environment.ProcessorCount} cores", report);
        Assert.Matches(@"(?m)^OK\s+libtorch backend\s+cpu: libtorch-cpu-linux-x64 2\.10\.0 \(TorchSharp 0\.107\.0\)", report);
        Assert.Matches(@"(?m)^OK\s+LibTorchSharp\s+loads \(libtorch 2\.10\.0.*\); GLIBCXX_3\.4\.32 requirement marked weak \(patched\); system libstdc\+\+ lacks GLIBCXX_3\.4\.32", report);
        Assert.Matches(@"(?m)^OK\s+CUDA devices\s+CPU build, torch: cuda available = false, 0 device\(s\); no NVIDIA GPU seen \(nvidia-smi not found\)", report);
        Assert.Matches($@"(?m)^OK\s+PostgreSQL\s+reachable at 127\.0\.0\.1:{server.Port}, database doctor, user dsdr \(--connection\): PostgreSQL 15\.\d+, schema current \(\d+ migrations\)", report);
        Assert.Matches(@"(?m)^OK\s+sentence encoder\s+all-MiniLM-L6-v2 \(ONNX\) loads and embeds in \d+ ms: 384-d, \|v\| = 1\.000, cos\(paraphrase\) = 0\.\d+ > cos\(unrelated\) = -?0\.\d+", report);
        // A fresh database has no scheduler state: a warning with its fix, not a failure.
        Assert.Matches(@"(?m)^WARN\s+cluster slots\s+no slots and no scheduler state in this database", report);
        Assert.Matches(@"(?m)^\s+fix: start the web host or a worker \(Dsdr\.Silo\) on this database", report);
        Assert.Contains("dsdr doctor: 7 checks, 0 FAIL, 1 WARN.", report);
    }

    [Fact]
    public async Task WithoutAConnectionStringItFindsTheBinariesAndProbesARunningEmbeddedServer()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dsdr-doctor-embedded-{Guid.NewGuid():N}");
        var idle = DoctorChecks.EmbeddedPostgresCheck(folder);
        Assert.Equal(DoctorLevel.Ok, idle.Check.Level);
        Assert.Matches($@"^no connection string: embedded server from /usr/lib/postgresql/\d+/bin, data folder {Regex.Escape(folder)} \(not created yet; not running now", idle.Check.Finding);
        Assert.Null(idle.ReachableConnectionString);

        await using var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder, Ephemeral = true });
        await using (var database = DsdrDatabase.FromConnectionString(server.ConnectionString))
            await database.GetDataSourceAsync();
        NpgsqlConnection.ClearAllPools();
        var running = DoctorChecks.EmbeddedPostgresCheck(folder);
        Assert.Equal(DoctorLevel.Ok, running.Check.Level);
        Assert.Matches($@": running on port {server.Port}, PostgreSQL 15\.\d+, schema current", running.Check.Finding);
        Assert.NotNull(running.ReachableConnectionString);
    }

    [Fact]
    public void UnreachableConnectionStringFailsWithHowToFixIt()
    {
        var port = FreePort(); // nothing listens there
        var result = CliRunner.Run("doctor", "--connection", $"Host=127.0.0.1;Port={port};Username=dsdr;Password=x;Database=dsdr;Timeout=3");

        Assert.Equal(1, result.Exit);
        Assert.Matches($@"(?m)^FAIL\s+PostgreSQL\s+unreachable at 127\.0\.0\.1:{port}, database dsdr, user dsdr \(--connection\): ", result.Output);
        Assert.Contains($"fix: start the server or correct --connection: check host and port (pg_isready -h 127.0.0.1 -p {port})", result.Output);
        Assert.DoesNotContain("Password=x", result.Output);
        Assert.Matches(@"dsdr doctor: 7 checks, 1 FAIL, \d WARN\.", result.Output);
    }

    [Fact]
    public void UnreachableApiFailsTheSlotCheck()
    {
        var port = FreePort();
        var check = DoctorChecks.ClusterSlots($"http://127.0.0.1:{port}", reachableConnectionString: null);
        Assert.Equal(DoctorLevel.Fail, check.Level);
        Assert.StartsWith($"GET http://127.0.0.1:{port}/api/pool failed", check.Finding);
        Assert.Equal("start the web host (dsdr serve, or the dsdr-web container) or correct --api.", check.Fix);
    }

    [Fact]
    public void ApiThatIsNotAUrlIsBadInput()
    {
        var result = CliRunner.Run("doctor", "--api", "localhost");
        Assert.Equal(2, result.Exit);
        Assert.Contains("--api: 'localhost' is not an http(s) URL", result.Error);
    }

    [Fact]
    public void ElfReaderFindsThePatchedWeakRequirementAndNoneWhereThereIsNone()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.Equal(ElfRequirement.Weak, ElfVersionNeeds.Requirement(library, "GLIBCXX_3.4.32"));
        Assert.Equal(ElfRequirement.Required, ElfVersionNeeds.Requirement(library, "GLIBCXX_3.4.21")); // an ordinary, unpatched need
        Assert.Equal(ElfRequirement.Absent, ElfVersionNeeds.Requirement(library, "GLIBCXX_9.9.99"));
        var text = Path.GetTempFileName();
        try
        {
            File.WriteAllText(text, "not an ELF file");
            Assert.Equal(ElfRequirement.NotElf, ElfVersionNeeds.Requirement(text, "GLIBCXX_3.4.32"));
        }
        finally
        {
            File.Delete(text);
        }
    }

    [Fact]
    public void ReportLinesCarryLevelNameFindingAndTheFixBelow()
    {
        Assert.Equal("OK    .NET              fine", DoctorCommand.Format(DoctorCheck.Ok(".NET", "fine")));
        var lines = DoctorCommand.Format(DoctorCheck.Fail("PostgreSQL", "down", "start it")).Split(Environment.NewLine);
        Assert.Equal(["FAIL  PostgreSQL        down", "                        fix: start it"], lines);
    }
}
