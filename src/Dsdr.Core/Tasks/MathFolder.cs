namespace Dsdr.Core.Tasks;

/// <summary>
/// A local folder of Hugging Face datasets as one math task, split as the paper: the training set is the entry named
/// like DAPO-Math-17k (or the one the spec names), every other entry is a held-out benchmark (AIME 2024/2025, MATH500,
/// AMC, Minerva, OlympiadBench …). An entry is a top-level data file (named by its stem) or a subfolder holding data
/// files (named by the folder, all its .parquet/.jsonl files read as one); hidden entries and other files are skipped.
/// </summary>
public static class MathFolder
{
    public sealed record Entry(string Name, string Path);

    public sealed record Split(Entry Train, IReadOnlyList<Entry> Benchmarks);

    /// <summary>The folder's entries in ordinal order.</summary>
    public static IReadOnlyList<Entry> Entries(string folder)
    {
        var files = Directory.EnumerateFiles(folder)
            .Where(f => BenchmarkLoader.DataExtensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Select(f => new Entry(System.IO.Path.GetFileNameWithoutExtension(f), f));
        var folders = Directory.EnumerateDirectories(folder)
            .Where(d => BenchmarkLoader.DataFiles(d).Count > 0)
            .Select(d => new Entry(System.IO.Path.GetFileName(d), d));
        return [.. files.Concat(folders).Where(e => !e.Name.StartsWith('.')).OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The split of <paramref name="folder"/>: <paramref name="trainSet"/> (an entry name) is the training set, or
    /// else the one entry whose name contains "dapo"; null with the reason when it cannot be split.
    /// </summary>
    public static (Split? Split, string? Problem) Of(string folder, string? trainSet)
    {
        if (!Directory.Exists(folder)) return (null, $"no folder {folder} here; give an existing folder of .parquet/.jsonl datasets");
        var entries = Entries(folder);
        if (entries.Count == 0) return (null, $"{folder} holds no .parquet or .jsonl data (neither as files nor in subfolders)");
        var names = string.Join(", ", entries.Select(e => e.Name));
        var train = trainSet is not null
            ? entries.Where(e => string.Equals(e.Name, trainSet, StringComparison.Ordinal)).ToList()
            : entries.Where(e => e.Name.Contains("dapo", StringComparison.OrdinalIgnoreCase)).ToList();
        if (train.Count != 1)
            return (null, trainSet is not null
                ? $"{folder} has no entry \"{trainSet}\" (trainSet); its entries: {names}"
                : $"{folder} has {(train.Count == 0 ? "no" : "several")} entry named like DAPO-Math-17k to train on; name the training set with trainSet (its entries: {names})");
        var benchmarks = entries.Where(e => e != train[0]).ToList();
        if (benchmarks.Count == 0) return (null, $"{folder} holds only the training set {train[0].Name}; add held-out benchmarks (e.g. MATH500, AIME 2024) as files or subfolders");
        return (new Split(train[0], benchmarks), null);
    }
}
