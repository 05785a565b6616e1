using System.Text.Json;
using Dsdr.Web.Security;

namespace Dsdr.Cli.Tests;

public sealed class UserCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"dsdr-users-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_data)) Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public void Adds_a_user_to_the_data_folders_store_with_only_a_password_hash()
    {
        var result = CliRunner.RunWithInput("correct horse battery\n", "user", "add", "alice", "--role", "operator", "--data-dir", _data);
        Assert.True(result.Exit == 0, result.Error);
        var file = Path.Combine(_data, DashboardUserStore.FileName); // beside <data>/api-key, where dsdr serve --data-dir looks
        Assert.Contains(file, result.Output);
        var text = File.ReadAllText(file);
        Assert.DoesNotContain("correct horse battery", text);
        var user = JsonDocument.Parse(text).RootElement.GetProperty("users")[0];
        Assert.Equal(("alice", "operator"), (user.GetProperty("name").GetString(), user.GetProperty("role").GetString()));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        var store = new DashboardUserStore(file);
        Assert.NotNull(store.Verify("alice", "correct horse battery"));
        Assert.Null(store.Verify("alice", "wrong horse battery"));

        // again: the role and password are replaced, not duplicated
        Assert.Equal(0, CliRunner.RunWithInput("another long secret\n", "user", "add", "alice", "--role", "viewer", "--data-dir", _data).Exit);
        Assert.Equal(DsdrRoles.Viewer, Assert.Single(store.Load()).Role);
        Assert.Null(store.Verify("alice", "correct horse battery"));
        Assert.NotNull(store.Verify("alice", "another long secret"));
    }

    [Theory]
    [InlineData("bob", "admin", "long enough password", "'admin' is not a role; use viewer")]
    [InlineData("bob smith", "viewer", "long enough password", "is not a user name")]
    [InlineData("bob", "viewer", "short", "use at least 10")]
    [InlineData("bob", "viewer", null, "no password on standard input")]
    public void Bad_input_is_one_line_and_exit_2_and_changes_nothing(string name, string role, string? password, string message)
    {
        var result = password is null
            ? CliRunner.Run("user", "add", name, "--role", role, "--data-dir", _data)
            : CliRunner.RunWithInput(password + "\n", "user", "add", name, "--role", role, "--data-dir", _data);
        Assert.Equal(2, result.Exit);
        Assert.Contains(message, result.Error);
        Assert.False(File.Exists(Path.Combine(_data, DashboardUserStore.FileName)));
    }

    [Fact]
    public void Users_file_names_the_store_itself()
    {
        var file = Path.Combine(_data, "cluster", "dashboard-users.json");
        Assert.Equal(0, CliRunner.RunWithInput("long enough password\n", "user", "add", "carol", "--role", "viewer", "--users-file", file).Exit);
        Assert.Equal("carol", Assert.Single(new DashboardUserStore(file).Load()).Name);
    }
}
