using Dsdr.Web.Services;

namespace Dsdr.Web.Tests.Components;

public class PlatformChangeTests
{
    [Fact]
    public void Payloads_parse_into_kind_and_ids_with_star_for_too_many_and_anything_else_refused()
    {
        var metrics = DataChange.Parse("metrics||t1,t2")!;
        Assert.Equal(ChangeKind.Metrics, metrics.Kind);
        Assert.Empty(metrics.Sweeps!);
        Assert.Equal(["t1", "t2"], metrics.Trials!.Order());
        var trials = DataChange.Parse("trials|sw1|*")!;
        Assert.Equal(["sw1"], trials.Sweeps!);
        Assert.Null(trials.Trials);
        Assert.Equal(ChangeKind.Pool, DataChange.Parse("pool||")!.Kind);
        Assert.False(metrics.IsEverything);
        Assert.True(DataChange.Everything.IsEverything);
        foreach (var bad in new[] { "", "metrics", "metrics|a", "cheese||", "3||", "metrics|a|b|c" })
            Assert.Null(DataChange.Parse(bad));
    }

    [Fact]
    public void A_page_hears_the_changes_of_its_kinds_that_touch_its_sweep_or_trials()
    {
        var sweeps = new HashSet<string>(["sw1"]);
        var trials = new HashSet<string>(["t1"]);
        ChangeKind[] kinds = [ChangeKind.Trials, ChangeKind.Metrics];
        Assert.True(DataChange.Of(ChangeKind.Metrics, trials: ["t1", "t9"]).Touches(kinds, sweeps, trials));
        Assert.False(DataChange.Of(ChangeKind.Metrics, trials: ["t9"]).Touches(kinds, sweeps, trials));   // another sweep's trial
        Assert.True(DataChange.Of(ChangeKind.Trials, ["sw1"], ["t5"]).Touches(kinds, sweeps, trials));   // a new trial of its sweep
        Assert.False(DataChange.Of(ChangeKind.Evals, trials: ["t1"]).Touches(kinds, sweeps, trials));    // a kind it does not show
        Assert.True(DataChange.Parse("metrics||*")!.Touches(kinds, sweeps, trials));                       // too many to list: maybe ours
        Assert.True(DataChange.Everything.Touches(kinds, sweeps, trials));
        Assert.True(DataChange.Of(ChangeKind.Trials, ["other"]).Touches(kinds));                           // no ids asked for: any
    }

    [Fact]
    public void Every_subscriber_hears_a_change_until_it_unsubscribes_even_when_another_throws()
    {
        var changes = new PlatformChanges();
        var heard = new List<DataChange>();
        using (changes.Subscribe(_ => throw new InvalidOperationException("a broken page")))
        using (changes.Subscribe(heard.Add))
        {
            changes.Publish(DataChange.Of(ChangeKind.Pool));
            Assert.Equal(2, changes.SubscriberCount);
        }
        changes.Publish(DataChange.Of(ChangeKind.Pool));
        Assert.Single(heard);
        Assert.Equal(0, changes.SubscriberCount);
    }
}
