using Dsdr.Core.Method;
using Dsdr.Grains;
using Dsdr.Learning.Embedding;
using Microsoft.Extensions.DependencyInjection;

namespace Dsdr.Runner;

public static class TrainerRunnerHosting
{
    /// <summary>
    /// Learner slots on this silo train with <see cref="TrainerTrialRunner"/>; the embedder defaults to MiniLM (loaded on
    /// first use) with as many ONNX Runtime threads per call as a slot has libtorch threads: slots already share the cores.
    /// </summary>
    public static ISiloBuilder UseTrainerRunner(this ISiloBuilder silo, TrainerRunnerOptions options, Func<IEmbedder>? embedder = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var factory = embedder ?? (() => MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: options.Threads)));
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton(factory);
        return silo.UseTrialRunner<TrainerTrialRunner>();
    }
}
