using System.Text;

namespace Dsdr.Core.Results;

/// <summary>
/// One colour per result row wherever rows are drawn (the dashboard's charts, the report's figures): the known arms and
/// the Backbone row have fixed places in the palette, any other row (an arm at a grid point) a stable pick by its label's hash.
/// </summary>
public static class ArmPalette
{
    /// <summary>Tableau 10, as "#rrggbb".</summary>
    public static IReadOnlyList<string> Colours { get; } =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private static readonly Dictionary<string, int> Known = new(StringComparer.Ordinal)
    {
        ["grpo"] = 0, ["dapo"] = 1, ["dsdr"] = 2, ["dsdr-no-gd"] = 3, ["dsdr-no-gc"] = 4, ["dsdr-uniform"] = 5, [ResultTable.BackboneRow] = 9,
    };

    /// <summary>The palette's colour at <paramref name="index"/> (wrapping around, negative indices too).</summary>
    public static string At(int index) => Colours[((index % Colours.Count) + Colours.Count) % Colours.Count];

    /// <summary>The colour of a row ("dsdr", "dsdr λd=0.1", …): its arm's when the row is the arm, else a stable hash of the row.</summary>
    public static string Of(string row) => Known.TryGetValue(row, out var index) ? At(index) : At((int)(Fnv1a(row) % (uint)Colours.Count));

    // FNV-1a 32-bit: h = (h ⊕ byte) · 16777619, from 2166136261
    private static uint Fnv1a(string text)
    {
        var h = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text)) h = (h ^ b) * 16777619u;
        return h;
    }
}
