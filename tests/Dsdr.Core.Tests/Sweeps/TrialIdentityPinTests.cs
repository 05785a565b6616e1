using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>
/// Pins the trial ids of every example spec as they were before the estimators moved behind registries: settings added
/// since (advantage estimator, policy loss, …) left at their defaults must not change an existing trial's id, so a stored
/// sweep (the demo's) resumes instead of starting again.
/// </summary>
public class TrialIdentityPinTests
{
    [Theory]
    [InlineData("countdown-ablation.json", 5, "eebe84c484f67d28", "1be8d65f129a87f6")]
    [InlineData("countdown-train.json", 6, "9aa0907b0cc9d428", "981aff546963c77c")]
    [InlineData("countdown4-ablation.json", 12, "60374eceff896281", "bf82b7b248dfe500")]
    [InlineData("demo.json", 15, "84500525c8189ce3", "7e328aef3656ee4e")]
    [InlineData("dsdr-lambda-grid.json", 30, "d5d32d79bf37c4b7", "77e859f76b069165")]
    [InlineData("math-qwen-gpu.json", 5, "cec3c4051f9d1597", "22c08611962c81bb")]
    public void Example_specs_keep_their_trial_ids(string file, int trials, string trialIdsDigest, string configHashesDigest)
    {
        var expanded = SweepExpander.Expand(Valid(File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", file))));
        Assert.Equal(trials, expanded.Count);
        Assert.Equal(trialIdsDigest, TrialIdentity.Hash(string.Join(",", expanded.Select(t => t.TrialId))));
        Assert.Equal(configHashesDigest, TrialIdentity.Hash(string.Join(",", expanded.Select(t => t.ConfigHash))));
    }
}
