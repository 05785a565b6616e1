namespace Dsdr.Deploy.Tests;

/// <summary>The repository's files, found from the test's output folder.</summary>
public static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Dsdr.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
