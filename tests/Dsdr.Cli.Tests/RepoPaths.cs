namespace Dsdr.Cli.Tests;

internal static class RepoPaths
{
    /// <summary>The repository root: the nearest folder above the test binaries holding Dsdr.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string Example(string name) => Path.Combine(Root, "examples", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Dsdr.sln not found above {AppContext.BaseDirectory}.");
    }
}
