using Dsdr.Contracts;
using Dsdr.Grains.Placement;
using Dsdr.Grains.Running;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Dsdr.Grains;

public static class DsdrSiloBuilderExtensions
{
    /// <summary>
    /// Adds Dsdr's grains to a silo: publishes the silo's node name (silo metadata "dsdr.node"), the
    /// node placement that puts each learner slot on its node, the scheduling options, and starts
    /// one learner slot per device of <paramref name="node"/> once the silo is active. Grain state
    /// goes to the grain storage named "dsdr" and the reminders to the silo's reminder service:
    /// both must be configured too, as must an <see cref="ITrialRunner"/> when the node has devices.
    /// Step metrics go to the registered <see cref="ITrialMetricSink"/> and sweeps/trials are copied to the
    /// registered <see cref="IRunMirror"/>, rollout groups and problems to the <see cref="IRolloutMirror"/>, the slot pool to
    /// the <see cref="ISlotMirror"/>; without registrations, metrics stay in memory and nothing is mirrored.
    /// </summary>
    public static ISiloBuilder AddDsdrGrains(this ISiloBuilder silo, DsdrNodeOptions node, Action<DsdrSchedulingOptions>? scheduling = null)
    {
        node.Validate();
        var probe = new DsdrSchedulingOptions();
        scheduling?.Invoke(probe);
        probe.Validate();

        silo.UseSiloMetadata(new Dictionary<string, string> { [NodePlacementStrategy.NodeMetadataKey] = node.Node });
        silo.Services.AddOptions<DsdrNodeOptions>().Configure(o =>
        {
            o.Node = node.Node;
            o.Devices = [.. node.Devices];
        });
        var options = silo.Services.AddOptions<DsdrSchedulingOptions>();
        if (scheduling is not null) options.Configure(scheduling);
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddSingleton<ITrialMetricSink, InMemoryTrialMetricSink>();
        silo.Services.TryAddSingleton<IRunMirror>(NoRunMirror.Instance);
        silo.Services.TryAddSingleton<IRolloutMirror>(NoRolloutMirror.Instance);
        silo.Services.TryAddSingleton<ISlotMirror>(NoSlotMirror.Instance);
        silo.Services.AddPlacementDirector<NodePlacementStrategy, NodePlacementDirector>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, LearnerSlotLauncher>();
        return silo;
    }

    /// <summary>Registers the runner learner slots on this silo use (the trainer, or a simulation).</summary>
    public static ISiloBuilder UseTrialRunner<TRunner>(this ISiloBuilder silo) where TRunner : class, ITrialRunner
    {
        silo.Services.AddSingleton<ITrialRunner, TRunner>();
        return silo;
    }

    public static ISiloBuilder UseTrialRunner(this ISiloBuilder silo, ITrialRunner runner)
    {
        silo.Services.AddSingleton(runner);
        return silo;
    }
}

/// <summary>Starts this node's learner slots when the silo becomes active and stops them first when it shuts down.</summary>
internal sealed partial class LearnerSlotLauncher(
    IGrainFactory grains,
    IOptions<DsdrNodeOptions> node,
    ILogger<LearnerSlotLauncher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(LearnerSlotLauncher), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(Slots().Select(s => s.Grain.StartAsync(s.Device.Capacity)));
        if (node.Value.Devices.Count > 0)
            LogStarted(logger, node.Value.Node, string.Join(", ", node.Value.Devices.Select(d => d.Name)));
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(Slots().Select(s => s.Grain.StopAsync())).WaitAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            LogStopFailed(logger, ex, node.Value.Node);
        }
    }

    private IEnumerable<(DeviceSlot Device, ILearnerSlotGrain Grain)> Slots() =>
        node.Value.Devices.Select(d => (d, grains.GetGrain<ILearnerSlotGrain>(d.SlotKey(node.Value.Node))));

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node}: learner slots {Devices} online")]
    private static partial void LogStarted(ILogger logger, string node, string devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node}: stopping learner slots failed")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string node);
}
