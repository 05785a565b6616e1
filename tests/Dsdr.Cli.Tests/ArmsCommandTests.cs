using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Cli.Tests;

public class ArmsCommandTests
{
    [Fact]
    public void Lists_every_registered_arm_with_its_pins_and_every_registered_part()
    {
        var result = CliRunner.Run("arms");
        Assert.True(result.Exit == 0, result.Error);
        var lines = result.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        var armLines = lines.Where(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("    ", StringComparison.Ordinal)).ToList();
        var parts = MethodRegistries.AdvantageEstimators.Names.Concat(MethodRegistries.PolicyLosses.Names)
            .Concat(MethodRegistries.LossAggregations.Names).Concat(MethodRegistries.EntropyTerms.Names);
        Assert.Equal(ArmPresets.Names.Concat(parts), armLines.Select(l => l.Trim().Split(':')[0]));
        Assert.Contains("  grpo: " + ArmPresets.Get("grpo").Description, lines);
        Assert.Contains("    pinned:   lambdaD=0, lambdaL=0, tau=0", lines);
    }
}
