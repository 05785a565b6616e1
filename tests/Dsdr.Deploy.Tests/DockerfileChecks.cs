using System.Globalization;
using System.Text.RegularExpressions;

namespace Dsdr.Deploy.Tests;

/// <summary>deploy/docker against the code: what is published, how it starts, its ports, health checks and tags.</summary>
public static class DockerfileChecks
{
    public const string LearningProject = "src/Dsdr.Learning/Dsdr.Learning.csproj";

    public static IReadOnlyList<string> WebProblems(string text)
    {
        var problems = new List<string>();
        var file = Dockerfile.Parse(text);
        var final = file.FinalStage();
        var project = CheckCommon(Conventions.WebDockerfile, file, "web/Dsdr.Web/Dsdr.Web.csproj", Conventions.WebImage, problems);
        if (project is not null && !final.ExecForm("ENTRYPOINT").Contains($"{Dockerfile.AssemblyName(project)}.dll"))
            problems.Add($"{Conventions.WebDockerfile}: ENTRYPOINT does not run {Dockerfile.AssemblyName(project)}.dll.");
        if (!final.All("ENV").Any(e => Regex.IsMatch(e, $@"^{Conventions.HttpPortsVariable}[= ]{Conventions.WebHttpPort}$")))
            problems.Add($"{Conventions.WebDockerfile}: does not set {Conventions.HttpPortsVariable}={Conventions.WebHttpPort}.");
        CheckPortsAndHealth(Conventions.WebDockerfile, final, [Conventions.WebHttpPort], Conventions.WebHttpPort, problems);
        return problems;
    }

