using System.CommandLine;
using Dsdr.Cli.Platform;
using Dsdr.Web.Hosting;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr key [--data-dir DIR]</c>: prints the API key a single node generated at its first start and keeps in its data
/// folder (DIR/api-key). <c>dsdr serve</c> and <c>dsdr demo</c> show the key only on that first start, so it does not
/// land in every service log; this is the explicit way to read it again.
/// </summary>
internal static class KeyCommand
{
    public static Command Create(CliIo io)
    {
        var dataDir = PlatformCliOptions.DataDirectory("platform");
        dataDir.Description += " dsdr demo's folder is the demo one (e.g. ~/.local/share/dsdr/demo).";
        var command = new Command("key", "Print the platform's saved API key (the one dsdr serve / dsdr demo generated at first start in --data-dir).") { dataDir };
        command.SetAction(parse =>
        {
            var folder = PlatformCliOptions.CheckDataDirectory(parse.GetValue(dataDir)!);
            var file = ApiKey.FilePathFor(new DsdrWebOptions { DataDirectory = Path.Combine(folder, "postgres") });
            if (!File.Exists(file))
                throw new CliUnavailableException($"no API key in {folder} yet: dsdr serve (or dsdr demo) --data-dir {folder} generates one at its first start.");
            var key = File.ReadAllText(file).Trim();
            if (key.Length < 16) throw new CliUnavailableException($"{file} holds no usable key (fewer than 16 characters): delete it and start the platform to have a new one generated.");
            io.Output.WriteLine(key);
            return CliExit.Ok;
        });
        return command;
    }
}
