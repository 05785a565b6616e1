using Dsdr.Learning.Compute;

namespace Dsdr.Learning.Tests.Compute;

public class TrialEnvironmentTests
{
    [Theory]
    [InlineData("1.0.0+3f2a9c01bd77", "3f2a9c01bd77")]
    [InlineData("1.0.0+3f2a9c01bd77-dirty", "3f2a9c01bd77-dirty")]
    [InlineData("1.0.0", "unknown")]
    [InlineData("1.0.0+", "unknown")]
    [InlineData(null, "unknown")]
    public void TheCommitIsReadFromTheInformationalVersion(string? version, string commit) =>
        Assert.Equal(commit, TrialEnvironment.CommitOf(version));

    [Fact]
    public void ThisBuildCarriesItsCommit() =>
        Assert.Matches("^[0-9a-f]{12}(-dirty)?$", TrialEnvironment.CommitOf(typeof(TrialEnvironment).Assembly));

    [Fact]
    public void CaptureNamesThisMachine()
    {
        var environment = TrialEnvironment.Capture(TorchSharp.torch.CPU);
        Assert.Equal(Environment.ProcessorCount, environment.LogicalCores);
        Assert.True(environment.TorchThreads >= 1);
        Assert.Equal("cpu", environment.Device);
        Assert.Matches(@"^\d+\.\d+", environment.Libtorch);
        Assert.Matches(@"^\d+\.\d+", environment.OnnxRuntime);
        Assert.NotEmpty(environment.InstructionSet);
    }
}
