using System.Text;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Results;

/// <summary>
/// One colour per result row wherever rows are drawn (the dashboard's charts, the report's figures): each registered arm
/// has the palette place of its position in <see cref="ArmPresets.Names"/> (the Backbone row keeps place 9, arms past the
/// tenth take the lighter companions), any other row (an arm at a grid point) a stable pick by its label's hash.
/// </summary>
public static class ArmPalette
{
    /// <summary>Tableau 10, as "#rrggbb".</summary>
    public static IReadOnlyList<string> Colours { get; } =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>Tableau 20's lighter companions of <see cref="Colours"/>, for the registered arms past the ninth.</summary>
    public static IReadOnlyList<string> Companions { get; } =
        ["#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e"];

    private const int BackboneIndex = 9;

    /// <summary>The palette's colour at <paramref name="index"/> (wrapping around, negative indices too).</summary>
    public static string At(int index) => Colours[((index % Colours.Count) + Colours.Count) % Colours.Count];

    /// <summary>The colour of a row ("dsdr", "dsdr λd=0.1", …): its arm's when the row is the arm, else a stable hash of the row.</summary>
    public static string Of(string row)
    {
        if (row == ResultTable.BackboneRow) return At(BackboneIndex);
        var arm = ArmPresets.Registry.IndexOf(row);
        // arm k: place k of Tableau 10 for k < 9 (9 is the Backbone's), then the companions in order
        if (arm >= 0) return arm < BackboneIndex ? At(arm) : Companions[(arm - BackboneIndex) % Companions.Count];
        return At((int)(Fnv1a(row) % (uint)Colours.Count));
    }

    // FNV-1a 32-bit: h = (h ⊕ byte) · 16777619, from 2166136261
    private static uint Fnv1a(string text)
    {
        var h = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text)) h = (h ^ b) * 16777619u;
        return h;
    }
}
