namespace Dsdr.Silo;

// A named entry point, not top-level statements: the web SDK would make a top-level Program public, and that type
// would clash with Dsdr.Web's own Program, which references this project.
internal static class Program
{
    public static Task<int> Main(string[] args) => DsdrSiloHost.RunAsync(args, Console.Error);
}
