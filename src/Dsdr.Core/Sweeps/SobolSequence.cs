namespace Dsdr.Core.Sweeps;

/// <summary>
/// The Sobol low-discrepancy sequence in up to <see cref="MaxDimensions"/> dimensions, unscrambled, in Gray-code order
/// (Antonov–Saleev), built from primitive polynomials and initial direction numbers m_1..m_s (Joe and Kuo's table,
/// "new-joe-kuo-6.21201"; dimension 1 is the van der Corput sequence in base 2). Point 0 is the origin.
/// </summary>
public sealed class SobolSequence
{
    public const int MaxDimensions = 10;
    private const int Bits = 32;

    // per dimension ≥ 2: degree s, the polynomial's inner coefficients a (bits a_1 … a_{s-1}, a_1 the highest), m_1..m_s
    private static readonly (int S, uint A, uint[] M)[] Polynomials =
    [
        (1, 0, [1]),
        (2, 1, [1, 3]),
        (3, 1, [1, 3, 1]),
        (3, 2, [1, 1, 1]),
        (4, 1, [1, 1, 3, 3]),
        (4, 4, [1, 3, 5, 13]),
        (5, 2, [1, 1, 5, 5, 17]),
        (5, 4, [1, 1, 5, 5, 5]),
        (5, 7, [1, 1, 7, 11, 19]),
    ];

    private readonly uint[][] _directions;

    public SobolSequence(int dimensions)
    {
        if (dimensions is < 1 or > MaxDimensions)
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, $"the Sobol sequence here has 1 to {MaxDimensions} dimensions");
        Dimensions = dimensions;
        _directions = [.. Enumerable.Range(0, dimensions).Select(Directions)];
    }

    public int Dimensions { get; }

    /// <summary>The first <paramref name="count"/> points, each in [0, 1)^d.</summary>
    public IReadOnlyList<double[]> Points(int count)
    {
        var points = new List<double[]>(count);
        var x = new uint[Dimensions];
        for (var n = 0; n < count; n++)
        {
            if (n > 0)
            {
                // x_n = x_(n-1) ⊕ v_c, c = 1 + number of trailing ones of n − 1 (Gray code)
                var c = System.Numerics.BitOperations.TrailingZeroCount(~(uint)(n - 1));
                for (var j = 0; j < Dimensions; j++) x[j] ^= _directions[j][c];
            }
            points.Add([.. x.Select(v => v / 4294967296.0)]);
        }
        return points;
    }

    /// <summary>v_i = m_i · 2^(32−i), with m_i = 2a_1 m_(i−1) ⊕ 4a_2 m_(i−2) ⊕ … ⊕ 2^(s−1) a_(s−1) m_(i−s+1) ⊕ 2^s m_(i−s) ⊕ m_(i−s) for i > s.</summary>
    private static uint[] Directions(int dimension)
    {
        var v = new uint[Bits];
        if (dimension == 0)
        {
            for (var i = 0; i < Bits; i++) v[i] = 1u << (Bits - 1 - i); // m_i = 1
            return v;
        }
        var (s, a, initial) = Polynomials[dimension - 1];
        var m = new uint[Bits];
        for (var i = 0; i < Bits; i++)
        {
            if (i < s) m[i] = initial[i];
            else
            {
                var value = m[i - s] ^ (m[i - s] << s);
                for (var k = 1; k < s; k++)
                    if (((a >> (s - 1 - k)) & 1) == 1) value ^= m[i - k] << k;
                m[i] = value;
            }
            v[i] = m[i] << (Bits - 1 - i);
        }
        return v;
    }
}
