using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Dsdr.Silo.Observability;

/// <summary>
/// Ready when this host's silo is Active in the cluster membership (a silo host), or, for a client host, when the
/// cluster answers with at least one active silo within <see cref="DsdrHealthOptions.ClusterTimeout"/>.
/// </summary>
internal sealed class OrleansClusterHealthCheck(IServiceProvider services, IOptions<DsdrHealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var silo = services.GetService<ILocalSiloDetails>();
        var membership = services.GetService<IClusterMembershipService>();
        if (silo is not null && membership is not null)
        {
            var snapshot = membership.CurrentSnapshot;
            var status = snapshot.GetSiloStatus(silo.SiloAddress);
            var active = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
            return status == SiloStatus.Active
                ? HealthCheckResult.Healthy($"silo {silo.SiloAddress} active in cluster '{silo.ClusterId}' ({active} active silo(s))")
                : HealthCheckResult.Unhealthy($"silo {silo.SiloAddress} is {status} in cluster '{silo.ClusterId}' (not joined, or leaving)");
        }

        var client = services.GetService<IClusterClient>();
        if (client is null) return HealthCheckResult.Unhealthy("this host runs neither an Orleans silo nor an Orleans client");
        var timeout = options.Value.ClusterTimeout;
        try
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(timeout, cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"client connected; {hosts.Count} active silo(s)")
                : HealthCheckResult.Unhealthy("client connected but the cluster has no active silo");
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"the cluster did not answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is OrleansException or InvalidOperationException or ObjectDisposedException)
        {
            return HealthCheckResult.Unhealthy($"not connected to the cluster: {ex.Message}", ex);
        }
    }
}
