using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Identity;

namespace Dsdr.Web.Security;

/// <summary>The two dashboard roles: <see cref="Viewer"/> reads, <see cref="Operator"/> also submits and cancels.</summary>
public static class DsdrRoles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";

    public static IReadOnlyList<string> All { get; } = [Viewer, Operator];

    /// <summary>The role named by <paramref name="text"/> (case-insensitive); an unknown one throws naming the two.</summary>
    public static string Parse(string? text) =>
        All.FirstOrDefault(r => string.Equals(r, text?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"'{text}' is not a role; use {Viewer} (reads) or {Operator} (also submits and cancels).");
}

/// <summary>One configured dashboard user: the password is kept only as ASP.NET Core's <see cref="PasswordHasher{TUser}"/> hash.</summary>
public sealed record DashboardUser(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("passwordHash")] string PasswordHash);

/// <summary>
/// The user store: a JSON file (<c>{"users": [{"name", "role", "passwordHash"}]}</c>, owner-only permissions) beside the
/// data folder, or the file configured as Dsdr:UsersFile. Read on every sign-in, so a user added by <c>dsdr user add</c>
/// while the host runs can sign in at once, and a removed or demoted one loses the role at the next check.
/// </summary>
public sealed class DashboardUserStore(string path)
{
    public const string FileName = "users.json";
    private static readonly PasswordHasher<DashboardUser> Hasher = new();
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private static readonly Lock WriteLock = new();

    public string FilePath { get; } = Path.GetFullPath(path);

    /// <summary>Letters, digits, '.', '_', '-' and '@', 1–64 characters.</summary>
    public static string CheckName(string? name)
    {
        var n = name?.Trim() ?? "";
        if (n.Length is 0 or > 64 || !n.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
            throw new ArgumentException($"'{name}' is not a user name: use 1–64 letters, digits, '.', '_', '-' or '@'.");
        return n;
    }

    /// <summary>At least 10 characters: the hash is slow to test, but a short password is still a guessable one.</summary>
    public static void CheckPassword(string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length < 10)
            throw new ArgumentException($"The password has {password?.Length ?? 0} characters; use at least 10.");
    }

    public IReadOnlyList<DashboardUser> Load()
    {
        if (!File.Exists(FilePath)) return [];
        try
        {
            var file = JsonSerializer.Deserialize<UsersFile>(File.ReadAllText(FilePath), Json);
            return file?.Users ?? [];
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"The user store '{FilePath}' is not valid JSON ({ex.Message}); fix or delete it, then add users with `dsdr user add`.", ex);
        }
    }

    public DashboardUser? Find(string name) => Load().FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.Ordinal));

    /// <summary>Adds the user or replaces its role and password; returns true when it is new.</summary>
    public bool AddOrReplace(string name, string role, string password)
    {
        name = CheckName(name);
        role = DsdrRoles.Parse(role);
        CheckPassword(password);
        var user = new DashboardUser(name, role, "");
        user = user with { PasswordHash = Hasher.HashPassword(user, password) };
        lock (WriteLock)
        {
            var users = Load().ToList();
            var existed = users.RemoveAll(u => u.Name == name) > 0;
            users.Add(user);
            Save(users);
            return !existed;
        }
    }

    /// <summary>The user when <paramref name="password"/> is its password, else null (also for an unknown name, after hashing all the same).</summary>
    public DashboardUser? Verify(string name, string password)
    {
        var user = Find(name);
        if (user is null)
        {
            // the same work as for a known name, so timing does not tell which names exist
            Hasher.VerifyHashedPassword(Decoy, Decoy.PasswordHash, password);
            return null;
        }
        return Hasher.VerifyHashedPassword(user, user.PasswordHash, password) == PasswordVerificationResult.Failed ? null : user;
    }

    private static readonly DashboardUser Decoy = new("decoy", DsdrRoles.Viewer,
        new PasswordHasher<DashboardUser>().HashPassword(new DashboardUser("decoy", DsdrRoles.Viewer, ""), Guid.NewGuid().ToString()));

    private void Save(List<DashboardUser> users)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var temp = FilePath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new UsersFile(users.OrderBy(u => u.Name, StringComparer.Ordinal).ToList()), Json) + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, FilePath, overwrite: true);
    }

    private sealed record UsersFile([property: JsonPropertyName("users")] List<DashboardUser> Users);
}
