namespace Dsdr.Core.Sweeps;

/// <summary>
/// Keeps a spec's files (math training and benchmark files, a checkpoint model folder) inside the operator's data roots:
/// the path must be absolute, have no "." or ".." segment, lie inside a root, and still lie inside one after every
/// symbolic link on its way is followed (as far as the path exists here: on another node it may not yet). Refusals
/// never say whether a file exists outside the roots, and never name a root.
/// </summary>
public static class SpecPaths
{
    /// <summary>Configuration key of the roots (Dsdr:DataRoots, ';'-separated), named in refusals.</summary>
    public const string RootsSetting = "Dsdr:DataRoots";

    private const int MaxLinkHops = 40;

    /// <summary>The value of <see cref="RootsSetting"/> ("/data;/models") as full paths; null when empty. A relative folder throws.</summary>
    public static IReadOnlyList<string>? ParseRoots(string? list) =>
        string.IsNullOrWhiteSpace(list)
            ? null
            : [.. list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => Path.IsPathFullyQualified(r)
                ? Path.GetFullPath(r)
                : throw new ArgumentException($"{RootsSetting}: '{r}' is not an absolute folder; list absolute folders separated by ';'."))];

    /// <summary>Null when <paramref name="path"/> is allowed under <paramref name="roots"/>, else why not (for a spec error).</summary>
    public static string? Problem(string path, IReadOnlyList<string> roots)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(roots);
        var where = $"give an absolute path inside one of the platform's data roots (the operator sets them as {RootsSetting})";
        if (roots.Count == 0) return $"this platform reads no files from specs: it has no data roots; the operator sets them as {RootsSetting}";
        if (path.Contains('\0') || path.Any(char.IsControl)) return $"contains a control character; {where}";
        if (!Path.IsPathFullyQualified(path)) return $"\"{Shown(path)}\" is not an absolute path; {where}";
        if (Segments(path).Any(s => s is "." or "..")) return $"\"{Shown(path)}\" has a \".\" or \"..\" segment; {where}";
        var full = Path.GetFullPath(path);
        var lexicalRoots = roots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).ToList();
        if (!lexicalRoots.Any(r => IsInside(full, r))) return $"\"{Shown(path)}\" is outside the platform's data roots; {where}";
        var real = RealPath(full);
        if (real is null || !lexicalRoots.Select(r => RealPath(r) ?? r).Any(r => IsInside(real, r)))
            return $"\"{Shown(path)}\" leads outside the platform's data roots through a symbolic link; {where}";
        return null;
    }

    /// <summary>
    /// As <see cref="Problem"/>, and for a folder every entry below it too (a dataset folder's files, a checkpoint's
    /// weights and tokenizer): null when the path and all it holds stay inside <paramref name="roots"/>.
    /// </summary>
    public static string? ProblemReading(string path, IReadOnlyList<string> roots)
    {
        if (Problem(path, roots) is { } problem) return problem;
        if (!Directory.Exists(path)) return null;
        var everything = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var entry in Directory.EnumerateFileSystemEntries(path, "*", everything))
            if (Problem(entry, roots) is not null)
                return $"\"{Shown(path)}\" holds \"{Shown(Path.GetRelativePath(path, entry))}\", which leads outside the platform's data roots through a symbolic link; " +
                       $"give an absolute path inside one of the platform's data roots (the operator sets them as {RootsSetting})";
        return null;
    }

    /// <summary>The files a trial reads, with the spec field that names each: task.trainPath, task.benchmarks[i].path, model.checkpoint.</summary>
    public static IEnumerable<(string Field, string Path)> Of(TaskSpec task, ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(model);
        if (task.TrainPath is { } train) yield return ("$.task.trainPath", train);
        for (var i = 0; i < task.Benchmarks.Count; i++) yield return ($"$.task.benchmarks[{i}].path", task.Benchmarks[i].Path);
        if (model.Checkpoint is { } checkpoint) yield return ("$.model.checkpoint", checkpoint);
    }

    /// <summary>
    /// The run-time check, just before a trial opens its files (a link may have been planted after the submission):
    /// throws <see cref="Failures.OutsideDataRootsException"/> with the submission's refusal for the first path that left the roots.
    /// </summary>
    public static void Check(TaskSpec task, ModelSpec model, IReadOnlyList<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        foreach (var (field, path) in Of(task, model))
            if (ProblemReading(path, roots) is { } problem) throw new Failures.OutsideDataRootsException(field, problem);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both full paths).</summary>
    public static bool IsInside(string path, string root)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        root = Path.TrimEndingDirectorySeparator(root);
        path = Path.TrimEndingDirectorySeparator(path);
        return path.Equals(root, comparison)
            || path.StartsWith(root + Path.DirectorySeparatorChar, comparison)
            || (root.EndsWith(Path.DirectorySeparatorChar) && path.StartsWith(root, comparison)); // the file-system root itself
    }

    /// <summary>
    /// The path with every symbolic link among its existing components followed (a missing tail is kept as written);
    /// null when the links loop.
    /// </summary>
    public static string? RealPath(string fullPath)
    {
        var pending = new Queue<string>(Segments(fullPath));
        var current = Path.GetPathRoot(fullPath)!;
        var hops = 0;
        var missing = false;
        while (pending.Count > 0)
        {
            var segment = pending.Dequeue();
            if (segment is "." or "") continue;
            if (segment == "..") { current = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(current)) ?? current; continue; }
            var next = Path.Combine(current, segment);
            if (missing) { current = next; continue; }
            // a link (dangling or looping ones too) is followed; past the first missing component the rest is kept as written
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                missing = !Directory.Exists(next) && !File.Exists(next);
                current = next;
                continue;
            }
            if (++hops > MaxLinkHops) return null;
            // a link's target replaces it: absolute from its root, relative from the link's folder
            var resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
            var rest = pending.ToList();
            pending = new Queue<string>([.. Segments(resolved), .. rest]);
            current = Path.GetPathRoot(Path.GetFullPath(resolved))!;
        }
        return current;
    }

    private static string[] Segments(string path) =>
        path[(Path.GetPathRoot(path)?.Length ?? 0)..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    private static string Shown(string path) => path.Length <= 120 ? path : path[..120] + "…";
}
