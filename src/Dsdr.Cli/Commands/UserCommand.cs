using System.CommandLine;
using Dsdr.Cli.Platform;
using Dsdr.Web.Hosting;
using Dsdr.Web.Security;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr user add NAME --role operator|viewer</c>: adds a dashboard user (or replaces its role and password) in the
/// user store of a data folder (users.json beside the API key, as <c>dsdr serve --data-dir</c> uses it) or of
/// --users-file (a cluster's Dsdr:UsersFile). The password is read from standard input, never from the command line,
/// and only its ASP.NET Core PasswordHasher hash is stored.
/// </summary>
internal static class UserCommand
{
    public static Command Create(CliIo io)
    {
        var user = new Command("user", "Dashboard users: who may sign in, as a viewer (reads) or an operator (also submits and cancels).");
        var name = new Argument<string>("NAME") { Description = "User name: letters, digits, '.', '_', '-', '@'." };
        var role = new Option<string>("--role") { Description = "viewer (reads) or operator (also submits and cancels sweeps).", Required = true };
        var dataDir = PlatformCliOptions.DataDirectory("platform");
        var usersFile = new Option<string?>("--users-file") { Description = "The user store itself (a cluster's Dsdr:UsersFile), instead of the one in --data-dir." };
        var add = new Command("add", "Add a user, or give an existing one a new role and password (read from standard input).") { name, role, dataDir, usersFile };
        add.SetAction(parse =>
        {
            string checkedName, checkedRole;
            try
            {
                checkedName = DashboardUserStore.CheckName(parse.GetValue(name));
                checkedRole = DsdrRoles.Parse(parse.GetValue(role));
            }
            catch (ArgumentException e)
            {
                throw new CliInputException(e.Message);
            }
            var store = new DashboardUserStore(StorePath(parse.GetValue(usersFile), parse.GetValue(dataDir)!));
            var password = ReadPassword(io, checkedName);
            try
            {
                var created = store.AddOrReplace(checkedName, checkedRole, password);
                io.Output.WriteLine($"{(created ? "added" : "updated")} {checkedName} ({checkedRole}) in {store.FilePath}");
            }
            catch (ArgumentException e)
            {
                throw new CliInputException(e.Message);
            }
            return CliExit.Ok;
        });
        user.Subcommands.Add(add);
        return user;
    }

    /// <summary>--users-file, else the store <c>dsdr serve --data-dir DIR</c> reads (DIR/users.json, beside DIR/api-key).</summary>
    internal static string StorePath(string? usersFile, string dataDirectory) =>
        !string.IsNullOrWhiteSpace(usersFile)
            ? Path.GetFullPath(usersFile)
            : new DsdrWebOptions { DataDirectory = Path.Combine(PlatformCliOptions.CheckDataDirectory(dataDirectory), "postgres") }.UsersFilePath();

    /// <summary>Typed twice without echo at a terminal; else the first line of standard input.</summary>
    private static string ReadPassword(CliIo io, string name)
    {
        if (ReferenceEquals(io.Input, Console.In) && !Console.IsInputRedirected)
        {
            var first = Prompt($"password for {name}: ");
            if (Prompt("again: ") != first) throw new CliInputException("the two passwords differ; nothing was changed.");
            return first;
        }
        return io.Input.ReadLine() ?? throw new CliInputException("no password on standard input: pipe it in (e.g. `printf '%s\\n' \"$PASSWORD\" | dsdr user add ...`).");
    }

    private static string Prompt(string text)
    {
        Console.Error.Write(text);
        var typed = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; }
            else if (!char.IsControl(key.KeyChar)) typed.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }
}
