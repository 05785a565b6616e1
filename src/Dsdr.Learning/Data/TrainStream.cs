using Dsdr.Core.Tasks;

namespace Dsdr.Learning.Data;

/// <summary>
/// The order in which training problems are drawn: epoch e is a permutation of the problems fixed by (seed, e),
/// and <see cref="Cursor"/> counts the problems drawn so far. The next problem is a pure function of
/// (problems, seed, cursor), so restoring the cursor resumes the stream exactly.
/// </summary>
public sealed class TrainStream
{
    private readonly IReadOnlyList<Problem> problems;
    private readonly ulong seed;
    private long epochInCache = -1;
    private int[] order = [];

    public TrainStream(IReadOnlyList<Problem> problems, ulong seed, long cursor = 0)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0) throw new ArgumentException("The training set is empty; a trainer needs at least one problem.", nameof(problems));
        ArgumentOutOfRangeException.ThrowIfNegative(cursor);
        this.problems = problems;
        this.seed = seed;
        Cursor = cursor;
    }

    /// <summary>Problems drawn so far (across epochs).</summary>
    public long Cursor { get; set; }

    public int Count => problems.Count;

    /// <summary>The next <paramref name="count"/> problems; the cursor moves past them.</summary>
    public IReadOnlyList<Problem> Next(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var drawn = new Problem[count];
        for (var i = 0; i < count; i++) drawn[i] = At(Cursor++);
        return drawn;
    }

    /// <summary>The problem at stream position <paramref name="position"/>: order(epoch = position / N)[position mod N].</summary>
    public Problem At(long position)
    {
        var epoch = position / problems.Count;
        if (epoch != epochInCache)
        {
            order = Enumerable.Range(0, problems.Count).ToArray();
            new SeededRandom(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1))).Shuffle(order);
            epochInCache = epoch;
        }
        return problems[order[position % problems.Count]];
    }
}
