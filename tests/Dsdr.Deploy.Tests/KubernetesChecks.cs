using System.Globalization;
using System.Text.RegularExpressions;
using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Npgsql;

namespace Dsdr.Deploy.Tests;

/// <summary>deploy/k8s variants against the code: images, arguments, environment, ports, probes, GPUs, volumes, secrets.</summary>
public static class KubernetesChecks
{
    public const string GpuResource = "nvidia.com/gpu";
    private static readonly string[] WorkloadKinds = ["Deployment", "StatefulSet", "DaemonSet"];

    public static IReadOnlyList<string> Problems(Kustomization k)
    {
        var problems = new List<string>();
        foreach (var r in k.Resources.Where(r => r.Document.Str("apiVersion") is null || r.Kind == "" || r.Name == ""))
            problems.Add($"{r}: needs apiVersion, kind and metadata.name.");

        var workloads = k.Resources.Where(r => WorkloadKinds.Contains(r.Kind)).ToList();
        var services = k.Resources.Where(r => r.Kind == "Service").ToList();
        var claims = k.Resources.Where(r => r.Kind == "PersistentVolumeClaim").ToList();
        var images = workloads.SelectMany(w => Containers(w)).Select(c => Yaml.ImageName(c.Str("image") ?? "")).ToList();
        if (!images.Contains(Conventions.WebImage)) problems.Add($"{k.Folder}: no {Conventions.WebImage} workload.");
        if (!images.Contains(Conventions.WorkerImage)) problems.Add($"{k.Folder}: no {Conventions.WorkerImage} workload.");

        foreach (var workload in workloads)
        {
            var labels = workload.Document.Map("spec")?.At("template", "metadata", "labels") as IDictionary<object, object>;
            var selector = workload.Document.At("spec", "selector", "matchLabels") as IDictionary<object, object>;
            if (selector is null || labels is null || selector.Any(s => !labels.TryGetValue(s.Key, out var v) || !Equals(v, s.Value)))
                problems.Add($"{workload}: spec.selector.matchLabels does not match the pod template's labels.");
            if (workload.Kind == "StatefulSet" && !services.Any(s => s.Name == workload.Document.At("spec", "serviceName") as string))
                problems.Add($"{workload}: serviceName names no Service.");
            foreach (var container in Containers(workload))
            {
                var where = $"{workload} container {container.Str("name")}";
                var environment = Environment(where, workload, container, k, problems);
                switch (Yaml.ImageName(container.Str("image") ?? ""))
                {
                    case Conventions.WebImage: CheckWeb(where, container, environment, problems); break;
                    case Conventions.WorkerImage: CheckWorker(where, workload, container, environment, claims, problems); break;
                    case "postgres": CheckPostgres(where, environment, k, services, workload, problems); break;
                    default: problems.Add($"{where}: image {container.Str("image")} is not one of {Conventions.WebImage}/{Conventions.WorkerImage}/postgres."); break;
                }
            }
        }
        foreach (var service in services) CheckService(service, workloads, problems);
        return problems;
    }

    private static void CheckWeb(string where, object container, IReadOnlyDictionary<string, string> environment, List<string> problems)
    {
        DeployRules.CheckEnvironmentNames(where, EnvironmentNames(container), Conventions.WebEnvironment, problems);
        DeployRules.CheckDatabase(where, environment, problems);
        DeployRules.CheckWeb(where, Args(container, environment), environment, Conventions.WebHttpPort, problems);
        if (!ContainerPorts(container).ContainsValue(Conventions.WebHttpPort)) problems.Add($"{where}: port {Conventions.WebHttpPort} is not declared.");
        if (Resource(container, GpuResource) is not null) problems.Add($"{where}: the web host asks for a GPU.");
        CheckProbes(where, container, Conventions.WebHttpPort, problems);
    }

