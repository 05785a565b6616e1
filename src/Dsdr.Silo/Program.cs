namespace Dsdr.Silo;

/// <summary>
/// The worker's entry point. An explicit class rather than top-level statements: the web SDK would make a
/// top-level <c>Program</c> public, and Dsdr.Web (which references this project) has its own.
/// </summary>
internal static class SiloProgram
{
    public static Task<int> Main(string[] args) => DsdrSiloHost.RunAsync(args, Console.Error);
}
