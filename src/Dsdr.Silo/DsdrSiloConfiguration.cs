using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace Dsdr.Silo;

/// <summary>
/// Timings a deployment tunes from configuration, without code: Orleans' failure detection (how soon a killed
/// silo is declared dead) and Dsdr's slot heartbeats and trial leases (how soon its trials are requeued).
/// Keep the two consistent: a lease that outlives detection by much leaves trials waiting on a node already dead.
/// </summary>
public static class DsdrSiloConfiguration
{
    /// <summary>Binds <see cref="ClusterMembershipOptions"/>, e.g. env <c>Dsdr__Membership__ProbeTimeout=00:00:02</c>.</summary>
    public const string MembershipSection = "Dsdr:Membership";

    /// <summary>Binds <see cref="Dsdr.Grains.DsdrSchedulingOptions"/>, e.g. env <c>Dsdr__Scheduling__LeaseTimeout=00:00:10</c>.</summary>
    public const string SchedulingSection = "Dsdr:Scheduling";

    /// <summary>These hooks with the membership and scheduling sections of <paramref name="configuration"/> applied after their own settings.</summary>
    public static DsdrSiloHooks WithConfiguration(this DsdrSiloHooks hooks, IConfiguration configuration)
    {
        var membership = configuration.GetSection(MembershipSection);
        var scheduling = configuration.GetSection(SchedulingSection);
        return new DsdrSiloHooks
        {
            Clustering = hooks.Clustering,
            Persistence = hooks.Persistence,
            Runner = hooks.Runner,
            Scheduling = o =>
            {
                hooks.Scheduling?.Invoke(o);
                scheduling.Bind(o);
            },
            Configure = silo =>
            {
                silo.Services.Configure<ClusterMembershipOptions>(membership);
                hooks.Configure?.Invoke(silo);
            },
        };
    }
}
