namespace Dsdr.Deploy.Tests;

/// <summary>deploy/systemd: the worker unit with each example instance, against Dsdr.Silo and Dsdr.Storage.</summary>
public static class SystemdChecks
{
    public const string Unit = "deploy/systemd/dsdr-worker@.service";
    public const string Host = "gpu-host-1";

    /// <summary>Where the unit's environment files are installed → their examples in the repository.</summary>
    public static string ExampleOf(string installedPath) =>
        installedPath.StartsWith("/etc/dsdr/", StringComparison.Ordinal) && installedPath.EndsWith(".env", StringComparison.Ordinal)
            ? $"deploy/systemd/{installedPath["/etc/dsdr/".Length..]}.example"
            : throw new FormatException($"Environment file {installedPath} is not under /etc/dsdr/ (no example to check).");

    /// <summary>The instances the examples describe: worker-NAME.env.example → dsdr-worker@NAME.</summary>
    public static IReadOnlyList<string> Instances() =>
        Directory.EnumerateFiles(RepoFiles.PathOf("deploy/systemd"), "worker-*.env.example")
            .Select(f => Path.GetFileName(f)["worker-".Length..^".env.example".Length]).Order().ToList();

    public static IReadOnlyList<string> Problems(string unitText, IReadOnlyList<string> instances, Func<string, string>? readExample = null)
    {
        readExample ??= RepoFiles.Read;
        var problems = new List<string>();
        var unit = SystemdUnit.Parse(unitText);
        foreach (var (section, key) in new[] { ("Unit", "Description"), ("Service", "ExecStart"), ("Service", "User"), ("Install", "WantedBy") })
            if (unit.Get(section, key) is null) problems.Add($"{Unit}: [{section}] has no {key}=.");
        if (unit.Get("Service", "User") == "root") problems.Add($"{Unit}: runs as root.");
        if (!unit.All("Unit", "After").Any(a => a.Split(' ').Contains("network-online.target"))) problems.Add($"{Unit}: does not start after network-online.target.");
        if (unit.Get("Service", "Restart") != "on-failure") problems.Add($"{Unit}: Restart= is not on-failure.");
        if (unit.Get("Service", "KillSignal") != "SIGTERM") problems.Add($"{Unit}: KillSignal= is not SIGTERM (the silo checkpoints and leaves the cluster on SIGTERM).");
        if (!unit.All("Service", "EnvironmentFile").Contains("/etc/dsdr/worker.env")) problems.Add($"{Unit}: does not read EnvironmentFile=/etc/dsdr/worker.env.");
        if (instances.Count == 0) problems.Add($"{Unit}: no example instance (deploy/systemd/worker-NAME.env.example).");

        var seen = new Dictionary<string, string>();
        foreach (var instance in instances)
        {
            var where = $"dsdr-worker@{instance}";
            var (environment, appVariables) = Environment(unit, instance, readExample, where, problems);
            var undefined = new List<string>();
            var command = SystemdUnit.Command(SystemdUnit.Specifiers(unit.Get("Service", "ExecStart") ?? "", instance, Host), environment, undefined);
            foreach (var name in undefined.Distinct()) problems.Add($"{where}: ExecStart uses ${{{name}}}, which neither the unit nor the environment files set.");
            var execStart = unit.Get("Service", "ExecStart") ?? "";
            // Variables the files set either reach the process (then the code must read them) or fill in ExecStart.
            DeployRules.CheckEnvironmentNames(where, appVariables.Where(v => !execStart.Contains($"${{{v}}}", StringComparison.Ordinal) && !execStart.Contains($"${v}", StringComparison.Ordinal)),
                Conventions.WorkerEnvironment, problems);
            DeployRules.CheckDatabase(where, environment, problems);
            var stop = unit.Get("Service", "TimeoutStopSec") is { } t ? SystemdUnit.TimeSpan(t) : (TimeSpan?)null;
            DeployRules.CheckStopTimeouts(where, environment, stop, problems);
            if (command.Count < 2 || !command[0].StartsWith('/') || !command[1].EndsWith("/Dsdr.Silo.dll", StringComparison.Ordinal))
            {
                problems.Add($"{where}: ExecStart does not run .../Dsdr.Silo.dll with an absolute dotnet path: {string.Join(' ', command)}.");
                continue;
            }
            var options = DeployRules.ParseWorker(where, command.Skip(2).ToList(), problems);
            if (options is null) continue;
            DeployRules.CheckDevices(where, options, gpu: true, problems);
            foreach (var key in new[] { $"node {options.Node}", $"silo port {options.SiloPort}", $"gateway port {options.GatewayPort}" })
                if (!seen.TryAdd(key, where)) problems.Add($"{where} and {seen[key]} on one host share {key}.");
        }
        return problems;
    }

    /// <summary>Environment= defaults, then the EnvironmentFile= examples (which win); also the names the files set.</summary>
    private static (Dictionary<string, string> Environment, List<string> FileVariables) Environment(
        SystemdUnit unit, string instance, Func<string, string> readExample, string where, List<string> problems)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in unit.All("Service", "Environment"))
            foreach (var (k, v) in SystemdUnit.Assignments(SystemdUnit.Specifiers(line, instance, Host))) environment[k] = v;
        var fileVariables = new List<string>();
        foreach (var line in unit.All("Service", "EnvironmentFile"))
        {
            var optional = line.StartsWith('-');
            var path = SystemdUnit.Specifiers(optional ? line[1..] : line, instance, Host);
            string text;
            try
            {
                text = readExample(ExampleOf(path));
            }
            catch (Exception ex) when (ex is FileNotFoundException or FormatException)
            {
                if (!optional) problems.Add($"{where}: needs {path}, but there is no example for it ({ex.Message}).");
                continue;
            }
            foreach (var (k, v) in EnvFile.Parse(text))
            {
                environment[k] = v;
                fileVariables.Add(k);
            }
        }
        return (environment, fileVariables);
    }
}
