namespace Dsdr.Deploy.Tests;

public class SystemdTests
{
    private static readonly string UnitText = RepoFiles.Read(SystemdChecks.Unit);

    private static IReadOnlyList<string> ProblemsAfter(string from, string to)
    {
        Assert.Contains(from, UnitText);
        return SystemdChecks.Problems(UnitText.Replace(from, to, StringComparison.Ordinal), SystemdChecks.Instances());
    }

    private static IReadOnlyList<string> ProblemsWithExample(string example, string from, string to) =>
        SystemdChecks.Problems(UnitText, SystemdChecks.Instances(), path =>
        {
            var text = RepoFiles.Read(path);
            if (path != example) return text;
            Assert.Contains(from, text);
            return text.Replace(from, to, StringComparison.Ordinal);
        });

    [Fact]
    public void Worker_unit_agrees_with_the_code_for_every_example_instance()
    {
        Assert.NotEmpty(SystemdChecks.Instances());
        Assert.Empty(SystemdChecks.Problems(UnitText, SystemdChecks.Instances()));
    }

    [Fact]
    public void A_unit_that_is_not_restarted_is_found() =>
        Assert.Contains(ProblemsAfter("Restart=on-failure", "Restart=no"), p => p.Contains("Restart= is not on-failure"));

    [Fact]
    public void A_stop_timeout_shorter_than_the_checkpoint_time_is_found() =>
        Assert.Contains(ProblemsAfter("TimeoutStopSec=300", "TimeoutStopSec=90s"), p => p.Contains("killed after 90 s"));

    [Fact]
    public void Without_the_raised_host_stop_timeout_the_default_30_s_is_found() =>
        Assert.Contains(ProblemsAfter("Environment=DOTNET_SHUTDOWNTIMEOUTSECONDS=240", ""), p => p.Contains("host stops after 30 s"));

    [Fact]
    public void An_argument_the_silo_rejects_is_found() =>
        Assert.Contains(ProblemsAfter("--gateway-port ${DSDR_WORKER_GATEWAY_PORT}", "--gateway ${DSDR_WORKER_GATEWAY_PORT}"), p => p.Contains("Unknown option '--gateway'"));

    [Fact]
    public void A_variable_nobody_sets_is_found() =>
        Assert.Contains(ProblemsAfter("${DSDR_WORKER_DEVICES}", "${DSDR_WORKER_GPUS}"), p => p.Contains("DSDR_WORKER_GPUS"));

    [Fact]
    public void A_misspelled_database_variable_in_the_example_is_found()
    {
        var problems = ProblemsWithExample("deploy/systemd/worker.env.example", "DSDR_PG=", "DSDR_POSTGRES=");
        Assert.Contains(problems, p => p.Contains("DSDR_POSTGRES is not one the code reads"));
        Assert.Contains(problems, p => p.Contains("sets neither DSDR_PG"));
    }

    [Fact]
    public void Cpu_devices_on_the_gpu_worker_are_found() =>
        Assert.Contains(ProblemsWithExample("deploy/systemd/worker-gpus.env.example", "DSDR_WORKER_DEVICES=cuda:0=80,cuda:1=80", "DSDR_WORKER_DEVICES=cpu:2"),
            p => p.Contains("GPU worker lists cpu:0, cpu:1"));

    [Fact]
    public void Two_instances_on_one_host_with_the_same_ports_are_found()
    {
        var problems = SystemdChecks.Problems(UnitText, ["gpus", "gpus-copy"], path => RepoFiles.Read(path.Replace("gpus-copy", "gpus", StringComparison.Ordinal)));
        Assert.Contains(problems, p => p.Contains("share silo port 11111"));
    }

    [Fact]
    public void ExecStart_words_follow_systemd()
    {
        var undefined = new List<string>();
        var words = SystemdUnit.Command("/bin/x --a ${A} $B $EMPTY \"quoted word\" --c=${A}", new Dictionary<string, string> { ["A"] = "one two", ["B"] = "three four", ["EMPTY"] = "" }, undefined);
        Assert.Equal(["/bin/x", "--a", "one two", "three", "four", "quoted word", "--c=one two"], words);
        Assert.Empty(undefined);
    }

    [Fact]
    public void Continuations_comments_and_repeated_keys_parse()
    {
        var unit = SystemdUnit.Parse("# c\n[Service]\nEnvironment=A=1\nEnvironment=B=2\nExecStart=/bin/x \\\n  --y\n; c\n");
        Assert.Equal(["A=1", "B=2"], unit.All("Service", "Environment"));
        Assert.Equal("/bin/x  --y", unit.Get("Service", "ExecStart"));
    }
}
