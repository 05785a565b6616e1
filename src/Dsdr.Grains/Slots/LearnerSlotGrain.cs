using System.Collections.Immutable;
using Dsdr.Contracts;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Placement;
using Dsdr.Grains.Running;
using Dsdr.Grains.Sweeps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dsdr.Grains.Slots;

/// <summary>
/// One device on the silo that owns it. Runs each attempt through the <see cref="ITrialRunner"/>
/// on a background task (never inside a grain turn), and heartbeats the scheduler and the running
/// trial from another background loop. A runner that stops reporting makes the slot go silent, so
/// the scheduler's lease on it runs out and the attempt is requeued elsewhere. The same loop keeps the slot's
/// row in the <see cref="ISlotMirror"/> current (registered at start, idle/busy on change, offline at stop).
/// </summary>
[NodePlacement, KeepAlive]
internal sealed partial class LearnerSlotGrain(
    IServiceProvider services,
    IGrainFactory grains,
    IOptions<DsdrNodeOptions> node,
    IOptions<DsdrSchedulingOptions> options,
    TimeProvider clock,
    ILogger<LearnerSlotGrain> logger) : Grain, ILearnerSlotGrain
{
    private readonly DsdrSchedulingOptions _options = options.Value;
    private readonly TimeProvider _clock = clock;
    private readonly Lock _gate = new();
    private ITrialRunner _runner = null!;
    private ITrialMetricSink _metrics = null!;
    private ISlotMirror _slotMirror = null!;
    private volatile bool _mirrorRegistered;
    private (SlotState State, string? TrialId)? _mirrored;
    private DateTimeOffset _mirroredAt;
    private string _key = "";
    private SlotCapacity? _capacity;
    private volatile bool _online;
    private volatile bool _freeing;
    private RunningAttempt? _running;
    private Task _runTask = Task.CompletedTask;
    private CancellationTokenSource? _loopStop;
    private Task _loop = Task.CompletedTask;
    private int _attemptsRun;
    private long _sequence;
    private TrialOffer? _lastOffer;

    // Background tasks run outside the activation, where Grain.GrainFactory is off limits: use the injected factory.
    private string NodeName => node.Value.Node;

    private ISchedulerGrain Scheduler => grains.GetGrain<ISchedulerGrain>(ISchedulerGrain.PoolKey);

    private IGrainFactory Grains => grains;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        var (owner, _, _) = SlotKeys.Parse(_key);
        if (owner != node.Value.Node)
            throw new InvalidOperationException(
                $"Learner slot '{_key}' belongs to node '{owner}' but was activated on node '{node.Value.Node}'. Is {nameof(NodePlacementDirector)} registered (AddDsdrGrains)?");
        _runner = services.GetService<ITrialRunner>() ?? throw new InvalidOperationException(
            $"No {nameof(ITrialRunner)} is registered on node '{node.Value.Node}': register the trainer's runner (services.AddSingleton<ITrialRunner, …>()) on every silo that hosts learner slots.");
        _metrics = services.GetRequiredService<ITrialMetricSink>();
        _slotMirror = services.GetRequiredService<ISlotMirror>();
        return Task.CompletedTask;
    }

    async Task ILearnerSlotGrain.StartAsync(SlotCapacity capacity)
    {
        if (!(capacity.MemoryGiB > 0))
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity.MemoryGiB, $"Slot '{_key}': memory must be positive (GiB).");
        var (_, kind, _) = SlotKeys.Parse(_key);
        if (kind != capacity.Device)
            throw new ArgumentException($"Slot '{_key}' is a {kind} device but was started with capacity for {capacity.Device}.", nameof(capacity));
        _capacity = capacity;
        _online = true;
        if (_loop.IsCompleted)
        {
            _loopStop = new CancellationTokenSource();
            var stop = _loopStop.Token;
            _loop = Task.Run(() => HeartbeatLoopAsync(stop), CancellationToken.None);
        }
        await Scheduler.SlotHeartbeatAsync(Heartbeat());
        _mirrorRegistered = false; // (re)register: the capacity may have changed
        await MirrorSlotAsync(MirrorState());
        LogStarted(logger, _key, capacity.Device, capacity.MemoryGiB);
    }

    async Task ILearnerSlotGrain.StopAsync()
    {
        if (!_online) return;
        await GoOfflineAsync();
        await Scheduler.SlotLeavingAsync(_key);
    }

    Task ILearnerSlotGrain.OfferAsync(TrialOffer offer)
    {
        lock (_gate)
        {
            // Busy or offline: ignore; our heartbeat tells the scheduler what we really hold.
            _lastOffer = offer;
            if (!_online || _running is not null) return Task.CompletedTask;
            var attempt = new RunningAttempt(offer, _clock.GetUtcNow());
            _running = attempt;
            _runTask = Task.Run(() => RunAttemptAsync(attempt), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    Task ILearnerSlotGrain.CancelTrialAsync(string trialId, int attempt)
    {
        var running = Volatile.Read(ref _running);
        if (running is not null && running.Offer.TrialId == trialId && running.Offer.Attempt == attempt)
            running.Stop();
        return Task.CompletedTask;
    }

    Task<LearnerSlotSnapshot> ILearnerSlotGrain.GetAsync()
    {
        var running = Volatile.Read(ref _running);
        return Task.FromResult(new LearnerSlotSnapshot(_key, node.Value.Node, _capacity, _online,
            running?.Offer.TrialId, running?.Offer.Attempt ?? 0, running?.Step ?? 0, Volatile.Read(ref _attemptsRun)));
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_online) await GoOfflineAsync();
    }

    /// <summary>Interrupts the running attempt (it reports Interrupted and is requeued) and stops heartbeating.</summary>
    private async Task GoOfflineAsync()
    {
        _online = false;
        var running = Volatile.Read(ref _running);
        if (running is not null)
        {
            running.Interrupted = true;
            running.Stop();
        }
        _loopStop?.Cancel();
        await Task.WhenAny(Task.WhenAll(_runTask, _loop), Task.Delay(_options.LeaseTimeout));
        try
        {
            await _slotMirror.SlotStateAsync(_key, SlotState.Offline, null);
        }
        catch (Exception ex)
        {
            LogMirrorFailed(logger, ex, _key);
        }
        _mirrorRegistered = false;
        _mirrored = null;
        LogStopped(logger, _key);
    }

    /// <summary>A consistent picture of the slot, numbered after every earlier one.</summary>
    private SlotHeartbeat Heartbeat()
    {
        lock (_gate)
        {
            _sequence = Math.Max(_sequence + 1, DateTime.UtcNow.Ticks);
            return new SlotHeartbeat(_key, _capacity!, _running?.Offer.TrialId, _running?.Offer.Attempt ?? 0,
                _sequence, _lastOffer?.TrialId, _lastOffer?.Attempt ?? 0);
        }
    }

    /// <summary>
    /// Every interval: one heartbeat to the scheduler and one to the running trial, each sent only
    /// when the previous one has returned, so a slow or unreachable grain never delays the other.
    /// </summary>
    private async Task HeartbeatLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.SlotHeartbeatInterval);
        Task poolBeat = Task.CompletedTask, trialBeat = Task.CompletedTask, mirrorBeat = Task.CompletedTask;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (_freeing || !_online) continue;
                var running = Volatile.Read(ref _running);
                if (running is not null && !running.Stalled && _clock.GetUtcNow() - running.LastActivity > _options.RunnerStallTimeout)
                {
                    // A hung runner: go silent so the lease runs out and the attempt moves elsewhere.
                    running.Stalled = true;
                    running.Stop();
                    LogStalled(logger, _key, running.Offer.TrialId, _options.RunnerStallTimeout);
                }
                if (running?.Stalled == true) continue;
                if (running is { Begun: true } && trialBeat.IsCompleted) trialBeat = BeatTrialAsync(running);
                if (poolBeat.IsCompleted) poolBeat = BeatPoolAsync();
                var mirror = MirrorState();
                if (mirrorBeat.IsCompleted && (_mirrored != mirror || _clock.GetUtcNow() - _mirroredAt >= ISlotMirror.RefreshInterval))
                    mirrorBeat = MirrorSlotAsync(mirror);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await mirrorBeat; // so the offline row written after the loop is the last word
    }

    private (SlotState State, string? TrialId) MirrorState() =>
        Volatile.Read(ref _running) is { } running ? (SlotState.Busy, running.Offer.TrialId) : (SlotState.Idle, null);

    /// <summary>Copies the slot's state to the mirror, registering it first when needed; a failure is logged and retried on the next beat.</summary>
    private async Task MirrorSlotAsync((SlotState State, string? TrialId) state)
    {
        try
        {
            if (!_mirrorRegistered)
            {
                await _slotMirror.SlotStartedAsync(_key, node.Value.Node, _capacity!);
                _mirrorRegistered = true;
            }
            await _slotMirror.SlotStateAsync(_key, state.State, state.TrialId);
            _mirrored = state;
            _mirroredAt = _clock.GetUtcNow();
        }
        catch (Exception ex)
        {
            _mirrorRegistered = false;
            _mirrored = null;
            LogMirrorFailed(logger, ex, _key);
        }
    }

    private async Task BeatPoolAsync()
    {
        try
        {
            await Scheduler.SlotHeartbeatAsync(Heartbeat());
        }
        catch (Exception ex)
        {
            LogHeartbeatFailed(logger, ex, _key);
        }
    }

    private async Task BeatTrialAsync(RunningAttempt running)
    {
        try
        {
            var reply = await grains.GetGrain<ITrialGrain>(running.Offer.TrialId).HeartbeatAsync(
                new AttemptHeartbeat(_key, running.Offer.Attempt, running.Step, running.TotalSteps));
            if (reply == HeartbeatReply.Stop) running.Stop();
        }
        catch (Exception ex)
        {
            LogHeartbeatFailed(logger, ex, _key);
        }
    }

    private async Task RunAttemptAsync(RunningAttempt running)
    {
        var trial = grains.GetGrain<ITrialGrain>(running.Offer.TrialId);
        TrialAssignment? assignment = null;
        try
        {
            assignment = await trial.BeginAttemptAsync(_key, running.Offer);
        }
        catch (Exception ex)
        {
            LogCallFailed(logger, ex, _key, running.Offer.TrialId);
        }

        var freedAt = _clock.GetUtcNow();
        if (assignment is not null)
        {
            running.Begin(assignment.ResumeStep, _clock.GetUtcNow());
            var outcome = await RunRunnerAsync(assignment, running);
            freedAt = _clock.GetUtcNow();
            await FlushMetricsAsync(assignment.Trial.TrialId); // a completed trial has all its metrics stored
            Interlocked.Increment(ref _attemptsRun);
            if (!running.Stalled)
            {
                var end = running.Interrupted ? AttemptEnd.Interrupted : outcome.Kind switch
                {
                    TrialOutcomeKind.Completed => AttemptEnd.Completed,
                    TrialOutcomeKind.Failed => AttemptEnd.Failed,
                    _ => AttemptEnd.Cancelled,
                };
                DsdrGrainMetrics.TrialEnded(end, NodeName);
                try
                {
                    var result = new AttemptResult(_key, assignment.Attempt, end, outcome.Error, outcome.FinalStep, outcome.Failure);
                    await RetryWhileSiloGoneAsync(() => trial.EndAttemptAsync(result), running.Offer.TrialId, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    LogCallFailed(logger, ex, _key, running.Offer.TrialId);
                }
            }
        }

        _freeing = true;
        try
        {
            lock (_gate) _running = null;
            var free = Heartbeat();
            if (_online) await Scheduler.SlotFreedAsync(free, freedAt);
        }
        catch (Exception ex)
        {
            LogCallFailed(logger, ex, _key, running.Offer.TrialId);
        }
        finally
        {
            _freeing = false;
        }
    }

    private async Task<TrialOutcome> RunRunnerAsync(TrialAssignment assignment, RunningAttempt running)
    {
        var sweep = grains.GetGrain<ISweepGrain>(assignment.Trial.SweepId);
        EarlyStoppingSpec? rules = null;
        try
        {
            rules = await sweep.GetEarlyStoppingAsync();
        }
        catch (Exception ex)
        {
            LogCallFailed(logger, ex, _key, assignment.Trial.TrialId); // the trial runs on, unwatched
        }
        var reporter = new Reporter(this, running, grains.GetGrain<ITrialGrain>(assignment.Trial.TrialId), rules is null ? null : new EarlyStoppingWatch(rules, sweep));
        try
        {
            return await _runner.RunAsync(assignment, reporter, running.Token);
        }
        catch (OperationCanceledException) when (running.Token.IsCancellationRequested)
        {
            return TrialOutcome.Cancelled(running.Step);
        }
        catch (Exception ex)
        {
            LogRunnerFailed(logger, ex, _key, assignment.Trial.TrialId);
            return TrialOutcome.Failed(running.Step, AttemptFailure.Classify(ex));
        }
    }

    /// <summary>
    /// A call to another grain (all idempotent: checkpoint, rollout group, end of attempt), retried while it is rejected
    /// because the silo that hosted that grain has just died: once membership declares the silo dead the grain is placed
    /// anew and the call goes through. Without this, one dead worker fails the healthy trials that report to grains it hosted.
    /// Gives up after <see cref="DsdrSchedulingOptions.LeaseTimeout"/>, by which time the lease logic takes over anyway.
    /// </summary>
    private async Task RetryWhileSiloGoneAsync(Func<Task> call, string trialId, CancellationToken cancellationToken)
    {
        var deadline = _clock.GetUtcNow() + _options.LeaseTimeout;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await call();
                return;
            }
            // Rejected for want of a silo, timed out, or cancelled inside Orleans while it re-placed the grain (not by us).
            catch (Exception ex) when (ex is OrleansMessageRejectionException or TimeoutException or OperationCanceledException
                                       && _clock.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
            {
                LogCallRetried(logger, ex.Message, _key, trialId, delay);
                Volatile.Read(ref _running)?.Touch(_clock.GetUtcNow()); // waiting on the cluster is not a stalled runner
                await Task.Delay(delay, _clock, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    private async Task FlushMetricsAsync(string trialId)
    {
        try
        {
            await _metrics.FlushAsync();
        }
        catch (Exception ex)
        {
            LogCallFailed(logger, ex, _key, trialId);
        }
    }

    /// <summary>The attempt this slot holds, shared between grain turns and the background tasks.</summary>
    private sealed class RunningAttempt(TrialOffer offer, DateTimeOffset now)
    {
        private readonly CancellationTokenSource _cts = new();
        private long _lastActivityTicks = now.UtcTicks;
        private volatile int _step;
        private volatile int _totalSteps;

        public TrialOffer Offer { get; } = offer;
        public CancellationToken Token => _cts.Token;
        public volatile bool Begun;
        public volatile bool Stalled;
        public volatile bool Interrupted;
        public int Step => _step;
        public int TotalSteps => _totalSteps;
        public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastActivityTicks), TimeSpan.Zero);

        public void Begin(int resumeStep, DateTimeOffset now)
        {
            _step = resumeStep;
            Touch(now);
            Begun = true;
        }

        public void Progress(int step, int totalSteps, DateTimeOffset now)
        {
            _step = step;
            _totalSteps = totalSteps;
            Touch(now);
        }

        public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastActivityTicks, now.UtcTicks);

        public void Stop()
        {
            try { _cts.Cancel(); }
            catch (ObjectDisposedException) { }
        }
    }

    private void LogWatchFailed(Exception ex, string trialId) => LogCallFailed(logger, ex, _key, trialId);

    /// <summary>The sweep's early-stopping rules, and the sweep that applies them.</summary>
    private sealed record EarlyStoppingWatch(EarlyStoppingSpec Rules, ISweepGrain Sweep);

    private sealed class Reporter(LearnerSlotGrain slot, RunningAttempt running, ITrialGrain trial, EarlyStoppingWatch? watch) : ITrialReporter
    {
        /// <summary>
        /// Passes the values the sweep's rules watch at <paramref name="step"/> on to the sweep; when a rule rejects the
        /// trial, stops it (the trial ends "stopped", then the attempt stops at its next step through the cancel path).
        /// A failed call leaves the trial running (early stopping never fails a trial).
        /// </summary>
        private async ValueTask WatchAsync(int step, IEnumerable<KeyValuePair<string, double>> values)
        {
            if (watch is null) return;
            var names = EarlyStoppingBook.WatchedAt(watch.Rules, step);
            if (names.Count == 0) return;
            var watched = values.Where(kv => names.Contains(kv.Key)).ToImmutableDictionary();
            if (watched.IsEmpty) return;
            try
            {
                if (await watch.Sweep.ObserveAsync(running.Offer.TrialId, step, watched) is { } reason)
                {
                    // the trial is stopped before the attempt ends, so its end is read as the stop, not as a lost attempt
                    await slot.RetryWhileSiloGoneAsync(() => trial.StopAsync(reason), running.Offer.TrialId, CancellationToken.None);
                    running.Stop();
                }
            }
            catch (Exception ex)
            {
                slot.LogWatchFailed(ex, running.Offer.TrialId);
            }
            running.Touch(slot._clock.GetUtcNow());
        }

        public string SlotKey => slot._key;

        public ValueTask ReportStepAsync(int step, int totalSteps)
        {
            DsdrGrainMetrics.StepsCompleted(step - running.Step, slot.NodeName);
            running.Progress(step, totalSteps, slot._clock.GetUtcNow());
            return ValueTask.CompletedTask;
        }

        public ValueTask HeartbeatAsync()
        {
            running.Touch(slot._clock.GetUtcNow());
            return ValueTask.CompletedTask;
        }

        public async ValueTask ReportMetricsAsync(int step, IReadOnlyDictionary<string, double> metrics)
        {
            running.Touch(slot._clock.GetUtcNow());
            await slot._metrics.WriteAsync(running.Offer.TrialId, step, metrics);
            await WatchAsync(step, metrics);
        }

        public async ValueTask ReportEvalFiguresAsync(int step, IReadOnlyList<EvalFigureValue> figures)
        {
            running.Touch(slot._clock.GetUtcNow());
            await slot._metrics.WriteEvalFiguresAsync(running.Offer.TrialId, step, figures);
            await WatchAsync(step, figures.Select(f => KeyValuePair.Create(f.Key.MetricName, f.Value)));
        }

        public ValueTask ReportEvalProblemsAsync(int step, IReadOnlyList<ProblemEvalOutcome> problems)
        {
            running.Touch(slot._clock.GetUtcNow());
            return slot._metrics.WriteEvalProblemsAsync(running.Offer.TrialId, step, problems);
        }

        public async Task ReportRolloutGroupAsync(RolloutGroupRecord group)
        {
            if (group.TrialId != running.Offer.TrialId)
                throw new ArgumentException($"Slot {slot._key} runs trial {running.Offer.TrialId} but was given a rollout group of trial {group.TrialId}.", nameof(group));
            running.Touch(slot._clock.GetUtcNow());
            var grain = slot.Grains.GetGrain<IRolloutGroupGrain>(GrainKeys.RolloutGroup(group.TrialId, group.Step, group.ProblemKey));
            await slot.RetryWhileSiloGoneAsync(() => grain.RecordAsync(group), group.TrialId, running.Token);
            running.Touch(slot._clock.GetUtcNow());
        }

        public async Task ReportCheckpointAsync(string path, int step)
        {
            running.Touch(slot._clock.GetUtcNow());
            // Metrics up to the checkpoint must be durable before a resume may skip their steps.
            await slot._metrics.FlushAsync();
            running.Touch(slot._clock.GetUtcNow());
            var reply = HeartbeatReply.Continue;
            await slot.RetryWhileSiloGoneAsync(async () => reply = await trial.RecordCheckpointAsync(slot._key, running.Offer.Attempt, path, step),
                running.Offer.TrialId, running.Token);
            if (reply == HeartbeatReply.Stop) running.Stop();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Slot {Slot} online ({Device}, {MemoryGiB} GiB)")]
    private static partial void LogStarted(ILogger logger, string slot, DeviceKind device, double memoryGiB);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slot {Slot} offline")]
    private static partial void LogStopped(ILogger logger, string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot}: runner of trial {Trial} reported nothing for {Timeout}; going silent so the attempt moves elsewhere")]
    private static partial void LogStalled(ILogger logger, string slot, string trial, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot}: copying its state to the slot mirror failed; retrying on its next heartbeat")]
    private static partial void LogMirrorFailed(ILogger logger, Exception exception, string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot}: heartbeat failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot}: call about trial {Trial} failed")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string slot, string trial);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot}: call about trial {Trial} rejected ({Reason}); retrying in {Delay}")]
    private static partial void LogCallRetried(ILogger logger, string reason, string slot, string trial, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slot {Slot}: runner failed on trial {Trial}")]
    private static partial void LogRunnerFailed(ILogger logger, Exception exception, string slot, string trial);
}