    private static void CheckWorker(string where, K8sResource workload, object container, IReadOnlyDictionary<string, string> environment, IReadOnlyList<K8sResource> claims, List<string> problems)
    {
        DeployRules.CheckEnvironmentNames(where, EnvironmentNames(container), Conventions.WorkerEnvironment, problems);
        DeployRules.CheckDatabase(where, environment, problems);
        var options = DeployRules.ParseWorker(where, Args(container, environment), problems);
        var gpus = Resource(container, GpuResource);
        var pod = workload.Document.At("spec", "template", "spec");
        if (options is not null)
        {
            var cuda = options.Devices.Count(d => d.Kind == DeviceKind.Cuda);
            if (gpus is null) problems.Add($"{where}: lists {cuda} CUDA device(s) but has no {GpuResource} limit.");
            else if (cuda != gpus) problems.Add($"{where}: lists {cuda} CUDA device(s) but asks for {gpus} {GpuResource}.");
            DeployRules.CheckDevices(where, options, gpu: true, problems);
            foreach (var port in new[] { options.SiloPort, options.GatewayPort, options.HttpPort }.Where(p => !ContainerPorts(container).ContainsValue(p)))
                problems.Add($"{where}: port {port} is not declared.");
            CheckCheckpointVolume(where, pod, container, options.CheckpointDirectory, claims, problems);
        }
        if (gpus is not null)
        {
            if (!(pod.Map("nodeSelector")?.Keys.OfType<string>().Any(key => key.StartsWith("nvidia.com/gpu", StringComparison.Ordinal)) == true
                  || pod.At("affinity", "nodeAffinity") is not null))
                problems.Add($"{where}: a GPU pod without a nodeSelector/affinity for GPU nodes.");
            if (!pod.List("tolerations").Any(t => t.Str("key") == GpuResource))
                problems.Add($"{where}: no toleration for the {GpuResource} taint of GPU nodes.");
            if (!Yaml.ImageTag(container.Str("image") ?? "").EndsWith("cuda", StringComparison.Ordinal))
                problems.Add($"{where}: a GPU pod runs {container.Str("image")}, not the CUDA build (tag ...-cuda).");
        }
        CheckProbes(where, container, options?.HttpPort ?? Conventions.SiloHttpPort, problems);
        var grace = pod.Str("terminationGracePeriodSeconds") is { } g ? TimeSpan.FromSeconds(int.Parse(g, CultureInfo.InvariantCulture)) : TimeSpan.FromSeconds(30);
        DeployRules.CheckStopTimeouts(where, environment, grace, problems);
    }

    private static void CheckCheckpointVolume(string where, object? pod, object container, string directory, IReadOnlyList<K8sResource> claims, List<string> problems)
    {
        var mount = container.List("volumeMounts").FirstOrDefault(m => m.Str("mountPath") == directory);
        var claimName = mount is null ? null : pod.List("volumes").FirstOrDefault(v => v.Str("name") == mount.Str("name")).At("persistentVolumeClaim", "claimName") as string;
        var claim = claims.FirstOrDefault(c => c.Name == claimName);
        if (claim is null) problems.Add($"{where}: --checkpoints {directory} is not a mounted PersistentVolumeClaim of these manifests.");
        else if (!claim.Document.At("spec").List("accessModes").Contains("ReadWriteMany"))
            problems.Add($"{where}: checkpoint claim {claim.Name} is not ReadWriteMany (workers on other nodes must read it).");
    }

    private static void CheckPostgres(string where, IReadOnlyDictionary<string, string> environment, Kustomization k, IReadOnlyList<K8sResource> services, K8sResource workload, List<string> problems)
    {
        var service = services.FirstOrDefault(s => Selects(s, workload));
        if (service is null) { problems.Add($"{where}: no Service reaches PostgreSQL."); return; }
        foreach (var (secret, values) in k.Secrets)
        {
            if (!values.TryGetValue(Conventions.DatabaseVariable, out var connectionString)) continue;
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            var port = service.Document.At("spec").List("ports").Select(p => p.Str("port")).FirstOrDefault();
            if (builder.Host != service.Name) problems.Add($"secret {secret}: {Conventions.DatabaseVariable} host {builder.Host} is not the PostgreSQL Service {service.Name}.");
            if (builder.Port.ToString(CultureInfo.InvariantCulture) != port) problems.Add($"secret {secret}: {Conventions.DatabaseVariable} port {builder.Port} is not the Service's port {port}.");
            if (builder.Username != environment.GetValueOrDefault("POSTGRES_USER")) problems.Add($"secret {secret}: database user {builder.Username} is not POSTGRES_USER.");
            if (builder.Database != environment.GetValueOrDefault("POSTGRES_DB")) problems.Add($"secret {secret}: database {builder.Database} is not POSTGRES_DB.");
            if (builder.Password != environment.GetValueOrDefault("POSTGRES_PASSWORD")) problems.Add($"secret {secret}: the database password is not POSTGRES_PASSWORD.");
        }
    }

