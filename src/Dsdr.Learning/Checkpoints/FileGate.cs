namespace Dsdr.Learning.Checkpoints;

/// <summary>Cross-process mutual exclusion on a shared folder: an exclusive lock on a file (flock on Unix).</summary>
public static class FileGate
{
    /// <summary>Waits, honouring <paramref name="ct"/>, until this caller holds the lock; dispose the stream to release it.</summary>
    public static FileStream Acquire(string path, CancellationToken ct)
    {
        var wait = 100;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                // backing off to 1 s: several trials waiting for one backbone (a minute or more) should not spin
                ct.WaitHandle.WaitOne(wait);
                wait = Math.Min(wait * 2, 1000);
            }
        }
    }

    /// <summary>Writes <paramref name="text"/> to a temporary file beside <paramref name="path"/>, then renames it: readers see all or nothing.</summary>
    public static void WriteAtomically(string path, string text)
    {
        var temporary = $"{path}.tmp-{Guid.NewGuid():N}";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
