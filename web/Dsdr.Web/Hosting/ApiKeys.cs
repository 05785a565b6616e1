using System.Security.Cryptography;
using System.Text;
using Dsdr.Storage.Embedded;

namespace Dsdr.Web.Hosting;

/// <summary>Where the web host's API key came from.</summary>
public enum ApiKeySource
{
    /// <summary>Dsdr:ApiKey (configuration or env Dsdr__ApiKey).</summary>
    Configured,
    /// <summary>Read from the key file a previous start generated.</summary>
    Saved,
    /// <summary>Generated now and saved to the key file.</summary>
    Generated,
}

/// <summary>The key mutating routes require in the X-Api-Key header.</summary>
public sealed record ApiKey(string Value, ApiKeySource Source, string? FilePath)
{
    /// <summary>Constant-time comparison with what a request sent.</summary>
    public bool Matches(string? presented)
    {
        if (presented is null) return false;
        var a = Encoding.UTF8.GetBytes(Value);
        var b = Encoding.UTF8.GetBytes(presented);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    public override string ToString() => $"ApiKey({Source}{(FilePath is null ? "" : $", {FilePath}")})"; // never the key itself

    /// <summary>File name of the generated key, beside the embedded PostgreSQL's data folder.</summary>
    public const string FileName = "api-key";

    /// <summary>
    /// The configured key; else (single node) the key saved by an earlier start beside the data folder; else a new
    /// random key (32 bytes, hex) saved there with owner-only permissions, so reruns keep it.
    /// </summary>
    public static ApiKey Resolve(DsdrWebOptions options)
    {
        if (options.ApiKey is { } configured) return new ApiKey(configured, ApiKeySource.Configured, null);
        if (options.Mode == WebMode.Cluster)
            throw new InvalidOperationException($"Cluster mode needs {DsdrWebOptions.ApiKeyKey}; none is configured.");
        var path = FilePathFor(options);
        if (File.Exists(path))
        {
            var saved = File.ReadAllText(path).Trim();
            if (saved.Length >= 16) return new ApiKey(saved, ApiKeySource.Saved, path);
            throw new InvalidOperationException(
                $"The API key file '{path}' holds no usable key (fewer than 16 characters): delete it to have a new key generated, or set {DsdrWebOptions.ApiKeyKey}.");
        }
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, key + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: false);
        return new ApiKey(key, ApiKeySource.Generated, path);
    }

    /// <summary>"api-key" in the folder that holds the embedded server's data folder (its parent).</summary>
    public static string FilePathFor(DsdrWebOptions options)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory ?? EmbeddedPostgres.DefaultDataDirectory());
        var parent = Path.GetDirectoryName(dataDirectory.TrimEnd(Path.DirectorySeparatorChar)) ?? dataDirectory;
        return Path.Combine(parent, FileName);
    }
}
