namespace Dsdr.Cli.Tests;

public class ProgramTests
{
    [Fact]
    public void UnknownCommandExitsTwoWithOneLine()
    {
        var result = CliRunner.Run("no-such-command");
        Assert.Equal(2, result.Exit);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.Contains("no-such-command", result.Error);
    }
}
