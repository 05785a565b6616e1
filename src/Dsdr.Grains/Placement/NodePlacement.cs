using Dsdr.Contracts;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Dsdr.Grains.Placement;

/// <summary>Places a grain keyed "node/…" on the silo whose Dsdr node name is that node.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class NodePlacementStrategy : PlacementStrategy
{
    /// <summary>The silo-metadata key under which each silo publishes its node name.</summary>
    public const string NodeMetadataKey = "dsdr.node";

    internal static NodePlacementStrategy Instance { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePlacementAttribute() : PlacementAttribute(NodePlacementStrategy.Instance);

/// <summary>
/// Finds the silo whose published node name matches the key's node part. A node that has not
/// joined yet is waited for (a silo's metadata reaches the others shortly after it joins), up to
/// <see cref="DsdrSchedulingOptions.NodeLookupTimeout"/>; then placement fails with a clear error.
/// </summary>
internal sealed class NodePlacementDirector(
    ISiloMetadataCache metadata,
    IOptions<DsdrNodeOptions> localNode,
    IOptions<DsdrSchedulingOptions> options,
    TimeProvider clock) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var node = SlotKeys.NodeOf(target.GrainIdentity.Key.ToString()!);
        var deadline = clock.GetUtcNow() + options.Value.NodeLookupTimeout;
        while (true)
        {
            var compatible = context.GetCompatibleSilos(target);
            if (localNode.Value.Node == node && compatible.Contains(context.LocalSilo))
                return context.LocalSilo;
            var owners = compatible.Where(silo => NodeOf(silo) == node).ToArray();
            if (owners.Length > 0) return owners[Random.Shared.Next(owners.Length)];
            if (clock.GetUtcNow() > deadline)
            {
                var known = string.Join(", ", compatible.Select(s => $"{s} = '{NodeOf(s) ?? "?"}'"));
                throw new OrleansException(
                    $"Cannot place '{target.GrainIdentity}': no silo with node name '{node}' is in the cluster (silos: {known}). " +
                    $"Start Dsdr.Silo with --node {node} on that machine, or fix the slot key.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private string? NodeOf(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(NodePlacementStrategy.NodeMetadataKey, out var name) ? name : null;
}
