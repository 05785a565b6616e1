namespace Dsdr.Core.Tasks;

/// <summary>SplitMix64: a tiny generator whose sequence is fixed by its seed on every runtime (System.Random's is not promised).</summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [minInclusive, maxInclusive].</summary>
    public int Next(int minInclusive, int maxInclusive)
    {
        if (maxInclusive < minInclusive)
            throw new ArgumentOutOfRangeException(nameof(maxInclusive), $"Empty range [{minInclusive}, {maxInclusive}].");
        var span = (ulong)((long)maxInclusive - minInclusive + 1);
        // Rejection sampling keeps the draw exactly uniform.
        var limit = ulong.MaxValue - ulong.MaxValue % span;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return (int)((long)minInclusive + (long)(x % span));
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(0, i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
