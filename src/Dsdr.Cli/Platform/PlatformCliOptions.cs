using System.CommandLine;
using Dsdr.Silo;

namespace Dsdr.Cli.Platform;

/// <summary>The options <c>dsdr serve</c> and <c>dsdr demo</c> share, with their checks.</summary>
internal static class PlatformCliOptions
{
    public static Option<string> Urls() => new("--urls")
    {
        Description = $"Where the dashboard and the API listen, ';'-separated (default {PlatformOptions.DefaultUrls}).",
        DefaultValueFactory = _ => PlatformOptions.DefaultUrls,
    };

    public static Option<string> DataDirectory(string name) => new("--data-dir")
    {
        Description = $"Folder for the embedded PostgreSQL, checkpoints and the API key (default {PlatformOptions.DefaultDataDirectory(name)}).",
        DefaultValueFactory = _ => PlatformOptions.DefaultDataDirectory(name),
    };

    public static Option<string> Devices() => new("--devices")
    {
        Description = "Learner slots of this node: cpu:N (N CPU slots, one libtorch thread each) or cuda:0=80,cuda:1=80 (default cpu:2).",
        DefaultValueFactory = _ => "cpu:2",
    };

    public static Option<bool> Simulated() => new("--simulated")
    {
        Description = "Slots run the simulated trial runner (sleeping steps, synthetic metrics) instead of the TorchSharp trainer.",
    };

    /// <summary>The device list as Dsdr.Silo reads it; a wrong one is bad input naming the option.</summary>
    public static string CheckDevices(string devices)
    {
        try
        {
            DsdrSiloOptions.ParseDevices(devices, gpuMemoryGiB: null, cpuMemoryGiB: null);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new CliInputException($"--devices: {e.Message}");
        }
        return devices;
    }

    public static string CheckDataDirectory(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new CliInputException("--data-dir is empty; give a folder.");
        if (File.Exists(folder)) throw new CliInputException($"--data-dir '{folder}' is a file; give a folder.");
        return Path.GetFullPath(folder);
    }

    /// <summary>Kestrel URLs: each an absolute http(s) URL.</summary>
    public static string CheckUrls(string urls)
    {
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new CliInputException($"--urls is empty; write e.g. {PlatformOptions.DefaultUrls}.");
        foreach (var part in parts)
        {
            // Kestrel also takes http://*:5080 and http://+:5080, which Uri refuses
            var probe = part.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new CliInputException($"--urls: '{part}' is not an http(s) URL; write e.g. {PlatformOptions.DefaultUrls} or http://0.0.0.0:8080.");
        }
        return string.Join(';', parts);
    }

    /// <summary>Starts the platform; a start that fails (port taken, PostgreSQL missing) is one line, exit 1.</summary>
    public static async Task<IPlatformSession> StartAsync(PlatformStarter start, PlatformOptions options, CancellationToken ct)
    {
        try
        {
            return await start(options, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            throw new CliUnavailableException($"the platform did not start: {e.Message}");
        }
    }

    /// <summary>True when the command writes to an interactive console (live tables), false for pipes, files and tests.</summary>
    public static bool IsTerminal(CliIo io) => ReferenceEquals(io.Output, Console.Out) && !Console.IsOutputRedirected;
}
