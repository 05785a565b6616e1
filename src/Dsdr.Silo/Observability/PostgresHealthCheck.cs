using Dsdr.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dsdr.Silo.Observability;

/// <summary>Ready when the platform's PostgreSQL answers <c>SELECT 1</c> within <see cref="DsdrHealthOptions.PostgresTimeout"/>.</summary>
internal sealed class PostgresHealthCheck(IServiceProvider services, IOptions<DsdrHealthOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var database = services.GetService<DsdrDatabase>();
        if (database is null) return HealthCheckResult.Healthy("not used: this host keeps its state in memory");
        var timeout = options.Value.PostgresTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            var dataSource = await database.GetDataSourceAsync(cts.Token);
            await using var connection = await dataSource.OpenConnectionAsync(cts.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)) };
            await command.ExecuteScalarAsync(cts.Token);
            return HealthCheckResult.Healthy($"reachable at {connection.Host}:{connection.Port}, database {connection.Database}");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            database.ClearPool();
            return HealthCheckResult.Unhealthy($"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException or InvalidOperationException)
        {
            database.ClearPool(); // pooled connections to a server that went away are dead
            return HealthCheckResult.Unhealthy($"unreachable: {ex.Message}", ex);
        }
    }
}
