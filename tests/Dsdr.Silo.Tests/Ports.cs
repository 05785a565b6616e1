using System.Net;
using System.Net.Sockets;

namespace Dsdr.Silo.Tests;

internal static class Ports
{
    /// <summary>A port nothing listens on right now (bound to port 0, read, released).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