    private static void CheckProbes(string where, object container, int port, List<string> problems)
    {
        foreach (var (probe, path) in new[] { ("livenessProbe", Conventions.HealthLive), ("readinessProbe", Conventions.HealthReady) })
        {
            var get = container.At(probe, "httpGet");
            if (get is null) { problems.Add($"{where}: no {probe} (httpGet {path})."); continue; }
            if (get.Str("path") != path) problems.Add($"{where}: {probe} asks {get.Str("path")}, not {path}.");
            if (ResolvePort(container, get.Str("port")) != port) problems.Add($"{where}: {probe} asks port {get.Str("port")}, not {port}.");
        }
        if (container.At("startupProbe", "httpGet") is { } startup && startup.Str("path") != Conventions.HealthLive)
            problems.Add($"{where}: startupProbe asks {startup.Str("path")}, not {Conventions.HealthLive}.");
    }

    private static void CheckService(K8sResource service, IReadOnlyList<K8sResource> workloads, List<string> problems)
    {
        var targets = workloads.Where(w => Selects(service, w)).ToList();
        if (targets.Count == 0) { problems.Add($"{service}: selects no workload."); return; }
        foreach (var port in service.Document.At("spec").List("ports"))
        {
            var target = port.Str("targetPort") ?? port.Str("port");
            if (!targets.Any(w => Containers(w).Any(c => ResolvePort(c, target) is not null)))
                problems.Add($"{service}: targetPort {target} is no container port of {string.Join(", ", targets.Select(t => t.Name))}.");
        }
    }

    private static bool Selects(K8sResource service, K8sResource workload) =>
        service.Document.At("spec", "selector") is IDictionary<object, object> selector && selector.Count > 0
        && workload.Document.At("spec", "template", "metadata", "labels") is IDictionary<object, object> labels
        && selector.All(s => labels.TryGetValue(s.Key, out var v) && Equals(v, s.Value));

    private static IEnumerable<object> Containers(K8sResource workload) => workload.Document.At("spec", "template", "spec").List("containers");

    private static Dictionary<string, int> ContainerPorts(object container) =>
        container.List("ports").ToDictionary(p => p.Str("name") ?? p.Str("containerPort")!, p => int.Parse(p.Str("containerPort")!, CultureInfo.InvariantCulture));

    private static int? ResolvePort(object container, string? port) =>
        port is null ? null
        : int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? (ContainerPorts(container).ContainsValue(number) ? number : null)
        : ContainerPorts(container).TryGetValue(port, out var named) ? named : null;

    private static int? Resource(object container, string name) =>
        container.At("resources", "limits", name) is string limit ? int.Parse(limit, CultureInfo.InvariantCulture) : null;

    /// <summary>Names the container sets, less those only there to be substituted into its arguments ($(POD_NAME)).</summary>
    private static IEnumerable<string> EnvironmentNames(object container)
    {
        var args = string.Join(' ', container.List("args").Concat(container.List("command")).OfType<string>());
        return container.List("env").Select(e => e.Str("name")!).Where(name => !args.Contains($"$({name})", StringComparison.Ordinal));
    }

    /// <summary>The container's environment with sample values for what Kubernetes fills in (secrets from the generator's example file).</summary>
    private static IReadOnlyDictionary<string, string> Environment(string where, K8sResource workload, object container, Kustomization k, List<string> problems)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in container.List("env"))
        {
            var name = variable.Str("name")!;
            if (variable.Str("value") is { } value) environment[name] = Regex.Replace(value, @"\$\((\w+)\)", m => environment.GetValueOrDefault(m.Groups[1].Value, m.Value));
            else if (variable.At("valueFrom", "secretKeyRef") is { } secretRef)
            {
                var secret = secretRef.Str("name")!;
                var key = secretRef.Str("key")!;
                if (!k.Secrets.TryGetValue(secret, out var values)) problems.Add($"{where}: {name} comes from secret {secret}, which {k.Folder} does not generate.");
                else if (!values.TryGetValue(key, out var secretValue)) { if (secretRef.Str("optional") != "true") problems.Add($"{where}: secret {secret} has no key {key} (for {name})."); }
                else environment[name] = secretValue;
            }
            else if (variable.At("valueFrom", "fieldRef", "fieldPath") is string field)
                environment[name] = field switch
                {
                    "metadata.name" => $"{workload.Name}-0",
                    "metadata.namespace" => "dsdr",
                    "status.podIP" => "10.1.2.3",
                    _ => throw new FormatException($"{where}: no sample value for fieldRef {field}."),
                };
        }
        return environment;
    }

    /// <summary>command + args as the container receives them, $(VAR) replaced from its environment.</summary>
    private static IReadOnlyList<string> Args(object container, IReadOnlyDictionary<string, string> environment) =>
        container.List("args").OfType<string>()
            .Select(a => Regex.Replace(a, @"\$\((\w+)\)", m => environment.GetValueOrDefault(m.Groups[1].Value, m.Value)))
            .ToList();
}
