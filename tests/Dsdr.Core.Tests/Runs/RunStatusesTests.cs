using Dsdr.Core.Runs;

namespace Dsdr.Core.Tests.Runs;

public class RunStatusesTests
{
    private static TrialCounts Counts(int queued = 0, int running = 0, int completed = 0, int failed = 0, int cancelled = 0, int stopped = 0) =>
        new(queued, running, completed, failed, cancelled, stopped);

    [Fact]
    public void A_sweep_whose_trials_all_wait_is_queued_not_running()
    {
        Assert.Equal(SweepStatus.Queued, RunStatuses.SweepOf(Counts(queued: 3), cancelRequested: false));
        Assert.Equal(SweepStatus.Running, RunStatuses.SweepOf(Counts(queued: 2, running: 1), cancelRequested: false));
        Assert.Equal(SweepStatus.Running, RunStatuses.SweepOf(Counts(queued: 2, completed: 1), cancelRequested: false));
    }

    [Fact]
    public void A_sweep_whose_only_trial_failed_is_failed()
    {
        Assert.Equal(SweepStatus.Failed, RunStatuses.SweepOf(Counts(failed: 1), cancelRequested: false));
        Assert.Equal(SweepStatus.Failed, RunStatuses.SweepOf(Counts(failed: 2, cancelled: 1), cancelRequested: false));
    }

    [Fact]
    public void A_sweep_with_some_failed_trials_is_completed_with_failures()
    {
        Assert.Equal(SweepStatus.CompletedWithFailures, RunStatuses.SweepOf(Counts(completed: 3, failed: 1), cancelRequested: false));
        Assert.Equal(SweepStatus.Completed, RunStatuses.SweepOf(Counts(completed: 4), cancelRequested: false));
    }

    [Fact]
    public void Stopped_trials_ended_as_planned_so_a_sweep_of_completed_and_stopped_trials_is_completed()
    {
        Assert.True(TrialStatus.Stopped.IsTerminal());
        Assert.Equal("stopped", TrialStatus.Stopped.Name());
        Assert.Equal(SweepStatus.Completed, RunStatuses.SweepOf(Counts(completed: 2, stopped: 5), cancelRequested: false));
        Assert.Equal(SweepStatus.Completed, RunStatuses.SweepOf(Counts(stopped: 3), cancelRequested: false));
        Assert.Equal(SweepStatus.CompletedWithFailures, RunStatuses.SweepOf(Counts(stopped: 3, failed: 1), cancelRequested: false));
        Assert.Equal(SweepStatus.Running, RunStatuses.SweepOf(Counts(stopped: 3, running: 1), cancelRequested: false));
        var c = TrialCounts.Of([TrialStatus.Stopped, TrialStatus.Stopped, TrialStatus.Completed]);
        Assert.Equal((2, 1, 3, 0), (c.Stopped, c.Completed, c.Total, c.Open));
    }

    [Fact]
    public void A_cancelled_sweep_is_cancelled_once_its_trials_have_ended()
    {
        Assert.Equal(SweepStatus.Running, RunStatuses.SweepOf(Counts(running: 1, cancelled: 2), cancelRequested: true));
        Assert.Equal(SweepStatus.Cancelled, RunStatuses.SweepOf(Counts(completed: 1, failed: 1, cancelled: 2), cancelRequested: true));
    }

    [Fact]
    public void A_started_sweep_never_goes_back_to_queued_and_a_finished_one_stays_finished()
    {
        // the one running trial failed an attempt and waits again for a slot
        Assert.Equal(SweepStatus.Running, RunStatuses.NextSweepStatus(SweepStatus.Running, Counts(queued: 2), cancelRequested: false));
        Assert.Equal(SweepStatus.Running, RunStatuses.NextSweepStatus(SweepStatus.Queued, Counts(queued: 1, running: 1), cancelRequested: false));
        Assert.Equal(SweepStatus.Completed, RunStatuses.NextSweepStatus(SweepStatus.Completed, Counts(queued: 1), cancelRequested: false));
        Assert.Equal(SweepStatus.NotSubmitted, RunStatuses.NextSweepStatus(SweepStatus.NotSubmitted, Counts(queued: 1), cancelRequested: false));
    }

    [Fact]
    public void Every_status_has_one_text_form_that_parses_back()
    {
        foreach (var s in RunStatuses.TrialStatuses) Assert.Equal(s, RunStatuses.ParseTrial(s.Name()));
        foreach (var s in RunStatuses.SweepStatuses) Assert.Equal(s, RunStatuses.ParseSweep(s.Name()));
        Assert.Equal(
            ["not-submitted", "running", "completed", "cancelled", "queued", "completed-with-failures", "failed"],
            RunStatuses.SweepStatuses.Select(s => s.Name()));
        var e = Assert.Throws<FormatException>(() => RunStatuses.ParseSweep("Completed"));
        Assert.Contains("use one of not-submitted, running, completed", e.Message);
    }

    [Fact]
    public void The_numbers_grain_state_and_the_wire_carry_are_the_ones_contracts_had()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], new[] { TrialStatus.Unknown, TrialStatus.Queued, TrialStatus.Running, TrialStatus.Completed, TrialStatus.Failed, TrialStatus.Cancelled, TrialStatus.Stopped }.Select(s => (int)s));
        Assert.Equal([0, 1, 2, 3], new[] { SweepStatus.NotSubmitted, SweepStatus.Running, SweepStatus.Completed, SweepStatus.Cancelled }.Select(s => (int)s));
    }

    [Fact]
    public void Trial_counts_count_each_state()
    {
        var c = TrialCounts.Of([TrialStatus.Queued, TrialStatus.Running, TrialStatus.Failed, TrialStatus.Failed, TrialStatus.Unknown]);
        Assert.Equal((1, 1, 0, 2, 0, 4, 2), (c.Queued, c.Running, c.Completed, c.Failed, c.Cancelled, c.Total, c.Open));
    }
}
