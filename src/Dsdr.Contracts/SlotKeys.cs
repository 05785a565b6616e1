using Dsdr.Core.Sweeps;

namespace Dsdr.Contracts;

/// <summary>
/// A learner slot's key is "node/device", e.g. "node-a/cuda:1" or "node-a/cpu:0": the node part
/// says which silo owns the device, the device part is "cpu:N" or "cuda:N".
/// </summary>
public static class SlotKeys
{
    public static string Compose(string node, DeviceKind kind, int index)
    {
        ValidateNode(node);
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "A device index is 0 or more.");
        return $"{node}/{DeviceName(kind)}:{index}";
    }

    public static string DeviceName(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => "cuda",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind."),
    };

    /// <summary>The node part of a slot key (everything before the first '/').</summary>
    public static string NodeOf(string slotKey)
    {
        var slash = slotKey.IndexOf('/');
        if (slash <= 0 || slash == slotKey.Length - 1)
            throw new FormatException($"Slot key '{slotKey}' is not of the form 'node/device' (e.g. 'node-a/cuda:0').");
        return slotKey[..slash];
    }

    /// <summary>Parses a slot key into its node, device kind and device index.</summary>
    public static (string Node, DeviceKind Kind, int Index) Parse(string slotKey)
    {
        var node = NodeOf(slotKey);
        var (kind, index) = ParseDevice(slotKey[(node.Length + 1)..]);
        return (node, kind, index);
    }

    /// <summary>Parses "cpu:0" or "cuda:1".</summary>
    public static (DeviceKind Kind, int Index) ParseDevice(string device)
    {
        var colon = device.IndexOf(':');
        if (colon <= 0)
            throw new FormatException($"Device '{device}' is not of the form 'cpu:N' or 'cuda:N'.");
        var kind = device[..colon].ToLowerInvariant() switch
        {
            "cpu" => DeviceKind.Cpu,
            "cuda" => DeviceKind.Cuda,
            var other => throw new FormatException($"Device kind '{other}' in '{device}' is unknown: use 'cpu' or 'cuda'."),
        };
        if (!int.TryParse(device[(colon + 1)..], System.Globalization.NumberStyles.None, null, out var index))
            throw new FormatException($"Device index in '{device}' is not a non-negative integer.");
        return (kind, index);
    }

    public static void ValidateNode(string node)
    {
        if (string.IsNullOrWhiteSpace(node) || node.Contains('/') || node.Trim() != node)
            throw new ArgumentException($"Node name '{node}' must be non-empty, without '/' or surrounding spaces.", nameof(node));
    }
}
