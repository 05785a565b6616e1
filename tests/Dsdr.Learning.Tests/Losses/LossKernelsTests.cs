using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;
using Dsdr.Learning.Training;
using Xunit;

namespace Dsdr.Learning.Tests.Losses;

/// <summary>Every loss part Core declares has exactly one tensor kernel of the same name, and every arm maps onto them.</summary>
public class LossKernelsTests
{
    [Fact]
    public void Every_declared_part_has_a_kernel_and_every_kernel_a_declaration()
    {
        Assert.Empty(LossKernels.Mismatches());
        Assert.Equal(MethodRegistries.PolicyLosses.Names.Order(), LossKernels.PolicyLosses.Names.Order());
        Assert.Equal(MethodRegistries.LossAggregations.Names.Order(), LossKernels.Aggregations.Names.Order());
        Assert.Equal(MethodRegistries.EntropyTerms.Names.Order(), LossKernels.EntropyTerms.Names.Order());
        foreach (var kernel in LossKernels.PolicyLosses.All)
            Assert.Equal(MethodRegistries.PolicyLosses.Get(kernel.Name).Description, kernel.Description);
    }

    [Fact]
    public void Every_registered_arm_maps_to_a_loss_config_its_kernels_accept()
    {
        foreach (var arm in ArmPresets.All)
        {
            var behaviour = ArmBehaviour.From(arm.Resolve([], []));
            behaviour.Loss.Validate();
            Assert.True(LossKernels.PolicyLosses.TryGet(behaviour.Loss.PolicyLoss, out _), arm.Name);
            GroupScorer.ValidateConfig(behaviour.Scoring);
        }
    }

    [Fact]
    public void An_unknown_part_name_is_refused_naming_the_known_ones()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PolicyLossConfig(PolicyLoss: "nope").Validate());
        Assert.Contains("unknown policy loss \"nope\"; use one of ppo-clip", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => new PolicyLossConfig(Aggregation: "nope").Validate());
        Assert.Contains("unknown loss aggregation \"nope\"; use one of token-mean, seq-mean-token-mean, seq-mean-token-sum", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => new PolicyLossConfig(EntropyTerm: "nope").Validate());
        Assert.Contains("unknown entropy term \"nope\"; use one of local-positive", error.Message);
    }
}
