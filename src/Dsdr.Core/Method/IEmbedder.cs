namespace Dsdr.Core.Method;

/// <summary>A frozen sentence encoder f: text → unit vector (spec §1, z̄_i = f(o_i)/‖f(o_i)‖).</summary>
public interface IEmbedder
{
    /// <summary>Dimension of every returned vector (384 for all-MiniLM-L6-v2).</summary>
    int Dimension { get; }

    /// <summary>Embeds each text; every returned vector has unit L2 norm.</summary>
    IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts);
}
