using System.Globalization;
using System.Text.RegularExpressions;
using Dsdr.Core.Sweeps;
using Npgsql;

namespace Dsdr.Deploy.Tests;

/// <summary>deploy/compose/compose.yaml against the code and the Dockerfiles.</summary>
public static class ComposeChecks
{
    public const string File = "deploy/compose/compose.yaml";

    /// <summary>What a user sets before "docker compose up" (everything else has defaults in the file).</summary>
    public static IReadOnlyDictionary<string, string> UserVariables { get; } = new Dictionary<string, string> { ["DSDR_API_KEY"] = "0123456789abcdef01234567" };

    public static IReadOnlyList<string> Problems(string yaml, IReadOnlyDictionary<string, string> variables)
    {
        var problems = new List<string>();
        var compose = ComposeInterpolation.ResolveTree(Yaml.Load(yaml), variables);
        var services = compose.Map("services");
        if (services is null) return ["compose: no services."];
        var composeDirectory = Path.GetDirectoryName(RepoFiles.PathOf(File))!;

        var postgres = services.Entries().Where(s => s.Value.Str("image") is { } i && Yaml.ImageName(i) == "postgres").ToList();
        if (postgres.Count != 1) problems.Add($"compose: expected one postgres service, found {postgres.Count}.");

        var web = services.Entries().Where(s => ImageName(s.Value) == Conventions.WebImage).ToList();
        var workers = services.Entries().Where(s => ImageName(s.Value) == Conventions.WorkerImage).ToList();
        if (web.Count != 1) problems.Add($"compose: expected one {Conventions.WebImage} service, found {web.Count}.");
        if (workers.Count == 0) problems.Add($"compose: no {Conventions.WorkerImage} service.");
        foreach (var (name, service) in services.Entries().Where(s => ImageName(s.Value) is { } n && n != "postgres" && n != Conventions.WebImage && n != Conventions.WorkerImage))
            problems.Add($"compose: service {name} runs image {service.Str("image")}, not one of {Conventions.WebImage}/{Conventions.WorkerImage}/postgres.");

        foreach (var (name, service) in web.Concat(workers))
        {
            var where = $"compose service {name}";
            var isWeb = ImageName(service) == Conventions.WebImage;
            CheckBuild(where, service, isWeb ? Conventions.WebDockerfile : Conventions.WorkerDockerfile, composeDirectory, problems);
            var environment = Environment(service);
            DeployRules.CheckEnvironmentNames(where, environment.Keys, isWeb ? Conventions.WebEnvironment : Conventions.WorkerEnvironment, problems);
            DeployRules.CheckDatabase(where, environment, problems);
            if (postgres.Count == 1) CheckDatabaseIsThePostgresService(where, environment, postgres[0], problems);
            if (service.At("depends_on", postgres.FirstOrDefault().Key ?? "postgres", "condition") as string != "service_healthy")
                problems.Add($"{where}: does not wait for PostgreSQL to be healthy (depends_on ... condition: service_healthy).");
            var health = HealthCommand(service);
            if (isWeb)
            {
                DeployRules.CheckWeb(where, Command(service), environment, Conventions.WebHttpPort, problems);
                if (!service.List("ports").OfType<string>().Any(p => p.EndsWith($":{Conventions.WebHttpPort}", StringComparison.Ordinal)))
                    problems.Add($"{where}: does not publish container port {Conventions.WebHttpPort}.");
                DeployRules.CheckHealthUrl(where, health, Conventions.WebHttpPort, Conventions.HealthReady, problems);
            }
            else
                CheckWorker(where, service, environment, health, problems);
        }

        var checkpointVolumes = workers.Select(w => CheckpointVolume(w.Value)).Distinct().ToList();
        if (checkpointVolumes.Count > 1 || checkpointVolumes.Contains(null))
            problems.Add($"compose: the workers do not share one named checkpoint volume ({string.Join(", ", checkpointVolumes.Select(v => v ?? "none"))}).");
        else if (checkpointVolumes is [{ } volume] && compose.Map("volumes")?.ContainsKey(volume) != true)
            problems.Add($"compose: checkpoint volume {volume} is not declared under volumes.");
        return problems;
    }

