namespace Dsdr.Deploy.Tests;

/// <summary>One Kubernetes object from the manifests, with the file it came from.</summary>
public sealed record K8sResource(string File, object Document)
{
    public string Kind => Document.Str("kind") ?? "";
    public string Name => Document.At("metadata", "name") as string ?? "";
    public override string ToString() => $"{Kind}/{Name} ({File})";
}

/// <summary>
/// A kustomization read the way kustomize reads it: its resources (files and folders with their own
/// kustomization.yaml) and the secrets it generates from env files (here: their committed *.example copies).
/// </summary>
public sealed record Kustomization(string Folder, IReadOnlyList<K8sResource> Resources, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Secrets)
{
    /// <summary>Reads <paramref name="folder"/> (relative to the repository); <paramref name="edit"/> may change a file's text first.</summary>
    public static Kustomization Load(string folder, Func<string, string, string>? edit = null)
    {
        edit ??= (_, text) => text;
        var resources = new List<K8sResource>();
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        Collect(folder, edit, resources, secrets);
        return new Kustomization(folder, resources, secrets);
    }

    private static void Collect(string folder, Func<string, string, string> edit, List<K8sResource> resources, Dictionary<string, IReadOnlyDictionary<string, string>> secrets)
    {
        var file = $"{folder}/kustomization.yaml";
        var kustomization = Yaml.Load(edit(file, RepoFiles.Read(file)));
        foreach (var entry in kustomization.List("resources").OfType<string>())
        {
            var path = Normalize($"{folder}/{entry}");
            if (Directory.Exists(RepoFiles.PathOf(path))) Collect(path, edit, resources, secrets);
            else if (File.Exists(RepoFiles.PathOf(path)))
                resources.AddRange(Yaml.LoadAll(edit(path, RepoFiles.Read(path))).Select(d => new K8sResource(path, d)));
            else throw new FileNotFoundException($"{file} lists {entry}, which does not exist.");
        }
        foreach (var generator in kustomization.List("secretGenerator"))
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var envs in generator.List("envs").OfType<string>())
            {
                var example = Normalize($"{folder}/{envs}.example");
                foreach (var (key, value) in EnvFile.Parse(edit(example, RepoFiles.Read(example)))) values[key] = value;
            }
            secrets[generator.Str("name") ?? throw new FormatException($"{file}: a secretGenerator without a name.")] = values;
        }
    }

    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part == "..") parts.RemoveAt(parts.Count - 1);
            else if (part is not "." and not "") parts.Add(part);
        }
        return string.Join('/', parts);
    }
}

/// <summary>KEY=VALUE lines (docker/kustomize env files, systemd EnvironmentFile=); '#' comments and blank lines skipped.</summary>
public static class EnvFile
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text) =>
        text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#') && !line.StartsWith(';'))
            .Select(line => line.Split('=', 2) is [var key, var value]
                ? new KeyValuePair<string, string>(key.Trim(), value.Trim())
                : throw new FormatException($"Not KEY=VALUE: '{line}'."))
            .ToList();
}
