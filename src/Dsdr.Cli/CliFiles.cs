namespace Dsdr.Cli;

/// <summary>Reading a command's input file (or standard input for "-"), with user-facing errors.</summary>
internal static class CliFiles
{
    public static string ReadAllText(string? path, CliIo io, string what)
    {
        if (path is null or "-") return io.Input.ReadToEnd();
        if (Directory.Exists(path)) throw new CliInputException($"{what} '{path}' is a folder; give a file.");
        if (!File.Exists(path)) throw new CliInputException($"{what} '{path}' not found.");
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"{what} '{path}' cannot be read: {e.Message}");
        }
    }

    /// <summary>The full path of an output file, checked before the work starts: its folder must exist and it must not be a folder.</summary>
    public static string WritablePath(string path, string what)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new CliInputException($"{what} '{path}' is a folder; give a file name.");
        var folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder)) throw new CliInputException($"{what} '{path}': folder '{folder}' does not exist; create it first.");
        return full;
    }
}
