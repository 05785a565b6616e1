using Dsdr.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Dsdr.Runner.Simulation;

public static class SimulatedRunnerHosting
{
    /// <summary>
    /// Learner slots on this silo run the <see cref="SimulatedTrialRunner"/> (sleeping steps, synthetic metrics): for
    /// `--simulated`, tests and the bench, never the default. <paramref name="log"/> (registered as a service) collects
    /// what the attempts did; without one, the silo gets its own.
    /// </summary>
    public static ISiloBuilder UseSimulatedRunner(this ISiloBuilder silo, string checkpointDirectory, SimulationLog? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        log ??= new SimulationLog();
        silo.Services.AddSingleton(log);
        return silo.UseTrialRunner(new SimulatedTrialRunner(checkpointDirectory, log));
    }
}
