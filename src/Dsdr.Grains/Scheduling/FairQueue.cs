using Dsdr.Contracts;

namespace Dsdr.Grains.Scheduling;

/// <summary>
/// The queue of runnable trials. Higher priority first; within a priority, sweeps take turns
/// (round-robin; a sweep that just arrived takes the next turn); within a sweep, first in first out among the trials a slot can run. A trial
/// re-queued after a lost or failed attempt goes to the front of its sweep's lane; a fresh trial
/// takes its place by its index in the sweep, so trials initialised concurrently still run in
/// submission order.
/// </summary>
public sealed class FairQueue
{
    private sealed class Lane(string sweepId)
    {
        public string SweepId { get; } = sweepId;
        public LinkedList<QueuedTrial> Trials { get; } = new();
    }

    private sealed class Band
    {
        public LinkedList<Lane> Rotation { get; } = new();
        public Dictionary<string, LinkedListNode<Lane>> Lanes { get; } = new(StringComparer.Ordinal);
    }

    private readonly SortedDictionary<int, Band> _bands = new(Comparer<int>.Create((a, b) => b.CompareTo(a)));
    private readonly Dictionary<string, (Band Band, LinkedListNode<Lane> Lane, LinkedListNode<QueuedTrial> Node)> _index = new(StringComparer.Ordinal);

    public int Count => _index.Count;

    public bool Contains(string trialId) => _index.ContainsKey(trialId);

    public QueuedTrial? Find(string trialId) => _index.TryGetValue(trialId, out var at) ? at.Node.Value : null;

    /// <summary>Adds a trial (replacing a queued entry of the same trial) at the back of its lane, or the front.</summary>
    public void Enqueue(QueuedTrial trial, bool atFront = false)
    {
        Remove(trial.TrialId);
        if (!_bands.TryGetValue(trial.Priority, out var band))
            _bands[trial.Priority] = band = new Band();
        if (!band.Lanes.TryGetValue(trial.SweepId, out var lane))
            band.Lanes[trial.SweepId] = lane = band.Rotation.AddFirst(new Lane(trial.SweepId)); // a sweep with no turn yet goes first
        var trials = lane.Value.Trials;
        LinkedListNode<QueuedTrial> node;
        if (atFront) node = trials.AddFirst(trial);
        else
        {
            var after = trials.Last;
            while (after is not null && after.Value.Attempt == 1 && trial.Attempt == 1 && after.Value.IndexInSweep > trial.IndexInSweep)
                after = after.Previous;
            node = after is null ? trials.AddFirst(trial) : trials.AddAfter(after, trial);
        }
        _index[trial.TrialId] = (band, lane, node);
    }

    public bool Remove(string trialId)
    {
        if (!_index.Remove(trialId, out var at)) return false;
        at.Lane.Value.Trials.Remove(at.Node);
        DropIfEmpty(at.Band, at.Lane);
        return true;
    }

    /// <summary>
    /// Takes the next trial in fair order that <paramref name="canRun"/> accepts, and moves its
    /// sweep to the back of its priority's rotation. Null when no queued trial can run.
    /// </summary>
    public QueuedTrial? TakeNext(Func<QueuedTrial, bool> canRun)
    {
        foreach (var band in _bands.Values)
        {
            for (var lane = band.Rotation.First; lane is not null; lane = lane.Next)
            {
                for (var node = lane.Value.Trials.First; node is not null; node = node.Next)
                {
                    if (!canRun(node.Value)) continue;
                    var trial = node.Value;
                    _index.Remove(trial.TrialId);
                    lane.Value.Trials.Remove(node);
                    if (!DropIfEmpty(band, lane))
                    {
                        band.Rotation.Remove(lane);
                        band.Rotation.AddLast(lane);
                    }
                    return trial;
                }
            }
        }
        return null;
    }

    /// <summary>Every queued trial in the order <see cref="TakeNext"/> would consider them with no constraint.</summary>
    public IEnumerable<QueuedTrial> InOrder() =>
        _bands.Values.SelectMany(band => band.Rotation.SelectMany(lane => lane.Trials));

    public IReadOnlyDictionary<string, int> CountBySweep() =>
        _index.Values.GroupBy(at => at.Lane.Value.SweepId).ToDictionary(g => g.Key, g => g.Count());

    private static bool DropIfEmpty(Band band, LinkedListNode<Lane> lane)
    {
        if (lane.Value.Trials.Count > 0) return false;
        band.Rotation.Remove(lane);
        band.Lanes.Remove(lane.Value.SweepId);
        return true;
    }
}
