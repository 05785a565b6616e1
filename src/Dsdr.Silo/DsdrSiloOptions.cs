using System.Globalization;
using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Grains;

namespace Dsdr.Silo;

public enum SiloMode
{
    /// <summary>One process: localhost clustering, CPU slots.</summary>
    SingleNode,
    /// <summary>Joins a cluster through the configured clustering provider (PostgreSQL membership).</summary>
    Cluster,
}

/// <summary>How to run a Dsdr silo: the node, its devices, the cluster it belongs to.</summary>
public sealed record DsdrSiloOptions
{
    public SiloMode Mode { get; init; } = SiloMode.SingleNode;
    public string Node { get; init; } = "local";
    public IReadOnlyList<DeviceSlot> Devices { get; init; } = [];
    public string ClusterId { get; init; } = "dsdr";
    public string ServiceId { get; init; } = "dsdr";
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;
    /// <summary>The address other silos and clients reach this one at (cluster mode); null: Orleans picks this host's first non-loopback IPv4 address.</summary>
    public System.Net.IPAddress? AdvertisedAddress { get; init; }
    /// <summary>Port of the worker's HTTP endpoints: /health/live, /health/ready, /metrics.</summary>
    public int HttpPort { get; init; } = 8081;
    /// <summary>Where runners write checkpoints; in a cluster every node must see the same folder.</summary>
    public string CheckpointDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "dsdr", "checkpoints");
    /// <summary>Keep grain state and reminders in memory (lost on exit) instead of PostgreSQL; single-node mode only.</summary>
    public bool InMemory { get; init; }
    /// <summary>Data folder of the embedded PostgreSQL (single-node mode without a connection string); null: Storage's default.</summary>
    public string? DataDirectory { get; init; }

    public DsdrNodeOptions ToNodeOptions() => new() { Node = Node, Devices = [.. Devices] };

    public const string Usage = """
        Dsdr.Silo — a worker node of the Dsdr cluster.

          --node NAME             this node's name (slots are keyed NAME/device); default "local"
          --devices LIST          learner slots: "cuda:0,cuda:1" (one per GPU, memory as cuda:0=80 or
                                  --gpu-memory-gib) or "cpu:N" (N CPU slots); default "cpu:1"
          --gpu-memory-gib GIB    memory of each GPU listed without "=GiB"
          --cpu-memory-gib GIB    memory of each CPU slot; default: this machine's memory / N
          --cluster               join the cluster through the configured membership (default: single node, localhost)
          --cluster-id ID         default "dsdr";   --service-id ID   default "dsdr"
          --silo-port N           default 11111;    --gateway-port N  default 30000
          --advertised-address IP the address other nodes reach this one at (cluster mode; e.g. a pod's IP);
                                  default: this host's first non-loopback IPv4 address
          --http-port N           health and metrics (GET /health/live, /health/ready, /metrics); default 8081
          --checkpoints DIR       checkpoint folder (shared between nodes in a cluster)
          --data-dir DIR          data folder of the embedded PostgreSQL (single node, no connection string)
          --in-memory             keep state in memory instead of PostgreSQL (single node; lost on exit)

        Database: ConnectionStrings__Dsdr or DSDR_PG (required in cluster mode); without one, a single node
        starts its own embedded PostgreSQL from the machine's binaries.
        Timings: Dsdr__Membership__* (Orleans ClusterMembershipOptions: ProbeTimeout, NumMissedProbesLimit, …)
        and Dsdr__Scheduling__* (SlotHeartbeatInterval, LeaseTimeout, …), as TimeSpans like 00:00:10.
        Files: Dsdr__DataRoots (folders separated by ';', as the web host's) — a trial's dataset files and
        checkpoint model must still lie inside them when it opens them; unset: not checked on this node.
        """;

    /// <summary>Reads the command line; a wrong argument throws an <see cref="ArgumentException"/> saying what to write instead.</summary>
    public static DsdrSiloOptions Parse(IReadOnlyList<string> args)
    {
        try
        {
            return ParseArguments(args);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException(ex.Message, ex);
        }
    }

    private static DsdrSiloOptions ParseArguments(IReadOnlyList<string> args)
    {
        var options = new DsdrSiloOptions();
        string devices = "cpu:1";
        double? gpuMemory = null, cpuMemory = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new ArgumentException($"Option {args[i]} needs a value.");
                return args[++i];
            }
            switch (args[i])
            {
                case "--node": options = options with { Node = Value() }; break;
                case "--devices": devices = Value(); break;
                case "--gpu-memory-gib": gpuMemory = ParseGiB(args[i], Value()); break;
                case "--cpu-memory-gib": cpuMemory = ParseGiB(args[i], Value()); break;
                case "--cluster": options = options with { Mode = SiloMode.Cluster }; break;
                case "--cluster-id": options = options with { ClusterId = Value() }; break;
                case "--service-id": options = options with { ServiceId = Value() }; break;
                case "--silo-port": options = options with { SiloPort = ParsePort(args[i], Value()) }; break;
                case "--gateway-port": options = options with { GatewayPort = ParsePort(args[i], Value()) }; break;
                case "--advertised-address": options = options with { AdvertisedAddress = ParseAddress(args[i], Value()) }; break;
                case "--http-port": options = options with { HttpPort = ParsePort(args[i], Value()) }; break;
                case "--checkpoints": options = options with { CheckpointDirectory = Path.GetFullPath(Value()) }; break;
                case "--data-dir": options = options with { DataDirectory = Path.GetFullPath(Value()) }; break;
                case "--in-memory": options = options with { InMemory = true }; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        SlotKeys.ValidateNode(options.Node);
        if (options.InMemory && options.Mode == SiloMode.Cluster)
            throw new ArgumentException("--in-memory is for a single node: a cluster shares its state through PostgreSQL (drop --in-memory or --cluster).");
        options = options with { Devices = ParseDevices(devices, gpuMemory, cpuMemory) };
        options.ToNodeOptions().Validate();
        return options;
    }

    /// <summary>"cuda:0,cuda:1=24" → one slot per GPU; "cpu:N" → N CPU slots (cpu:0 … cpu:N-1).</summary>
    public static IReadOnlyList<DeviceSlot> ParseDevices(string list, double? gpuMemoryGiB, double? cpuMemoryGiB)
    {
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new ArgumentException("--devices is empty: write e.g. \"cuda:0,cuda:1\" or \"cpu:2\".");
        var slots = new List<DeviceSlot>();
        foreach (var item in items)
        {
            var (device, memoryText) = item.IndexOf('=') is var eq and >= 0 ? (item[..eq], item[(eq + 1)..]) : (item, null);
            var (kind, number) = SlotKeys.ParseDevice(device);
            double? memory = memoryText is null ? null : ParseGiB(item, memoryText);
            if (kind == DeviceKind.Cpu)
            {
                if (number < 1) throw new ArgumentException($"'{item}': cpu:N asks for N CPU slots, so N must be at least 1.");
                var each = memory ?? cpuMemoryGiB ?? DefaultCpuMemoryGiB(number);
                for (var i = 0; i < number; i++) slots.Add(new DeviceSlot(DeviceKind.Cpu, slots.Count(s => s.Kind == DeviceKind.Cpu), each));
            }
            else
            {
                var each = memory ?? gpuMemoryGiB ?? throw new ArgumentException(
                    $"'{item}': say how much memory the GPU has, as {device}=80 or with --gpu-memory-gib 80.");
                slots.Add(new DeviceSlot(DeviceKind.Cuda, number, each));
            }
        }
        return slots;
    }

    private static double DefaultCpuMemoryGiB(int slots) =>
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024) / slots, 1);

    private static double ParseGiB(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new ArgumentException($"{option}: '{text}' is not a positive number of GiB.");

    private static System.Net.IPAddress ParseAddress(string option, string text) =>
        System.Net.IPAddress.TryParse(text, out var address)
            ? address
            : throw new ArgumentException($"{option}: '{text}' is not an IP address (write e.g. 10.0.3.7; in Kubernetes pass the pod IP from status.podIP).");

    private static int ParsePort(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is > 0 and < 65536
            ? v
            : throw new ArgumentException($"{option}: '{text}' is not a port number (1–65535).");
}
