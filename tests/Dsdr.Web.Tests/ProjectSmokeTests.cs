namespace Dsdr.Web.Tests;

public class ProjectSmokeTests
{
    [Fact]
    public void Preview_records_count_their_trials()
    {
        var preview = new Services.SweepPreview("s", [], [new("t1", "grpo", "grpo", 0, 10), new("t2", "dsdr", "dsdr", 0, 10)], ["grpo", "dsdr"], [0]);
        Assert.True(preview.IsValid);
        Assert.Equal(2, preview.TrialCount);
    }
}
