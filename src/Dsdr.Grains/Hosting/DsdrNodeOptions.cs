using Dsdr.Contracts;
using Dsdr.Core.Sweeps;

namespace Dsdr.Grains;

/// <summary>This silo's node name and the devices it offers as learner slots.</summary>
public sealed class DsdrNodeOptions
{
    public string Node { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>One learner slot per device; none for a silo that only hosts the other grains.</summary>
    public List<DeviceSlot> Devices { get; set; } = [];

    public void Validate()
    {
        SlotKeys.ValidateNode(Node);
        var dupes = Devices.GroupBy(d => (d.Kind, d.Index)).Where(g => g.Count() > 1).Select(g => g.First().Name).ToList();
        if (dupes.Count > 0)
            throw new ArgumentException($"Node '{Node}' lists device(s) {string.Join(", ", dupes)} more than once.");
        foreach (var d in Devices)
        {
            if (d.Index < 0) throw new ArgumentOutOfRangeException(nameof(Devices), d.Index, $"Device {d.Name}: index must be 0 or more.");
            if (!(d.MemoryGiB > 0)) throw new ArgumentOutOfRangeException(nameof(Devices), d.MemoryGiB, $"Device {d.Name}: memory must be positive (GiB).");
        }
    }
}

/// <summary>One device of a node: kind, index and memory.</summary>
public sealed record DeviceSlot(DeviceKind Kind, int Index, double MemoryGiB)
{
    public string Name => $"{SlotKeys.DeviceName(Kind)}:{Index}";

    public SlotCapacity Capacity => new(Kind, MemoryGiB);

    public string SlotKey(string node) => SlotKeys.Compose(node, Kind, Index);
}
