using System.Text;

namespace Dsdr.Core.Tasks;

/// <summary>Which side of the train / held-out split a problem lies on.</summary>
public enum SplitPart
{
    /// <summary>Any problem, no split.</summary>
    All,
    Train,
    HeldOut,
}

/// <summary>
/// A split by a stable hash of the problem's identity, so train and held-out sets never share a
/// problem, whatever seed or order produced them.
/// </summary>
public static class ProblemSplit
{
    /// <summary>FNV-1a 64 of the UTF-8 text: stable across processes and runtimes (string.GetHashCode is not).</summary>
    public static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    /// <summary>held-out ⇔ hash(identity) mod 10⁶ &lt; fraction·10⁶.</summary>
    public static bool IsHeldOut(string identity, double heldOutFraction)
    {
        if (heldOutFraction is < 0 or > 1 || double.IsNaN(heldOutFraction))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), $"Held-out fraction must lie in [0, 1], got {heldOutFraction}.");
        return StableHash(identity) % 1_000_000UL < (ulong)Math.Round(heldOutFraction * 1_000_000);
    }

    public static bool InPart(string identity, SplitPart part, double heldOutFraction) => part switch
    {
        SplitPart.All => true,
        SplitPart.Train => !IsHeldOut(identity, heldOutFraction),
        SplitPart.HeldOut => IsHeldOut(identity, heldOutFraction),
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, "Unknown split part."),
    };
}
