using System.Net.Sockets;
using Npgsql;

namespace Dsdr.Silo.Postgres;

/// <summary>
/// A few quick retries of one database write through a transient failure (a dropped connection, a server restart).
/// After the last attempt the error goes to the caller, whose grain or attempt then fails and is retried at its level.
/// </summary>
internal static class PostgresRetry
{
    private static readonly TimeSpan[] Delays = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1600)];

    public static async Task RunAsync(Func<CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await write(cancellationToken);
                return;
            }
            catch (Exception e) when (attempt < Delays.Length && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Delays[attempt], cancellationToken);
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException n => n.IsTransient,
        IOException or TimeoutException or SocketException => true,
        _ => false,
    };
}
