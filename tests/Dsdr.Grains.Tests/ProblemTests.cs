using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Runs;
using static Dsdr.Grains.Tests.ClusterHarness;

namespace Dsdr.Grains.Tests;

[Collection("cluster")]
public sealed class ProblemTests
{
    private static ScoredRollout R(bool correct, string? solution, double reward) =>
        new($"text {solution}", reward, correct, solution, 0.5, reward, 0.1, 1.0);

    [Fact]
    public async Task Rollout_groups_keep_their_record_and_build_the_problem_history_without_double_counting_replays()
    {
        await using var h = await StartAsync([Node("node-a")]);
        var problem = GrainKeys.Problem("countdown", "17");
        RolloutGroupRecord Group(string trial, int step, params ScoredRollout[] rollouts) =>
            new(trial, step, problem, "reach 17 with 3 5 2", [.. rollouts]);

        var g1 = Group("t1", 3, R(true, "3*5+2", 1), R(true, "5*3+2", 1), R(false, null, 0), R(true, "3*5+2", 1));
        var g2 = Group("t2", 1, R(false, null, 0), R(true, "2+3*5", 1));
        await h.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup("t1", 3, problem)).RecordAsync(g1);
        await h.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup("t2", 1, problem)).RecordAsync(g2);

        var history = await h.Client.GetGrain<IProblemGrain>(problem).GetAsync();
        Assert.Equal((2, 6, 4, 3), (history.Groups, history.Attempts, history.Solved, history.DistinctCorrectSolutions));
        Assert.Equal(["2+3*5", "3*5+2", "5*3+2"], history.CorrectSolutions.ToArray());
        Assert.Equal(4.0 / 6, history.PassRate, 12);

        // Step 3 of t1 replayed after a resume: its group replaces the first record.
        var replay = Group("t1", 3, R(false, null, 0), R(true, "3*5+2", 1), R(false, null, 0), R(false, null, 0));
        await h.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup("t1", 3, problem)).RecordAsync(replay);
        history = await h.Client.GetGrain<IProblemGrain>(problem).GetAsync();
        Assert.Equal((2, 6, 2, 2), (history.Groups, history.Attempts, history.Solved, history.DistinctCorrectSolutions));
        Assert.Equal(["2+3*5", "3*5+2"], history.CorrectSolutions.ToArray());
        var kept = await h.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup("t1", 3, problem)).GetAsync();
        Assert.Equal(replay.Rollouts.ToArray(), kept!.Rollouts.ToArray());

        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            h.Client.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup("t9", 9, problem)).RecordAsync(g1));
    }

    [Fact]
    public async Task A_group_reported_to_its_problem_again_is_counted_once_whatever_the_group_grain_saved()
    {
        await using var h = await StartAsync([Node("node-a")]);
        var problem = h.Client.GetGrain<IProblemGrain>(GrainKeys.Problem("countdown", "23"));
        var groupKey = GrainKeys.RolloutGroup("t1", 4, GrainKeys.Problem("countdown", "23"));
        ProblemObservation Seen(int rollouts, int correct, params string[] solutions) => new(groupKey, rollouts, correct, [.. solutions]);

        // The report retried after a crash between the group's save and this call: the same group, told twice.
        await problem.ObserveAsync(Seen(4, 2, "1+22", "22+1"));
        await problem.ObserveAsync(Seen(4, 2, "1+22", "22+1"));
        var history = await problem.GetAsync();
        Assert.Equal((1, 4, 2, 2), (history.Groups, history.Attempts, history.Solved, history.DistinctCorrectSolutions));

        // A replay with other rollouts replaces the contribution; another group adds to it.
        await problem.ObserveAsync(Seen(4, 1, "22+1"));
        await problem.ObserveAsync(Seen(4, 1, "22+1") with { GroupKey = GrainKeys.RolloutGroup("t2", 1, GrainKeys.Problem("countdown", "23")) });
        history = await problem.GetAsync();
        Assert.Equal((2, 8, 2, 1), (history.Groups, history.Attempts, history.Solved, history.DistinctCorrectSolutions));
    }

    [Fact]
    public async Task Bad_submissions_are_refused_with_the_reason()
    {
        await using var h = await StartAsync([Node("node-a")]);
        var sweep = h.Client.GetGrain<ISweepGrain>("bad");
        var plan = Plan(steps: 1, stepMs: 1);
        async Task<string> Refused(SweepSubmission s) => (await Assert.ThrowsAnyAsync<ArgumentException>(() => sweep.SubmitAsync(s))).Message;

        Assert.Contains("no trials", await Refused(new SweepSubmission("bad", "bad", ImmutableArray<TrialDescriptor>.Empty)));
        Assert.Contains("twice", await Refused(new SweepSubmission("bad", "bad", [Trial("bad", "x", plan), Trial("bad", "x", plan)])));
        Assert.Contains("names sweep 'other'", await Refused(new SweepSubmission("bad", "bad", [Trial("other", "x", plan)])));
        Assert.Contains("MaxAttempts", await Refused(new SweepSubmission("bad", "bad", [Trial("bad", "x", plan)], MaxAttempts: 0)));
        Assert.Equal(SweepStatus.NotSubmitted, (await sweep.GetProgressAsync()).Status);

        await h.SubmitAsync("good", [Trial("good", "g0", plan)]);
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => h.SubmitAsync("good", [Trial("good", "g1", plan)]));
        Assert.Contains("already submitted", again.Message);
    }
}
