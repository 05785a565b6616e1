using Dsdr.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dsdr.Silo;

/// <summary>The pluggable parts of a Dsdr silo: how it finds its cluster, stores state, runs trials.</summary>
public sealed class DsdrSiloHooks
{
    /// <summary>Cluster membership (e.g. the PostgreSQL membership of Dsdr.Storage). Required in cluster mode.</summary>
    public Action<ISiloBuilder>? Clustering { get; init; }

    /// <summary>Grain storage named "dsdr" and the reminder service. Without it, both live in memory and are lost on exit.</summary>
    public Action<ISiloBuilder>? Persistence { get; init; }

    /// <summary>
    /// Registers the <see cref="Dsdr.Grains.Running.ITrialRunner"/>; required when the node has devices. The runner can take
    /// <see cref="DsdrSiloOptions"/> (checkpoint folder, node, devices) and IGrainFactory from DI.
    /// </summary>
    public Action<ISiloBuilder>? Runner { get; init; }

    public Action<DsdrSchedulingOptions>? Scheduling { get; init; }

    /// <summary>Anything else, applied last.</summary>
    public Action<ISiloBuilder>? Configure { get; init; }
}

public static class DsdrHostExtensions
{
    /// <summary>
    /// Hosts a Dsdr silo in this application (Dsdr.Silo's worker, or the web app in single-node
    /// mode): clustering per <paramref name="options"/> (localhost in single-node mode, the
    /// <see cref="DsdrSiloHooks.Clustering"/> hook in cluster mode), Dsdr's grains and this node's slots.
    /// </summary>
    public static IHostApplicationBuilder AddDsdrSilo(this IHostApplicationBuilder builder, DsdrSiloOptions options, DsdrSiloHooks? hooks = null)
    {
        hooks ??= new DsdrSiloHooks();
        if (options.Mode == SiloMode.Cluster && hooks.Clustering is null)
            throw new InvalidOperationException(
                "Cluster mode needs a clustering provider: pass DsdrSiloHooks.Clustering (e.g. the PostgreSQL membership of Dsdr.Storage), or run in single-node mode.");
        if (options.Devices.Count > 0 && hooks.Runner is null)
            throw new InvalidOperationException(
                $"Node '{options.Node}' has {options.Devices.Count} device(s) but no trial runner: pass DsdrSiloHooks.Runner (silo => silo.UseTrialRunner<…>()).");

        builder.UseOrleans(silo =>
        {
            if (options.Mode == SiloMode.SingleNode)
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            else
            {
                silo.Configure<Orleans.Configuration.ClusterOptions>(c =>
                {
                    c.ClusterId = options.ClusterId;
                    c.ServiceId = options.ServiceId;
                });
                if (options.AdvertisedAddress is { } advertised)
                    silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
                else
                    silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort);
                hooks.Clustering!(silo);
                // The default directory deactivates every grain whose directory partition lived on a silo that died, slots
                // (and so their running trials) on healthy nodes included; the distributed directory recovers the partition
                // from the survivors instead. Every silo of the cluster must use it.
#pragma warning disable ORLEANSEXP003 // evaluation API of Orleans 10
                silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            }

            if (hooks.Persistence is not null) hooks.Persistence(silo);
            else
            {
                silo.AddMemoryGrainStorage(DsdrSchedulingOptions.StorageProviderName);
                silo.UseInMemoryReminderService();
            }

            silo.Services.AddSingleton(options); // runners read the checkpoint folder from it
            silo.AddDsdrGrains(options.ToNodeOptions(), hooks.Scheduling);
            hooks.Runner?.Invoke(silo);
            hooks.Configure?.Invoke(silo);
        });
        return builder;
    }
}
