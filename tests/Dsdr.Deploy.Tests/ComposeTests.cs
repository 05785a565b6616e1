namespace Dsdr.Deploy.Tests;

public class ComposeTests
{
    private static readonly string Text = RepoFiles.Read(ComposeChecks.File);

    private static IReadOnlyList<string> ProblemsAfter(string from, string to, IReadOnlyDictionary<string, string>? variables = null)
    {
        Assert.Contains(from, Text); // the mutation must change something
        return ComposeChecks.Problems(Text.Replace(from, to, StringComparison.Ordinal), variables ?? ComposeChecks.UserVariables);
    }

    [Fact]
    public void Compose_file_agrees_with_the_code_and_the_dockerfiles() =>
        Assert.Empty(ComposeChecks.Problems(Text, ComposeChecks.UserVariables));

    [Fact]
    public void Compose_file_agrees_with_the_code_when_the_user_overrides_its_settings()
    {
        var variables = new Dictionary<string, string>(ComposeChecks.UserVariables)
        {
            ["POSTGRES_PASSWORD"] = "s3cret", ["DSDR_GPU_DEVICES"] = "cuda:0,cuda:1", ["DSDR_GPU_MEMORY_GIB"] = "141",
            ["DSDR_CPU_MEMORY_GIB"] = "16", ["DSDR_TAG"] = "1.2.3",
        };
        Assert.Empty(ComposeChecks.Problems(Text, variables));
    }

    [Fact]
    public void Compose_refuses_to_start_without_an_api_key()
    {
        var ex = Assert.Throws<ArgumentException>(() => ComposeChecks.Problems(Text, new Dictionary<string, string>()));
        Assert.Contains("DSDR_API_KEY", ex.Message);
    }

    [Fact]
    public void A_worker_argument_the_silo_rejects_is_found() =>
        Assert.Contains(ProblemsAfter("\"--devices\", \"cpu:1\"", "\"--devices\", \"cpu:1\", \"--threads\", \"4\""),
            p => p.Contains("worker-cpu") && p.Contains("Unknown option '--threads'"));

    [Fact]
    public void A_gpu_worker_without_device_reservation_is_found() =>
        Assert.Contains(ProblemsAfter("driver: nvidia", "driver: amd"), p => p.Contains("worker-gpu") && p.Contains("device reservation"));

    [Fact]
    public void A_gpu_worker_built_for_the_cpu_is_found() =>
        Assert.Contains(ProblemsAfter("LIBTORCH_BACKEND: cuda", "LIBTORCH_BACKEND: cpu"), p => p.Contains("worker-gpu") && p.Contains("LIBTORCH_BACKEND=cpu"));

    [Fact]
    public void A_misspelled_database_variable_is_found()
    {
        var problems = ProblemsAfter("  DSDR_PG: Host=postgres", "  DSDR_PGSQL: Host=postgres");
        Assert.Contains(problems, p => p.Contains("DSDR_PGSQL is not one the code reads"));
        Assert.Contains(problems, p => p.Contains("sets neither DSDR_PG"));
    }

    [Fact]
    public void A_database_host_that_is_not_the_postgres_service_is_found() =>
        Assert.Contains(ProblemsAfter("Host=postgres;", "Host=db;"), p => p.Contains("database host is db"));

    [Fact]
    public void A_health_check_on_the_wrong_port_is_found() =>
        Assert.Contains(ProblemsAfter("http://localhost:8081/health/ready", "http://localhost:8080/health/ready"),
            p => p.Contains("worker") && p.Contains("http://localhost:8081/health/ready"));

    [Fact]
    public void A_health_check_on_a_path_nobody_serves_is_found() =>
        Assert.Contains(ProblemsAfter("http://localhost:8080/health/ready", "http://localhost:8080/healthz"),
            p => p.Contains("service web") && p.Contains("/health/ready"));

    [Fact]
    public void A_wrong_image_name_is_found() =>
        Assert.Contains(ProblemsAfter("image: dsdr-web:", "image: dsdr-webapp:"), p => p.Contains("dsdr-webapp"));

    [Fact]
    public void Workers_not_sharing_checkpoints_are_found() =>
        Assert.Contains(ProblemsAfter("    - checkpoints:/checkpoints", "    - /tmp/checkpoints:/checkpoints"), p => p.Contains("checkpoint volume"));

    [Fact]
    public void A_stop_grace_period_shorter_than_the_checkpoint_time_is_found() =>
        Assert.Contains(ProblemsAfter("stop_grace_period: 300s", "stop_grace_period: 60s"), p => p.Contains("killed after 60 s"));

    [Fact]
    public void A_web_host_option_it_does_not_take_is_found() =>
        Assert.Contains(ProblemsAfter("command: [\"--cluster\", \"--cluster-id\"", "command: [\"--clustered\", \"--cluster-id\""),
            p => p.Contains("does not take '--clustered'"));

    [Theory]
    [InlineData("plain ${A} and $B and $$C", "plain a and b and $C")]
    [InlineData("${MISSING:-fallback}/${EMPTY:-x}/${EMPTY-y}", "fallback/x/")]
    [InlineData("${A:?never}", "a")]
    public void Interpolation_follows_compose(string text, string expected) =>
        Assert.Equal(expected, ComposeInterpolation.Resolve(text, new Dictionary<string, string> { ["A"] = "a", ["B"] = "b", ["EMPTY"] = "" }));

    [Theory]
    [InlineData("300s", 300)]
    [InlineData("5m", 300)]
    [InlineData("1m30s", 90)]
    public void Durations_follow_compose(string text, int seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), ComposeChecks.Duration(text));
}
