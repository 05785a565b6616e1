using System.CommandLine;
using Dsdr.Silo;

namespace Dsdr.Cli.Platform;

/// <summary>The options <c>dsdr serve</c> and <c>dsdr demo</c> share, added to a command and read back as <see cref="PlatformOptions"/>.</summary>
internal sealed class PlatformArguments(string dataName, string defaultDevices)
{
    public readonly Option<string> Urls = PlatformCliOptions.Urls();
    public readonly Option<string> DataDirectory = PlatformCliOptions.DataDirectory(dataName);
    public readonly Option<string> Devices = PlatformCliOptions.Devices(defaultDevices);
    public readonly Option<bool> Simulated = PlatformCliOptions.Simulated();
    public readonly Option<int> SiloPort = new("--silo-port") { Description = "Port of the in-process Orleans silo (default 11111).", DefaultValueFactory = _ => 11111 };
    public readonly Option<int> GatewayPort = new("--gateway-port") { Description = "Client gateway port of the silo (default 30000).", DefaultValueFactory = _ => 30000 };
    public readonly Option<bool> Verbose = new("--verbose") { Description = "Show the host's information logs (Orleans, ASP.NET), not only warnings." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Urls, DataDirectory, Devices, Simulated, SiloPort, GatewayPort, Verbose })
            command.Options.Add(option);
    }

    public PlatformOptions Read(ParseResult parse, string? connectionString = null, string? apiKey = null) =>
        WebPlatform.Check(new(PlatformCliOptions.CheckUrls(parse.GetValue(Urls)!), PlatformCliOptions.CheckDevices(parse.GetValue(Devices)!),
            PlatformCliOptions.CheckDataDirectory(parse.GetValue(DataDirectory)!), connectionString, apiKey, parse.GetValue(Simulated),
            parse.GetValue(Verbose), PlatformCliOptions.CheckPort("--silo-port", parse.GetValue(SiloPort)),
            PlatformCliOptions.CheckPort("--gateway-port", parse.GetValue(GatewayPort))));
}

/// <summary>The options <c>dsdr serve</c> and <c>dsdr demo</c> share, with their checks.</summary>
internal static class PlatformCliOptions
{
    public static int CheckPort(string option, int port) =>
        port is > 0 and < 65536 ? port : throw new CliInputException($"{option}: {port} is not a port number (1–65535).");

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

    public static Option<string> Devices(string defaultDevices) => new("--devices")
    {
        Description = $"Learner slots of this node: cpu:N (N CPU slots, one libtorch thread each) or cuda:0=80,cuda:1=80 (default {defaultDevices}).",
        DefaultValueFactory = _ => defaultDevices,
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

    /// <summary>
    /// "API key: …" for serve and demo: the key itself only on the start that generated it; later starts say where it is
    /// and how to print it (a key in every start's output ends up in service logs).
    /// </summary>
    public static string KeyLine(IPlatformSession session, string dataDirectory) => session.ApiKeySource switch
    {
        Web.Hosting.ApiKeySource.Generated => $"API key: {session.ApiKey} (new, shown once; saved in {session.ApiKeyFile}; `dsdr key --data-dir {dataDirectory}` prints it)",
        Web.Hosting.ApiKeySource.Saved => $"API key: in {session.ApiKeyFile} (`dsdr key --data-dir {dataDirectory}` prints it)",
        _ => "API key: the configured one (--api-key or Dsdr__ApiKey)",
    };

    /// <summary>How to pass the key on a command line shown to the user, without printing a saved key.</summary>
    public static string KeyArgument(IPlatformSession session, string dataDirectory) => session.ApiKeySource switch
    {
        Web.Hosting.ApiKeySource.Generated => session.ApiKey,
        Web.Hosting.ApiKeySource.Saved => $"\"$(dsdr key --data-dir {dataDirectory})\"",
        _ => "\"$Dsdr__ApiKey\"",
    };

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
