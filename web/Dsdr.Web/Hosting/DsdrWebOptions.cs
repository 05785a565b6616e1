using System.Globalization;
using Dsdr.Grains;
using Dsdr.Silo;
using Dsdr.Core.Sweeps;
using Microsoft.Extensions.Configuration;

namespace Dsdr.Web.Hosting;

/// <summary>Where the web host gets its cluster: a silo in this process, or an existing cluster it joins as a client.</summary>
public enum WebMode
{
    /// <summary>One process: the silo, its learner slots and (without a connection string) an embedded PostgreSQL.</summary>
    SingleNode,
    /// <summary>An Orleans client joining the cluster through PostgreSQL membership; no silo here.</summary>
    Cluster,
}

/// <summary>
/// How to run the web host (REST API, OpenAPI reference, dashboard; in single-node mode also the silo). Read from the
/// command line (<see cref="Parse"/>) or from configuration (<see cref="FromConfiguration"/>, section "Dsdr"); the CLI's
/// <c>dsdr serve</c>/<c>dsdr demo</c> build it in code and pass it to <see cref="DsdrWebApp.StartAsync"/>.
/// </summary>
public sealed record DsdrWebOptions
{
    public const string DefaultUrl = "http://localhost:5080";
    /// <summary>Configuration key of the API key (environment variable Dsdr__ApiKey).</summary>
    public const string ApiKeyKey = "Dsdr:ApiKey";
    /// <summary>Request header that carries the API key on mutating routes.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    public WebMode Mode { get; init; } = WebMode.SingleNode;
    /// <summary>Where Kestrel listens ("http://localhost:5080"; several separated by ';'; port 0 picks a free one).</summary>
    public string Urls { get; init; } = DefaultUrl;
    /// <summary>This node's name: its slots are keyed "node/device" (single-node mode).</summary>
    public string Node { get; init; } = "local";
    /// <summary>The co-hosted silo's learner slots (single-node mode); "cpu:1" by default.</summary>
    public IReadOnlyList<DeviceSlot> Devices { get; init; } = DsdrSiloOptions.ParseDevices("cpu:1", null, null);
    /// <summary>Slots run the simulated runner (sleeping steps) instead of the TorchSharp trainer.</summary>
    public bool Simulated { get; init; }
    /// <summary>Milliseconds one simulated training step sleeps.</summary>
    public int SimulatedStepMilliseconds { get; init; } = 20;
    public string ClusterId { get; init; } = "dsdr";
    public string ServiceId { get; init; } = "dsdr";
    /// <summary>Silo-to-silo port of the co-hosted silo (single-node mode).</summary>
    public int SiloPort { get; init; } = 11111;
    /// <summary>Client gateway port of the co-hosted silo (single-node mode).</summary>
    public int GatewayPort { get; init; } = 30000;
    /// <summary>Data folder of the embedded PostgreSQL (single node, no connection string); the generated API key is saved beside it.</summary>
    public string? DataDirectory { get; init; }
    /// <summary>Where trial checkpoints go (shared by every node in a cluster).</summary>
    public string CheckpointDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "dsdr", "checkpoints");
    /// <summary>PostgreSQL connection string (ConnectionStrings:Dsdr or DSDR_PG); null = embedded server (single node only).</summary>
    public string? ConnectionString { get; init; }
    /// <summary>Key required in the X-Api-Key header of mutating routes; null in single-node mode = generate one (saved, printed).</summary>
    public string? ApiKey { get; init; }
    /// <summary>How often the pool is sampled for the utilisation history.</summary>
    public TimeSpan PoolSampleInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Samples kept in the utilisation history (the oldest are dropped).</summary>
    public int PoolHistoryLength { get; init; } = 720;
    /// <summary>
    /// Whether pages and read routes answer without sign-in (Dsdr:AnonymousRead); null = only on a single node that
    /// listens on loopback addresses alone (<see cref="AllowsAnonymousRead"/>).
    /// </summary>
    public bool? AnonymousRead { get; init; }
    /// <summary>The dashboard's user store (Dsdr:UsersFile); null = users.json beside the data folder (<see cref="UsersFilePath"/>).</summary>
    public string? UsersFile { get; init; }
    /// <summary>How long a failed sign-in waits before it answers (doubling with each recent failure from the same address).</summary>
    public TimeSpan SignInFailureDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Dsdr:Limits:MaxTrialsPerSweep: the largest maxTrials a spec may give (so the most trials one sweep expands to).</summary>
    public int MaxTrialsPerSweep { get; init; } = SweepSpecParserOptions.Default.MaxTrialsCeiling;
    /// <summary>Dsdr:Limits:MaxStepsPerTrial, MaxTokensPerTrial, MaxHoursPerTrial: what one trial may cost (checked at submission).</summary>
    public SpecLimitOptions Limits { get; init; } = SpecLimitOptions.Default;
    /// <summary>
    /// Dsdr:DataRoots (';'-separated): the folders a spec's dataset files and checkpoint models must lie in; null =
    /// <see cref="DefaultDataRoot"/>. Refusals name the setting, never the folders.
    /// </summary>
    public IReadOnlyList<string>? DataRoots { get; init; }

    /// <summary>"datasets" in the folder of the API key file (beside the embedded data folder).</summary>
    public string DefaultDataRoot() => Path.Combine(Path.GetDirectoryName(Hosting.ApiKey.FilePathFor(this))!, "datasets");

    /// <summary>How the platform validates a submitted spec: this host's limits and data roots.</summary>
    public SweepSpecParserOptions SpecOptions() => new(MaxTrialsPerSweep) { Limits = Limits, DataRoots = DataRoots ?? [DefaultDataRoot()] };

    /// <summary>Dsdr:Limits:* of <paramref name="configuration"/> over <paramref name="fallback"/>; a bad value throws naming the setting.</summary>
    public static (int MaxTrialsPerSweep, SpecLimitOptions Limits) LimitsFrom(IConfiguration configuration, int fallbackTrials, SpecLimitOptions fallback)
    {
        string? Text(string key) => configuration[key] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var trials = Text("Dsdr:Limits:MaxTrialsPerSweep") is { } t ? Whole("Dsdr:Limits:MaxTrialsPerSweep", "env Dsdr__Limits__MaxTrialsPerSweep", t, 1, int.MaxValue) : fallbackTrials;
        var steps = Text("Dsdr:Limits:MaxStepsPerTrial") is { } s ? Whole("Dsdr:Limits:MaxStepsPerTrial", "env Dsdr__Limits__MaxStepsPerTrial", s, 1, SpecLimits.StepsCeiling) : fallback.MaxStepsPerTrial;
        var tokens = Text("Dsdr:Limits:MaxTokensPerTrial") is { } k
            ? (long)Positive("Dsdr:Limits:MaxTokensPerTrial", "env Dsdr__Limits__MaxTokensPerTrial", k) : fallback.MaxTokensPerTrial;
        var hours = Text("Dsdr:Limits:MaxHoursPerTrial") is { } h ? Positive("Dsdr:Limits:MaxHoursPerTrial", "env Dsdr__Limits__MaxHoursPerTrial", h) : fallback.MaxHoursPerTrial;
        return (trials, new SpecLimitOptions(steps, Math.Max(1, tokens), hours).Validate());
    }

    /// <summary>Dsdr:DataRoots of <paramref name="configuration"/> as full paths; null when not set.</summary>
    public static IReadOnlyList<string>? DataRootsFrom(IConfiguration configuration) =>
        Core.Sweeps.SpecPaths.ParseRoots(configuration[Core.Sweeps.SpecPaths.RootsSetting]);

    /// <summary>Anonymous reading as configured, else: single node and every listening address a loopback one.</summary>
    public bool AllowsAnonymousRead => AnonymousRead ?? (Mode == WebMode.SingleNode && ListensOnLoopbackOnly(Urls));

    /// <summary>True when every URL's host is localhost, 127.x.x.x or ::1 (not *, +, 0.0.0.0 or a routable name).</summary>
    public static bool ListensOnLoopbackOnly(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(url =>
            Uri.TryCreate(url, UriKind.Absolute, out var uri) &&
            (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
             (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip))));

    /// <summary>The configured <see cref="UsersFile"/>, else users.json in the folder of the API key file.</summary>
    public string UsersFilePath() => UsersFile ?? Path.Combine(Path.GetDirectoryName(Hosting.ApiKey.FilePathFor(this))!, Security.DashboardUserStore.FileName);

    public const string Usage = """
        Dsdr.Web — REST API (/api, OpenAPI at /openapi/v1.json, reference at /scalar) and dashboard.

          --urls URLS              where to listen; default http://localhost:5080 (port 0: a free port)
          --cluster                join an existing cluster as a client through PostgreSQL membership
                                   (needs ConnectionStrings:Dsdr or DSDR_PG); default: single node with its own silo
          --cluster-id ID          default "dsdr";   --service-id ID   default "dsdr"
          --node NAME              single node: this node's name; default "local"
          --devices LIST           single node: learner slots, "cpu:N" or "cuda:0=80,cuda:1=80"; default "cpu:1"
          --gpu-memory-gib GIB     memory of each GPU listed without "=GiB"
          --simulated              single node: slots run the simulated runner (sleeping steps) instead of the trainer
          --simulated-step-ms N    milliseconds per simulated step; default 20
          --silo-port N            default 11111;    --gateway-port N  default 30000
          --data-dir DIR           data folder of the embedded PostgreSQL (single node, no connection string)
          --checkpoints DIR        checkpoint folder

        Configuration: the same settings as Dsdr:Mode (singlenode|cluster), Dsdr:Devices, Dsdr:Simulated, … ;
        Dsdr:ApiKey (env Dsdr__ApiKey) is the key mutating routes require in the X-Api-Key header (single node
        without one: generated at first start, saved beside the data folder, printed). The dashboard signs in with
        that key or a user of Dsdr:UsersFile (default users.json beside the data folder; `dsdr user add`).
        Dsdr:AnonymousRead (true|false) lets pages and read routes answer without sign-in; default: only on a single
        node that listens on loopback addresses alone.
        Dsdr:DataRoots (folders separated by ';') is where a spec's dataset files and checkpoint models must lie;
        default: datasets/ beside the data folder. Dsdr:Limits:MaxTrialsPerSweep (default 100000),
        Dsdr:Limits:MaxStepsPerTrial (100000), Dsdr:Limits:MaxTokensPerTrial (1e10) and Dsdr:Limits:MaxHoursPerTrial
        (off) bound what a submitted sweep may cost (examples/README.md, "Ranges and limits").
        """;

    /// <summary>Command-line flag → configuration key. Flags without a value are booleans.</summary>
    private static readonly IReadOnlyDictionary<string, (string Key, bool TakesValue)> Flags = new Dictionary<string, (string, bool)>
    {
        ["--urls"] = ("urls", true),
        ["--cluster"] = ("Dsdr:Mode", false),
        ["--cluster-id"] = ("Dsdr:ClusterId", true),
        ["--service-id"] = ("Dsdr:ServiceId", true),
        ["--node"] = ("Dsdr:Node", true),
        ["--devices"] = ("Dsdr:Devices", true),
        ["--gpu-memory-gib"] = ("Dsdr:GpuMemoryGiB", true),
        ["--simulated"] = ("Dsdr:Simulated", false),
        ["--simulated-step-ms"] = ("Dsdr:SimulatedStepMilliseconds", true),
        ["--silo-port"] = ("Dsdr:SiloPort", true),
        ["--gateway-port"] = ("Dsdr:GatewayPort", true),
        ["--data-dir"] = ("Dsdr:DataDirectory", true),
        ["--checkpoints"] = ("Dsdr:CheckpointDirectory", true),
    };

    /// <summary>
    /// Turns the command line into configuration pairs (<c>--devices cpu:2</c> → <c>Dsdr:Devices=cpu:2</c>); arguments of
    /// the form <c>--Key=Value</c> or <c>Key=Value</c> pass through as ASP.NET configuration. An unknown flag throws an
    /// <see cref="ArgumentException"/> naming it.
    /// </summary>
    public static IReadOnlyList<string> ToConfigurationArguments(IReadOnlyList<string> args)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (Flags.TryGetValue(arg, out var flag))
            {
                if (!flag.TakesValue)
                {
                    result.Add($"--{flag.Key}={(arg == "--cluster" ? "cluster" : "true")}");
                    continue;
                }
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new ArgumentException($"Option {arg} needs a value (see --help).");
                result.Add($"--{flag.Key}={args[++i]}");
            }
            else if (arg.Contains('='))
                result.Add(arg);
            else
                throw new ArgumentException($"Unknown option '{arg}'. Known: {string.Join(", ", Flags.Keys)}; configuration as --Key=Value.");
        }
        return result;
    }

    /// <summary>Reads the command line alone (flags and --Key=Value pairs); a wrong argument throws naming it and how to fix it.</summary>
    public static DsdrWebOptions Parse(IReadOnlyList<string> args) =>
        FromConfiguration(new ConfigurationBuilder().AddCommandLine([.. ToConfigurationArguments(args)]).Build(), includeEnvironment: true);

    /// <summary>
    /// Reads section "Dsdr" (Mode, Node, Devices, Simulated, SimulatedStepMilliseconds, ClusterId, ServiceId, SiloPort,
    /// GatewayPort, DataDirectory, CheckpointDirectory, ApiKey, PoolSampleSeconds), "urls", and ConnectionStrings:Dsdr / DSDR_PG.
    /// A bad value throws an <see cref="ArgumentException"/> naming the setting and the command-line flag.
    /// </summary>
    public static DsdrWebOptions FromConfiguration(IConfiguration configuration, bool includeEnvironment = true)
    {
        var d = new DsdrWebOptions();
        string? Text(string key) => configuration[key] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var mode = Text("Dsdr:Mode") switch
        {
            null => d.Mode,
            var m when m.Equals("singlenode", StringComparison.OrdinalIgnoreCase) || m.Equals("single-node", StringComparison.OrdinalIgnoreCase) => WebMode.SingleNode,
            var m when m.Equals("cluster", StringComparison.OrdinalIgnoreCase) => WebMode.Cluster,
            var m => throw new ArgumentException($"Dsdr:Mode: '{m}' is not a mode; write 'singlenode' (default) or 'cluster' (flag --cluster)."),
        };
        var connectionString = configuration.GetConnectionString("Dsdr") is { Length: > 0 } cs && !string.IsNullOrWhiteSpace(cs) ? cs
            : Text(Storage.DsdrDatabaseOptions.EnvironmentVariable)
              ?? (includeEnvironment && Environment.GetEnvironmentVariable(Storage.DsdrDatabaseOptions.EnvironmentVariable) is { Length: > 0 } env ? env : null);
        var gpuMemory = Text("Dsdr:GpuMemoryGiB") is { } g ? Positive("Dsdr:GpuMemoryGiB", "--gpu-memory-gib", g) : (double?)null;
        IReadOnlyList<DeviceSlot> devices;
        try
        {
            devices = Text("Dsdr:Devices") is { } list ? DsdrSiloOptions.ParseDevices(list, gpuMemory, null) : d.Devices;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new ArgumentException($"Dsdr:Devices (--devices): {ex.Message}", ex);
        }
        var options = new DsdrWebOptions
        {
            Mode = mode,
            Urls = Text("urls") ?? Text("Dsdr:Urls") ?? d.Urls,
            Node = Text("Dsdr:Node") ?? d.Node,
            Devices = devices,
            Simulated = Bool("Dsdr:Simulated", "--simulated", Text("Dsdr:Simulated")) ?? d.Simulated,
            SimulatedStepMilliseconds = Text("Dsdr:SimulatedStepMilliseconds") is { } ms
                ? Whole("Dsdr:SimulatedStepMilliseconds", "--simulated-step-ms", ms, 0, 3_600_000) : d.SimulatedStepMilliseconds,
            ClusterId = Text("Dsdr:ClusterId") ?? d.ClusterId,
            ServiceId = Text("Dsdr:ServiceId") ?? d.ServiceId,
            SiloPort = Text("Dsdr:SiloPort") is { } sp ? Whole("Dsdr:SiloPort", "--silo-port", sp, 1, 65535) : d.SiloPort,
            GatewayPort = Text("Dsdr:GatewayPort") is { } gp ? Whole("Dsdr:GatewayPort", "--gateway-port", gp, 1, 65535) : d.GatewayPort,
            DataDirectory = Text("Dsdr:DataDirectory") is { } dir ? Path.GetFullPath(dir) : null,
            CheckpointDirectory = Text("Dsdr:CheckpointDirectory") is { } ck ? Path.GetFullPath(ck) : d.CheckpointDirectory,
            ConnectionString = connectionString,
            ApiKey = Text(ApiKeyKey),
            PoolSampleInterval = Text("Dsdr:PoolSampleSeconds") is { } ps
                ? TimeSpan.FromSeconds(Positive("Dsdr:PoolSampleSeconds", null, ps)) : d.PoolSampleInterval,
            AnonymousRead = Bool("Dsdr:AnonymousRead", "env Dsdr__AnonymousRead", Text("Dsdr:AnonymousRead")),
            UsersFile = Text("Dsdr:UsersFile") is { } users ? Path.GetFullPath(users) : null,
            DataRoots = DataRootsFrom(configuration),
        };
        var (maxTrials, limits) = LimitsFrom(configuration, d.MaxTrialsPerSweep, d.Limits);
        options = options with { MaxTrialsPerSweep = maxTrials, Limits = limits };
        options.Validate();
        return options;
    }

    /// <summary>Checks the combination; throws an <see cref="ArgumentException"/> saying what to change.</summary>
    public void Validate()
    {
        try
        {
            Contracts.SlotKeys.ValidateNode(Node);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Dsdr:Node (--node): {ex.Message}", ex);
        }
        if (string.IsNullOrWhiteSpace(Urls))
            throw new ArgumentException("urls (--urls) is empty: give e.g. http://localhost:5080.");
        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!Uri.TryCreate(url.Replace("*", "localhost").Replace("+", "localhost"), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"urls (--urls): '{url}' is not an http(s) URL like http://localhost:5080.");
        if (Mode == WebMode.Cluster && ConnectionString is null)
            throw new ArgumentException(
                $"Cluster mode (--cluster) joins the cluster through its PostgreSQL: set ConnectionStrings:Dsdr or {Storage.DsdrDatabaseOptions.EnvironmentVariable} " +
                "(e.g. DSDR_PG=\"Host=db;Username=dsdr;Password=…;Database=dsdr\").");
        if (Mode == WebMode.Cluster && ApiKey is null)
            throw new ArgumentException($"Cluster mode (--cluster) needs an API key for the mutating routes: set {ApiKeyKey} (env Dsdr__ApiKey).");
        if (Mode == WebMode.SingleNode && Devices.Count == 0)
            throw new ArgumentException("Dsdr:Devices (--devices) lists no slot: a single node needs at least one, e.g. cpu:1.");
        if (ApiKey is { Length: < 16 })
            throw new ArgumentException($"{ApiKeyKey}: the API key is {ApiKey.Length} characters long; use at least 16 (e.g. `openssl rand -hex 24`).");
        if (SiloPort == GatewayPort)
            throw new ArgumentException($"Dsdr:SiloPort and Dsdr:GatewayPort are both {SiloPort}: give them different ports (--silo-port, --gateway-port).");
    }

    /// <summary>The co-hosted silo's options (single-node mode).</summary>
    public DsdrSiloOptions ToSiloOptions() => new()
    {
        Mode = SiloMode.SingleNode,
        Node = Node,
        Devices = Devices,
        ClusterId = ClusterId,
        ServiceId = ServiceId,
        SiloPort = SiloPort,
        GatewayPort = GatewayPort,
        CheckpointDirectory = CheckpointDirectory,
        DataDirectory = DataDirectory,
    };

    /// <summary>The database: the connection string, else the embedded server in <see cref="DataDirectory"/>.</summary>
    public Storage.DsdrDatabaseOptions ToDatabaseOptions() => new()
    {
        ConnectionString = ConnectionString,
        Embedded = new Storage.Embedded.EmbeddedPostgresOptions { DataDirectory = DataDirectory },
    };

    private static bool? Bool(string key, string flag, string? text) => text switch
    {
        null => null,
        _ when bool.TryParse(text, out var b) => b,
        _ => throw new ArgumentException($"{key} ({flag}): '{text}' is not true or false."),
    };

    private static int Whole(string key, string flag, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{key} ({flag}): '{text}' is not a whole number between {min} and {max}.");

    private static double Positive(string key, string? flag, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v)
            ? v
            : throw new ArgumentException($"{key}{(flag is null ? "" : $" ({flag})")}: '{text}' is not a positive number.");
}
