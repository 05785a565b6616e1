namespace Dsdr.Deploy.Tests;

public class KubernetesTests
{
    public const string InCluster = "deploy/k8s";
    public const string ExternalDb = "deploy/k8s/external-db";

    /// <summary>The variant with one file's text changed (the change must apply).</summary>
    private static IReadOnlyList<string> ProblemsAfter(string variant, string file, string from, string to) =>
        KubernetesChecks.Problems(Kustomization.Load(variant, (path, text) =>
        {
            if (path != file) return text;
            Assert.Contains(from, text);
            return text.Replace(from, to, StringComparison.Ordinal);
        }));

    [Theory]
    [InlineData(InCluster)]
    [InlineData(ExternalDb)]
    public void Manifests_agree_with_the_code(string variant) => Assert.Empty(KubernetesChecks.Problems(Kustomization.Load(variant)));

    [Fact]
    public void Every_yaml_file_under_deploy_k8s_parses_and_is_part_of_a_variant()
    {
        var used = new[] { InCluster, ExternalDb }.SelectMany(v => Kustomization.Load(v).Resources.Select(r => r.File)).ToHashSet();
        var root = RepoFiles.PathOf("deploy/k8s");
        foreach (var file in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepoFiles.Root, file).Replace(Path.DirectorySeparatorChar, '/');
            Assert.NotEmpty(Yaml.LoadAll(File.ReadAllText(file)));
            if (Path.GetFileName(file) != "kustomization.yaml") Assert.Contains(relative, used);
        }
    }

    [Fact]
    public void The_in_cluster_variant_runs_postgres_and_the_external_one_does_not()
    {
        Assert.Contains(Kustomization.Load(InCluster).Resources, r => r.Kind == "StatefulSet" && r.Name == "dsdr-postgres");
        Assert.DoesNotContain(Kustomization.Load(ExternalDb).Resources, r => r.Name == "dsdr-postgres");
    }

    [Theory]
    [InlineData("deploy/k8s/.gitignore")]
    [InlineData("deploy/k8s/external-db/.gitignore")]
    public void Secret_env_files_stay_out_of_git(string gitignore) => Assert.Contains("dsdr.env", RepoFiles.Read(gitignore).Split('\n'));

    [Fact]
    public void A_worker_without_gpu_limits_is_found()
    {
        var problems = ProblemsAfter(InCluster, "deploy/k8s/base/worker-gpu.yaml", "              nvidia.com/gpu: 1\n            limits:\n              memory: 64Gi\n              nvidia.com/gpu: 1",
            "            limits:\n              memory: 64Gi");
        Assert.Contains(problems, p => p.Contains("no nvidia.com/gpu limit"));
    }

    [Fact]
    public void A_worker_listing_more_gpus_than_it_asks_for_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/base/worker-gpu.yaml", "- cuda:0\n", "- cuda:0,cuda:1\n"),
            p => p.Contains("lists 2 CUDA device(s) but asks for 1"));

    [Fact]
    public void A_worker_argument_the_silo_rejects_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/base/worker-gpu.yaml", "- --checkpoints\n", "- --checkpoint-dir\n"),
            p => p.Contains("Unknown option '--checkpoint-dir'"));

    [Fact]
    public void A_readiness_probe_on_the_wrong_path_is_found() =>
        Assert.Contains(ProblemsAfter(ExternalDb, "deploy/k8s/base/web.yaml", "path: /health/ready", "path: /ready"),
            p => p.Contains("readinessProbe asks /ready"));

    [Fact]
    public void A_probe_on_the_wrong_port_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/base/worker-gpu.yaml", "containerPort: 8081", "containerPort: 8080"),
            p => p.Contains("port 8081 is not declared") || p.Contains("not 8081"));

    [Fact]
    public void A_gpu_pod_without_a_toleration_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/base/worker-gpu.yaml", "- key: nvidia.com/gpu", "- key: example.com/gpu"),
            p => p.Contains("no toleration"));

    [Fact]
    public void A_gpu_pod_running_the_cpu_image_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/base/worker-gpu.yaml", "image: dsdr-worker:dev-cuda", "image: dsdr-worker:dev"),
            p => p.Contains("not the CUDA build"));

    [Fact]
    public void A_checkpoint_volume_not_shared_between_nodes_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/base/checkpoints-pvc.yaml", "ReadWriteMany", "ReadWriteOnce"),
            p => p.Contains("not ReadWriteMany"));

    [Fact]
    public void A_misspelled_environment_variable_is_found() =>
        Assert.Contains(ProblemsAfter(ExternalDb, "deploy/k8s/base/web.yaml", "- name: Dsdr__ApiKey", "- name: DSDR_API_KEY"),
            p => p.Contains("DSDR_API_KEY is not one the code reads"));

    [Fact]
    public void A_secret_key_missing_from_the_generated_secret_is_found() =>
        Assert.Contains(ProblemsAfter(ExternalDb, "deploy/k8s/external-db/dsdr.env.example", "DSDR_PG=", "DATABASE_URL="),
            p => p.Contains("has no key DSDR_PG"));

    [Fact]
    public void A_connection_string_that_misses_the_postgres_service_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/dsdr.env.example", "Host=dsdr-postgres;", "Host=postgres;"),
            p => p.Contains("host postgres is not the PostgreSQL Service dsdr-postgres"));

    [Fact]
    public void A_grace_period_shorter_than_the_checkpoint_time_is_found() =>
        Assert.Contains(ProblemsAfter(InCluster, "deploy/k8s/base/worker-gpu.yaml", "terminationGracePeriodSeconds: 300", "terminationGracePeriodSeconds: 120"),
            p => p.Contains("killed after 120 s"));

    [Fact]
    public void A_service_pointing_at_a_missing_port_is_found() =>
        Assert.Contains(ProblemsAfter(ExternalDb, "deploy/k8s/base/web.yaml", "targetPort: http", "targetPort: web"),
            p => p.Contains("targetPort web"));
}
