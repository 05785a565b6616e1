using Dsdr.Contracts;
using Dsdr.Core.Sweeps;
using Dsdr.Runner.Simulation;
using Dsdr.Silo;

namespace Dsdr.Grains.Tests;

public sealed class KeysAndOptionsTests
{
    [Fact]
    public void Slot_keys_compose_and_parse()
    {
        Assert.Equal("node-a/cuda:1", SlotKeys.Compose("node-a", DeviceKind.Cuda, 1));
        Assert.Equal(("node-a", DeviceKind.Cpu, 0), SlotKeys.Parse("node-a/cpu:0"));
        Assert.Equal("gpu-box", SlotKeys.NodeOf("gpu-box/cuda:7"));
    }

    [Theory]
    [InlineData("node-a")]
    [InlineData("/cuda:0")]
    [InlineData("node-a/")]
    [InlineData("node-a/tpu:0")]
    [InlineData("node-a/cuda:x")]
    [InlineData("node-a/cuda:-1")]
    public void Malformed_slot_keys_are_rejected_with_the_expected_form(string key)
    {
        var ex = Assert.ThrowsAny<FormatException>(() => SlotKeys.Parse(key));
        Assert.Contains("'", ex.Message);
    }

    [Fact]
    public void Rollout_group_keys_round_trip_with_a_problem_key_holding_a_slash()
    {
        var key = GrainKeys.RolloutGroup("0123456789abcdef", 42, GrainKeys.Problem("countdown", "000017"));
        Assert.Equal("0123456789abcdef/42/countdown/000017", key);
        Assert.Equal(("0123456789abcdef", 42, "countdown/000017"), GrainKeys.ParseRolloutGroup(key));
        Assert.Throws<FormatException>(() => GrainKeys.ParseRolloutGroup("trial/notastep/p"));
    }

    [Fact]
    public void Silo_command_line_reads_node_devices_and_cluster_mode()
    {
        var o = DsdrSiloOptions.Parse(["--node", "gpu-7", "--devices", "cuda:0,cuda:1=24", "--gpu-memory-gib", "80", "--cluster", "--silo-port", "11112"]);
        Assert.Equal(SiloMode.Cluster, o.Mode);
        Assert.Equal("gpu-7", o.Node);
        Assert.Equal(11112, o.SiloPort);
        Assert.Equal([new DeviceSlot(DeviceKind.Cuda, 0, 80), new DeviceSlot(DeviceKind.Cuda, 1, 24)], o.Devices);
        Assert.Equal(["gpu-7/cuda:0", "gpu-7/cuda:1"], o.Devices.Select(d => d.SlotKey(o.Node)));
        Assert.Null(o.AdvertisedAddress);
        Assert.Equal(System.Net.IPAddress.Parse("10.0.3.7"), DsdrSiloOptions.Parse(["--cluster", "--advertised-address", "10.0.3.7"]).AdvertisedAddress);
    }

    [Fact]
    public void Cpu_count_gives_that_many_cpu_slots_and_single_node_is_the_default()
    {
        var o = DsdrSiloOptions.Parse(["--devices", "cpu:3", "--cpu-memory-gib", "6"]);
        Assert.Equal(SiloMode.SingleNode, o.Mode);
        Assert.Equal([0, 1, 2], o.Devices.Select(d => d.Index));
        Assert.All(o.Devices, d => Assert.Equal((DeviceKind.Cpu, 6.0), (d.Kind, d.MemoryGiB)));
    }

    [Theory]
    [InlineData("--devices cuda:0", "--gpu-memory-gib")]
    [InlineData("--devices cpu:0", "at least 1")]
    [InlineData("--devices tpu:0", "unknown")]
    [InlineData("--devices cuda:0=80,cuda:0=80", "more than once")]
    [InlineData("--node a/b", "without '/'")]
    [InlineData("--silo-port 70000", "port")]
    [InlineData("--frobnicate", "Unknown option")]
    [InlineData("--advertised-address pod-ip", "not an IP address")]
    [InlineData("--node", "needs a value")]
    public void Bad_silo_arguments_say_what_is_wrong(string args, string expected)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => DsdrSiloOptions.Parse(args.Split(' ')));
        Assert.Contains(expected, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Scheduling_options_refuse_a_lease_shorter_than_two_heartbeats()
    {
        var o = new DsdrSchedulingOptions { SlotHeartbeatInterval = TimeSpan.FromSeconds(5), LeaseTimeout = TimeSpan.FromSeconds(6) };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(o.Validate);
        Assert.Contains("twice", ex.Message);
    }

    [Theory]
    [InlineData("{}", "no \"simulation\"")]
    [InlineData("{\"simulation\":{\"steps\":0,\"stepMilliseconds\":1,\"checkpointEvery\":0}}", "steps must be at least 1")]
    [InlineData("{\"simulation\":{\"steps\":3,\"stepMilliseconds\":-1,\"checkpointEvery\":0}}", "stepMilliseconds")]
    public void Simulation_plans_reject_bad_configs(string json, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => SimulationPlan.FromConfigJson(json));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Simulation_plan_round_trips_through_config_json()
    {
        var plan = new SimulationPlan(12, 5, 4, [new SimulatedFault(1, 7, SimulatedFaultKind.Hang, 300)]);
        var back = SimulationPlan.FromConfigJson(plan.ToConfigJson());
        Assert.Equal((12, 5, 4), (back.Steps, back.StepMilliseconds, back.CheckpointEvery));
        Assert.Equal(plan.Faults, back.Faults);
    }
}
