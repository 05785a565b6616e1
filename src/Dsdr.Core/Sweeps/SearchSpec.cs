using System.Globalization;

namespace Dsdr.Core.Sweeps;

/// <summary>How a search draws its points from the ranges.</summary>
public enum SearchMethod
{
    /// <summary>Independent uniform draws (SplitMix64 from the search's seed).</summary>
    Random,
    /// <summary>The Sobol sequence, skipping its first <c>seed</c> points after the origin (a quasi-random design).</summary>
    Sobol,
}

/// <summary>A continuous range of one number hyper-parameter; <paramref name="Log"/>: log-uniform (λ, learning rates), min &gt; 0.</summary>
public sealed record SearchRange(string Key, double Min, double Max, bool Log);

/// <summary>
/// A search beside the grid: <paramref name="Trials"/> points (the budget) drawn by <paramref name="Method"/> from the
/// <paramref name="Ranges"/> with <paramref name="Seed"/>. Each arm runs every point (combined with every grid point), so
/// the rows of different arms share their points.
/// </summary>
public sealed record SearchSpec(SearchMethod Method, int Trials, int Seed, IReadOnlyList<SearchRange> Ranges);

public static class SearchSampler
{
    /// <summary>Significant digits a sampled value keeps, so row labels stay readable and a point's identity is exact.</summary>
    public const int SignificantDigits = 4;

    /// <summary>The search's points in draw order: one assignment per range, in range order. The same spec gives the same points.</summary>
    public static IReadOnlyList<IReadOnlyList<HyperAssignment>> Points(SearchSpec search)
    {
        var unit = search.Method == SearchMethod.Sobol ? SobolUnits(search) : RandomUnits(search);
        return [.. unit.Select(u => (IReadOnlyList<HyperAssignment>)[.. search.Ranges.Select((r, j) => new HyperAssignment(r.Key, Scale(r, u[j])))])];
    }

    /// <summary>x = min + u (max − min); log: x = exp(ln min + u (ln max − ln min)); rounded to <see cref="SignificantDigits"/> digits, kept in [min, max].</summary>
    public static double Scale(SearchRange range, double u)
    {
        var x = range.Log
            ? Math.Exp(Math.Log(range.Min) + u * (Math.Log(range.Max) - Math.Log(range.Min)))
            : range.Min + u * (range.Max - range.Min);
        return Math.Clamp(Round(x), range.Min, range.Max);
    }

    /// <summary>x to <see cref="SignificantDigits"/> significant digits.</summary>
    public static double Round(double x) =>
        x == 0 ? 0 : double.Parse(x.ToString($"G{SignificantDigits}", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static IEnumerable<double[]> SobolUnits(SearchSpec search) =>
        new SobolSequence(search.Ranges.Count).Points(1 + search.Seed + search.Trials).Skip(1 + search.Seed);

    private static IEnumerable<double[]> RandomUnits(SearchSpec search)
    {
        var state = unchecked((ulong)search.Seed * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL);
        for (var n = 0; n < search.Trials; n++)
            yield return [.. search.Ranges.Select(_ => (SplitMix64(ref state) >> 11) / 9007199254740992.0)];
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): state += γ; z = state; z = (z ⊕ z≫30)·c1; z = (z ⊕ z≫27)·c2; z ⊕ z≫31.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