    public static IReadOnlyList<string> WorkerProblems(string text, string entryPointScript)
    {
        var problems = new List<string>();
        var file = Dockerfile.Parse(text);
        var final = file.FinalStage();
        var project = CheckCommon(Conventions.WorkerDockerfile, file, "src/Dsdr.Silo/Dsdr.Silo.csproj", Conventions.WorkerImage, problems);

        // The libtorch backend: a build argument handed to Dsdr.Learning's LibTorchBackend, cpu by default.
        var publish = file.All("RUN").FirstOrDefault(r => r.Contains("dotnet publish", StringComparison.Ordinal)) ?? "";
        if (!publish.Contains("-p:LibTorchBackend=${LIBTORCH_BACKEND}", StringComparison.Ordinal))
            problems.Add($"{Conventions.WorkerDockerfile}: dotnet publish does not pass -p:LibTorchBackend=${{LIBTORCH_BACKEND}}.");
        var backends = LibTorchBackends();
        if (file.ArgDefault("LIBTORCH_BACKEND") != "cpu") problems.Add($"{Conventions.WorkerDockerfile}: LIBTORCH_BACKEND should default to cpu.");
        foreach (var backend in new[] { "cpu", "cuda" }.Where(b => !backends.Contains(b)))
            problems.Add($"{LearningProject} has no LibTorchBackend '{backend}' (it knows {string.Join(", ", backends)}).");
        if (!file.Comments.Any(c => c.Contains("LIBTORCH_BACKEND=cuda", StringComparison.Ordinal) && c.Contains($"{Conventions.WorkerImage}:", StringComparison.Ordinal) && c.Contains("-cuda", StringComparison.Ordinal))
            && !Regex.IsMatch(string.Join('\n', file.Comments), $@"-t {Conventions.WorkerImage}:\S*-cuda[\s\S]*LIBTORCH_BACKEND=cuda"))
            problems.Add($"{Conventions.WorkerDockerfile}: the header does not show the CUDA build (-t {Conventions.WorkerImage}:...-cuda --build-arg LIBTORCH_BACKEND=cuda).");

        // Start-up: the entry point script runs the published silo; CMD's default arguments are ones it accepts.
        var entryPoint = final.ExecForm("ENTRYPOINT");
        var scriptTarget = final.All("COPY").Select(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(w => w.Contains(Conventions.WorkerEntryPoint))?[^1];
        if (scriptTarget is null || entryPoint is not [var started] || started != scriptTarget)
            problems.Add($"{Conventions.WorkerDockerfile}: ENTRYPOINT is not the copied {Conventions.WorkerEntryPoint}.");
        var workdir = final.All("WORKDIR").LastOrDefault();
        if (project is not null && !entryPointScript.Contains($"{workdir}/{Dockerfile.AssemblyName(project)}.dll", StringComparison.Ordinal))
            problems.Add($"{Conventions.WorkerEntryPoint}: does not run {workdir}/{Dockerfile.AssemblyName(project)}.dll.");
        var cmd = final.ExecForm("CMD");
        DeployRules.ParseWorker($"{Conventions.WorkerDockerfile} CMD", ["--node", "0123456789ab", .. cmd], problems);

        var defaults = new Dsdr.Silo.DsdrSiloOptions();
        CheckPortsAndHealth(Conventions.WorkerDockerfile, final, [defaults.SiloPort, defaults.GatewayPort, Conventions.SiloHttpPort], Conventions.SiloHttpPort, problems);
        return problems;
    }

    /// <summary>The values Dsdr.Learning's csproj tests LibTorchBackend against.</summary>
    public static IReadOnlyList<string> LibTorchBackends() =>
        Regex.Matches(RepoFiles.Read(LearningProject), @"'\$\(LibTorchBackend\)' == '(\w+)'").Select(m => m.Groups[1].Value).Where(v => v.Length > 0).Distinct().ToList();

    private static string? CheckCommon(string where, Dockerfile file, string expectedProject, string image, List<string> problems)
    {
        var project = file.PublishedProject();
        if (project != expectedProject) problems.Add($"{where}: publishes {project ?? "nothing"}, not {expectedProject}.");
        if (project is not null && !File.Exists(RepoFiles.PathOf(project))) { problems.Add($"{where}: {project} does not exist."); project = null; }
        if (!file.Comments.Any(c => c.Contains($"-t {image}:", StringComparison.Ordinal)))
            problems.Add($"{where}: the header's build command does not tag the image {image}.");
        foreach (var copy in file.All("COPY").Where(c => !c.Contains("--from=", StringComparison.Ordinal)))
        {
            var words = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            foreach (var source in words.Take(words.Count - 1).Where(s => s != "."))
                if (!File.Exists(RepoFiles.PathOf(source)) && !Directory.Exists(RepoFiles.PathOf(source)))
                    problems.Add($"{where}: COPY {source}: no such file in the repository (the build context is its root).");
        }
        var user = file.FinalStage().All("USER").LastOrDefault();
        if (user is null || !int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) || uid == 0)
            problems.Add($"{where}: the image should run as a numeric non-root USER (Kubernetes' runAsNonRoot checks it), not '{user}'.");
        return project;
    }

    private static void CheckPortsAndHealth(string where, Dockerfile final, int[] ports, int healthPort, List<string> problems)
    {
        var exposed = final.All("EXPOSE").SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => p.Split('/')[0]).ToHashSet();
        foreach (var port in ports.Where(p => !exposed.Contains(p.ToString(CultureInfo.InvariantCulture))))
            problems.Add($"{where}: does not EXPOSE {port}.");
        var health = final.All("HEALTHCHECK").LastOrDefault() ?? "";
        if (!health.Contains($"http://localhost:{healthPort}{Conventions.HealthLive}", StringComparison.Ordinal)
            && !health.Contains($"http://localhost:{healthPort}{Conventions.HealthReady}", StringComparison.Ordinal))
            problems.Add($"{where}: HEALTHCHECK does not ask a health path on port {healthPort}.");
        if (health.Contains("curl", StringComparison.Ordinal) && !final.All("RUN").Any(r => r.Contains("install", StringComparison.Ordinal) && r.Contains("curl", StringComparison.Ordinal)))
            problems.Add($"{where}: HEALTHCHECK uses curl, which the runtime image does not install.");
    }
}
