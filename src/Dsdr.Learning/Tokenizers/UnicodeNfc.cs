using System.Globalization;
using System.Text;

namespace Dsdr.Learning.Tokenizers;

/// <summary>
/// Unicode Normalization Form C (UAX #15: canonical decomposition, canonical ordering, canonical composition)
/// from tables generated into <see cref="NfcTables"/>, so it works in invariant-globalization mode, where
/// <see cref="string.Normalize()"/> leaves text unchanged. Qwen2's tokenizer.json normalizes with NFC.
/// </summary>
public static class UnicodeNfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Tables> Data = new(Tables.Parse);

    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Nothing below U+0300 decomposes into, or composes with, anything that NFC changes.
        if (!text.AsSpan().ContainsAnyInRange('\u0300', '\uFFFF')) return text;

        var tables = Data.Value;
        var cps = new List<int>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes()) Decompose(rune.Value, tables, cps);
        ReorderCanonically(cps, tables);
        Compose(cps, tables);

        var sb = new StringBuilder(text.Length);
        foreach (var cp in cps) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    private static void Decompose(int cp, Tables tables, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            // S = L·V·T (Unicode §3.12)
            var s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (tables.Decompositions.TryGetValue(cp, out var parts)) output.AddRange(parts);
        else output.Add(cp);
    }

    // Stable sort of each run of non-starters by combining class.
    private static void ReorderCanonically(List<int> cps, Tables tables)
    {
        for (var i = 1; i < cps.Count; i++)
        {
            var ccc = tables.CombiningClass(cps[i]);
            if (ccc == 0) continue;
            var j = i;
            while (j > 0 && tables.CombiningClass(cps[j - 1]) > ccc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    private static void Compose(List<int> cps, Tables tables)
    {
        var output = new List<int>(cps.Count);
        var starter = -1;
        foreach (var cp in cps)
        {
            var ccc = tables.CombiningClass(cp);
            if (starter >= 0)
            {
                var adjacent = output.Count - 1 == starter;
                var lastCcc = adjacent ? -1 : tables.CombiningClass(output[^1]);
                // C is blocked from the starter S when a character between them has class 0 or ≥ class(C).
                var blocked = !adjacent && (lastCcc == 0 || lastCcc >= ccc);
                if (!blocked && TryCompose(output[starter], cp, tables, out var composite))
                {
                    output[starter] = composite;
                    continue;
                }
            }
            if (ccc == 0) starter = output.Count;
            output.Add(cp);
        }
        cps.Clear();
        cps.AddRange(output);
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }
        return tables.Composites.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private sealed record Tables(Dictionary<int, int[]> Decompositions, Dictionary<int, int> Classes, Dictionary<long, int> Composites)
    {
        public int CombiningClass(int cp) => Classes.TryGetValue(cp, out var c) ? c : 0;

        public static Tables Parse()
        {
            var decompositions = Entries(NfcTables.Decompositions).ToDictionary(e => Hex(e.Key), e => e.Value.Split(' ').Select(Hex).ToArray());
            var classes = Entries(NfcTables.CombiningClasses).ToDictionary(e => Hex(e.Key), e => int.Parse(e.Value, CultureInfo.InvariantCulture));
            var composites = Entries(NfcTables.Composites).ToDictionary(
                e => e.Key.Split(' ') is [var a, var b] ? ((long)Hex(a) << 21) | (uint)Hex(b) : throw new InvalidDataException($"Bad composite entry {e.Key}."),
                e => Hex(e.Value));
            return new Tables(decompositions, classes, composites);
        }

        private static IEnumerable<KeyValuePair<string, string>> Entries(string data) =>
            data.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split(':') is [var k, var v]
                ? KeyValuePair.Create(k, v)
                : throw new InvalidDataException($"Bad NFC table entry {e}."));

        private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
