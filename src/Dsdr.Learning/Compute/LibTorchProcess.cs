using static TorchSharp.torch;

namespace Dsdr.Learning.Compute;

/// <summary>
/// libtorch's process-wide settings, made once per process rather than by each trial: with trials side by side in one
/// process, a trial that set the intra-op thread count would change it under the others mid-run (and with it how their
/// reductions split, so their numbers). The first request sets it; later ones get the count in force.
/// </summary>
public static class LibTorchProcess
{
    private static readonly Lock Gate = new();
    private static int? threads;

    /// <summary>The intra-op thread count set for this process, or null before the first <see cref="UseThreads"/>.</summary>
    public static int? Threads
    {
        get { lock (Gate) return threads; }
    }

    /// <summary>
    /// Sets libtorch's intra-op CPU thread count on the first call in this process (<paramref name="requested"/> 0 = one
    /// per core) and returns the count in force, which later calls do not change whatever they ask for.
    /// </summary>
    public static int UseThreads(int requested)
    {
        if (requested < 0) throw new ArgumentOutOfRangeException(nameof(requested), requested, "Threads must be ≥ 0 (0 = one per core).");
        lock (Gate)
        {
            if (threads is null)
            {
                var count = requested == 0 ? Environment.ProcessorCount : requested;
                if (get_num_threads() != count) set_num_threads(count);
                threads = count;
            }
            return threads.Value;
        }
    }
}
