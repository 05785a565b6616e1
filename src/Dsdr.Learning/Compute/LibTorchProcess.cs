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
    /// The intra-op CPU thread count is decided by the first call in this process (<paramref name="requested"/> 0 = one
    /// per core); later calls do not change it whatever they ask for. Every call applies it to the calling thread: libtorch's
    /// OpenMP keeps the count per thread, so each thread that runs a trial's tensor ops must call this before them.
    /// Returns the count in force.
    /// </summary>
    public static int UseThreads(int requested)
    {
        if (requested < 0) throw new ArgumentOutOfRangeException(nameof(requested), requested, "Threads must be ≥ 0 (0 = one per core).");
        lock (Gate)
        {
            threads ??= requested == 0 ? Environment.ProcessorCount : requested;
            if (get_num_threads() != threads.Value) set_num_threads(threads.Value);
            return threads.Value;
        }
    }
}
