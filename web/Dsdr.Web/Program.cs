using Dsdr.Web.Hosting;

namespace Dsdr.Web;

/// <summary>
/// Dsdr.Web's entry point. A named class in Dsdr.Web rather than top-level statements: the web SDK makes a top-level
/// Program public, and Dsdr.Silo's (also a web-SDK project) would then clash with this one wherever both are referenced.
/// </summary>
public sealed class Program
{
    private Program() { }

    public static Task<int> Main(string[] args) => DsdrWebApp.RunAsync(args);
}
