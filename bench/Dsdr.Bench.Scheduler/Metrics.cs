using Dsdr.Runner.Simulation;

namespace Dsdr.Bench.Scheduler;

/// <summary>
/// Figures of one run, from what every attempt did.
/// Utilisation = busy slot-time / available slot-time, where a slot is available while it is up
/// and either busy or idle while some trial waits in the queue (idle with nothing to run is not
/// the scheduler's loss). A slot is down from a device hang until its runner returns.
/// Makespan utilisation divides instead by every up slot's time from submission to the last end.
/// Assignment latency = runner start − ready time (the later of the trial's enqueue and the slot's free time);
/// the steady-state figures leave out attempts that became ready before the submission call returned.
/// </summary>
public sealed record RunFigures(
    string Name, int Attempts, int Completed, TimeSpan Makespan, double Utilisation, double MakespanUtilisation,
    double LatencyP50Ms, double LatencyP99Ms, double LatencyMaxMs, double SteadyP50Ms, double SteadyP99Ms, double BusySlotSeconds, double WastedSlotSeconds)
{
    public static RunFigures From(string name, IReadOnlyList<SimulatedAttempt> attempts, int slots, int completed, DateTimeOffset submittedAt, DateTimeOffset submissionReturnedAt)
    {
        var end = attempts.Max(a => a.EndedAt);
        var ms = (int)Math.Ceiling((end - submittedAt).TotalMilliseconds) + 2;
        var busy = new int[ms + 1];
        var down = new int[ms + 1];
        var waiting = new int[ms + 1];
        int At(DateTimeOffset t) => Math.Clamp((int)Math.Round((t - submittedAt).TotalMilliseconds), 0, ms);
        void Add(int[] diff, DateTimeOffset from, DateTimeOffset to)
        {
            int a = At(from), b = At(to);
            if (b <= a) return;
            diff[a]++;
            diff[b]--;
        }
        foreach (var a in attempts)
        {
            var hung = a.FaultAt is { } f && a.Outcome == "cancelled";
            Add(busy, a.StartedAt, hung ? a.FaultAt!.Value : a.EndedAt);
            if (hung) Add(down, a.FaultAt!.Value, a.EndedAt);
            Add(waiting, a.QueuedAt, a.StartedAt);
        }
        long busyMs = 0, wastedMs = 0, upMs = 0;
        int b = 0, d = 0, w = 0;
        for (var t = 0; t < ms; t++)
        {
            b += busy[t]; d += down[t]; w += waiting[t];
            var idleUp = Math.Max(0, slots - b - d);
            busyMs += b;
            upMs += slots - d;
            wastedMs += Math.Min(idleUp, w);
        }
        static double Latency(SimulatedAttempt a) => Math.Max(0, (a.StartedAt - a.ReadyAt).TotalMilliseconds);
        var latencies = attempts.Select(Latency).Order().ToArray();
        var steady = attempts.Where(a => a.ReadyAt >= submissionReturnedAt).Select(Latency).Order().ToArray();
        return new RunFigures(name, attempts.Count, completed, end - submittedAt,
            (double)busyMs / (busyMs + wastedMs), (double)busyMs / upMs,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1],
            Percentile(steady, 0.50), Percentile(steady, 0.99), busyMs / 1000.0, wastedMs / 1000.0);
    }

    private static double Percentile(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
}