    private static void CheckWorker(string where, object service, IReadOnlyDictionary<string, string> environment, string health, List<string> problems)
    {
        // The image's entry point adds --node <container host name> when the command has none.
        var command = Command(service);
        var args = command.Contains("--node") ? command : ["--node", "0123456789ab", .. command];
        var options = DeployRules.ParseWorker(where, args, problems);
        var gpuReservation = service.At("deploy", "resources", "reservations", "devices") is List<object> devices
            && devices.Any(d => d.Str("driver") == "nvidia" && d.List("capabilities").Contains("gpu"));
        var backend = service.At("build", "args", "LIBTORCH_BACKEND") as string ?? "cpu";
        var gpu = gpuReservation || backend == "cuda" || options?.Devices.Any(d => d.Kind == DeviceKind.Cuda) == true;
        if (options is not null)
        {
            DeployRules.CheckDevices(where, options, gpu, problems);
            var mounts = service.List("volumes").OfType<string>().Select(v => v.Split(':')).Where(p => p.Length >= 2).ToList();
            if (!mounts.Any(p => p[1] == options.CheckpointDirectory))
                problems.Add($"{where}: --checkpoints {options.CheckpointDirectory} is not a mounted volume.");
        }
        if (gpu)
        {
            if (!gpuReservation) problems.Add($"{where}: a GPU worker without an nvidia device reservation (deploy.resources.reservations.devices).");
            if (backend != "cuda") problems.Add($"{where}: a GPU worker built with LIBTORCH_BACKEND={backend}, not cuda.");
            if (!service.List("profiles").Contains("gpu")) problems.Add($"{where}: a GPU worker outside the \"gpu\" profile (it would fail on hosts without GPUs).");
            if (!(service.Str("image") ?? "").EndsWith("-cuda", StringComparison.Ordinal)) problems.Add($"{where}: the CUDA build should be tagged ...-cuda, apart from the CPU image.");
        }
        else if (backend != "cpu")
            problems.Add($"{where}: a CPU worker built with LIBTORCH_BACKEND={backend}.");
        DeployRules.CheckHealthUrl(where, health, options?.HttpPort ?? Conventions.SiloHttpPort, Conventions.HealthReady, problems);
        DeployRules.CheckStopTimeouts(where, environment, Duration(service.Str("stop_grace_period")), problems);
    }

    private static void CheckBuild(string where, object service, string dockerfile, string composeDirectory, List<string> problems)
    {
        var context = service.At("build", "context") as string;
        var file = service.At("build", "dockerfile") as string;
        if (context is null || file is null) { problems.Add($"{where}: no build context/dockerfile."); return; }
        var contextPath = Path.GetFullPath(Path.Combine(composeDirectory, context));
        if (!System.IO.File.Exists(Path.Combine(contextPath, "Dsdr.sln"))) problems.Add($"{where}: build context {context} is not the repository root.");
        if (Path.GetFullPath(Path.Combine(contextPath, file)) != Path.GetFullPath(RepoFiles.PathOf(dockerfile)))
            problems.Add($"{where}: built from {file}, not {dockerfile}.");
    }

    private static void CheckDatabaseIsThePostgresService(string where, IReadOnlyDictionary<string, string> environment, KeyValuePair<string, object> postgres, List<string> problems)
    {
        if (!environment.TryGetValue(Conventions.DatabaseVariable, out var connectionString)) return;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var server = Environment(postgres.Value);
        if (builder.Host != postgres.Key) problems.Add($"{where}: the database host is {builder.Host}, not the {postgres.Key} service.");
        if (builder.Username != server.GetValueOrDefault("POSTGRES_USER")) problems.Add($"{where}: database user {builder.Username} is not POSTGRES_USER.");
        if (builder.Password != server.GetValueOrDefault("POSTGRES_PASSWORD")) problems.Add($"{where}: database password differs from POSTGRES_PASSWORD.");
        if (builder.Database != server.GetValueOrDefault("POSTGRES_DB")) problems.Add($"{where}: database {builder.Database} is not POSTGRES_DB.");
    }

    private static string? ImageName(object service) => service.Str("image") is { } image ? Yaml.ImageName(image) : null;

    public static IReadOnlyDictionary<string, string> Environment(object service) =>
        service.At("environment") switch
        {
            IDictionary<object, object> map => map.ToDictionary(e => (string)e.Key, e => e.Value as string ?? ""),
            List<object> list => list.OfType<string>().Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
            _ => new Dictionary<string, string>(),
        };

    private static IReadOnlyList<string> Command(object service) =>
        service.At("command") switch
        {
            List<object> list => list.OfType<string>().ToList(),
            string s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            _ => [],
        };

    private static string HealthCommand(object service) => service.At("healthcheck", "test") switch
    {
        List<object> list => string.Join(' ', list.OfType<string>()),
        string s => s,
        _ => "",
    };

    private static string? CheckpointVolume(object service)
    {
        var args = Command(service).ToList();
        var at = args.IndexOf("--checkpoints");
        if (at < 0 || at + 1 >= args.Count) return null;
        return service.List("volumes").OfType<string>().Select(v => v.Split(':')).FirstOrDefault(p => p.Length >= 2 && p[1] == args[at + 1])?[0];
    }

    /// <summary>Compose durations: "300s", "5m", "1m30s".</summary>
    public static TimeSpan? Duration(string? text)
    {
        if (text is null) return null;
        var total = TimeSpan.Zero;
        var parts = Regex.Matches(text, @"(\d+)(h|ms|m|s|us)");
        if (parts.Sum(m => m.Length) != text.Length) throw new FormatException($"Not a compose duration: '{text}'.");
        foreach (Match m in parts)
        {
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n), "m" => TimeSpan.FromMinutes(n), "s" => TimeSpan.FromSeconds(n),
                "ms" => TimeSpan.FromMilliseconds(n), _ => TimeSpan.FromMicroseconds(n),
            };
        }
        return total;
    }
}
