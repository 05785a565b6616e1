using System.Diagnostics;

namespace Dsdr.Deploy.Tests;

public class DockerfileTests
{
    private static readonly string Web = RepoFiles.Read(Conventions.WebDockerfile);
    private static readonly string Worker = RepoFiles.Read(Conventions.WorkerDockerfile);
    private static readonly string Script = RepoFiles.Read(Conventions.WorkerEntryPoint);

    private static string Mutate(string text, string from, string to)
    {
        Assert.Contains(from, text);
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    [Fact]
    public void Web_dockerfile_agrees_with_the_code() => Assert.Empty(DockerfileChecks.WebProblems(Web));

    [Fact]
    public void Worker_dockerfile_agrees_with_the_code() => Assert.Empty(DockerfileChecks.WorkerProblems(Worker, Script));

    [Fact]
    public void The_learning_project_knows_both_backends_the_images_use() =>
        Assert.Equal(["cpu", "cuda"], DockerfileChecks.LibTorchBackends().Order());

    [Fact]
    public void A_web_image_starting_the_wrong_assembly_is_found() =>
        Assert.Contains(DockerfileChecks.WebProblems(Mutate(Web, "\"Dsdr.Web.dll\"", "\"Dsdr.Api.dll\"")), p => p.Contains("does not run Dsdr.Web.dll"));

    [Fact]
    public void A_web_image_on_another_port_is_found()
    {
        var problems = DockerfileChecks.WebProblems(Mutate(Web, "ASPNETCORE_HTTP_PORTS=8080", "ASPNETCORE_HTTP_PORTS=5000"));
        Assert.Contains(problems, p => p.Contains("does not set ASPNETCORE_HTTP_PORTS=8080"));
    }

    [Fact]
    public void A_worker_build_that_ignores_the_backend_is_found() =>
        Assert.Contains(DockerfileChecks.WorkerProblems(Mutate(Worker, " -p:LibTorchBackend=${LIBTORCH_BACKEND}", ""), Script), p => p.Contains("LibTorchBackend"));

    [Fact]
    public void A_worker_default_command_the_silo_rejects_is_found() =>
        Assert.Contains(DockerfileChecks.WorkerProblems(Mutate(Worker, "\"--devices\", \"cpu:1\"", "\"--devices\", \"cpu:0\""), Script),
            p => p.Contains("CMD") && p.Contains("N must be at least 1"));

    [Fact]
    public void A_worker_image_not_exposing_the_gateway_is_found() =>
        Assert.Contains(DockerfileChecks.WorkerProblems(Mutate(Worker, "EXPOSE 11111 30000 8081", "EXPOSE 11111 8081"), Script), p => p.Contains("EXPOSE 30000"));

    [Fact]
    public void A_copy_of_a_missing_file_is_found() =>
        Assert.Contains(DockerfileChecks.WorkerProblems(Mutate(Worker, "deploy/docker/dsdr-worker.sh", "deploy/docker/worker-entry.sh"), Script),
            p => p.Contains("COPY deploy/docker/worker-entry.sh"));

    [Fact]
    public void An_image_running_as_root_is_found() =>
        Assert.Contains(DockerfileChecks.WebProblems(Mutate(Web, "USER 1654", "USER root")), p => p.Contains("non-root USER"));

    [Fact]
    public void An_entry_point_script_running_another_assembly_is_found() =>
        Assert.Contains(DockerfileChecks.WorkerProblems(Worker, Script.Replace("/app/Dsdr.Silo.dll", "/app/Dsdr.Worker.dll", StringComparison.Ordinal)),
            p => p.Contains("does not run /app/Dsdr.Silo.dll"));

    [Fact]
    public void Ignore_files_keep_build_outputs_out_of_the_context()
    {
        foreach (var dockerfile in new[] { Conventions.WebDockerfile, Conventions.WorkerDockerfile })
        {
            var ignored = RepoFiles.Read(dockerfile + ".dockerignore").Split('\n').Select(l => l.Trim()).ToList();
            Assert.Contains("**/bin/", ignored);
            Assert.Contains("**/obj/", ignored);
            Assert.Contains(".git/", ignored);
        }
    }

    /// <summary>The entry point script itself, run with a stand-in "dotnet" that prints what it was given.</summary>
    [Theory]
    [InlineData(new[] { "--cluster", "--devices", "cpu:1" }, true)]
    [InlineData(new[] { "--cluster", "--node", "n1", "--devices", "cpu:1" }, false)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Entry_point_names_the_node_after_the_host_unless_told(string[] args, bool addsNode)
    {
        var bin = Directory.CreateTempSubdirectory("dsdr-entry-");
        try
        {
            var fake = Path.Combine(bin.FullName, "dotnet");
            File.WriteAllText(fake, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(RepoFiles.PathOf(Conventions.WorkerEntryPoint));
            foreach (var a in args) start.ArgumentList.Add(a);
            start.Environment["PATH"] = $"{bin.FullName}:/usr/bin:/bin";
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(process.WaitForExit(10_000));
            Assert.Equal(0, process.ExitCode);
            var expected = addsNode ? ["/app/Dsdr.Silo.dll", "--node", Environment.MachineName, .. args] : (string[])["/app/Dsdr.Silo.dll", .. args];
            Assert.Equal(expected, output);
            Dsdr.Silo.DsdrSiloOptions.Parse(output[1..]); // and the silo accepts what it is given
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }
}
