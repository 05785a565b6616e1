using System.Text;
namespace Dsdr.Cli;

/// <summary>Reading a command's input file (or standard input for "-"), with user-facing errors.</summary>
internal static class CliFiles
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string ReadAllText(string? path, CliIo io, string what)
    {
        if (path is null or "-") return io.Input.ReadToEnd();
        if (Directory.Exists(path)) throw new CliInputException($"{what} '{path}' is a folder; give a file.");
        if (!File.Exists(path)) throw new CliInputException($"{what} '{path}' not found.");
        try
        {
            return File.ReadAllText(path, StrictUtf8);
        }
        catch (DecoderFallbackException)
        {
            // silently replacing bad bytes with U+FFFD would submit a spec other than the file
            throw new CliInputException($"{what} '{path}' is not valid UTF-8 text; save it as UTF-8.");
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
        RequireParentFolder(full, path, what);
        return full;
    }

    /// <summary>
    /// The full path of an output folder, checked before the work starts: created when missing (its parent must exist); an
    /// existing file of that name is refused.
    /// </summary>
    public static string WritableFolder(string path, string what)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full)) throw new CliInputException($"{what} '{path}' is a file; give a folder.");
        RequireParentFolder(full, path, what);
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"{what} '{path}' cannot be created: {e.Message}");
        }
        return full;
    }

    private static void RequireParentFolder(string full, string path, string what)
    {
        var parent = Path.GetDirectoryName(full);
        if (parent is not null && !Directory.Exists(parent)) throw new CliInputException($"{what} '{path}': folder '{parent}' does not exist; create it first.");
    }
}
