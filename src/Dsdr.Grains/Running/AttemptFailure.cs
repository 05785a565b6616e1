using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dsdr.Contracts;
using Dsdr.Core.Failures;

namespace Dsdr.Grains.Running;

/// <summary>A failed attempt as the platform records it: whether retrying can help, and the message API callers see.</summary>
public sealed record ClassifiedFailure(FailureKind Kind, string PublicMessage);

/// <summary>
/// What the platform records of a failed attempt: the exception's type and first line, and where in Dsdr's code it was
/// raised: "ExternalException: Unknown scalar type. (at Dsdr.Learning.Model.Qwen2RmsNorm.forward, Qwen2ForCausalLM.cs:391)".
/// No native stack (libtorch puts one after the first line) and no folders; the node's log has the full exception.
/// </summary>
public static partial class AttemptFailure
{
    /// <summary>Room for our longest one-sentence message (the memory guard's, with its figures and the knobs to turn), not for a library's dump.</summary>
    public const int MaxMessage = 500;

    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var where = Where(exception);
        return $"{exception.GetType().Name}: {Shown(exception)}{(where is null ? "" : $" (at {where})")}";
    }

    /// <summary>
    /// Deterministic — it would fail again from the same spec on any node, so the trial fails at once with one sentence
    /// saying what happened and what to change: a <see cref="DeterministicFailureException"/> (divergence), a missing file
    /// (checkpoint, dataset), unreadable data, a refused configuration, exhausted memory (.NET's, or libtorch's CPU or CUDA allocator). Everything else (a device fault,
    /// a lost database or silo, a timeout, an unknown error) is infrastructure: <see cref="Describe"/>d and retried.
    /// Neither message carries folders or native frames; the node's log has the full exception.
    /// </summary>
    public static ClassifiedFailure Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var deterministic = exception switch
        {
            DeterministicFailureException e => FirstLine(e),
            FileNotFoundException e => $"A file the trial needs is missing ({FileNameOf(e.FileName, e)}); check the spec's dataset paths and model.checkpoint, and that the checkpoint folder is shared by every node.",
            DirectoryNotFoundException e => $"A folder the trial needs is missing ({Shown(e)}); check the spec's dataset paths and model.checkpoint, and that the checkpoint folder is shared by every node.",
            InvalidDataException or FormatException or JsonException => $"The trial's data could not be read ({Shown(exception)}); fix or replace the dataset or checkpoint it names.",
            ArgumentException e => $"The trial's configuration was refused ({Shown(e)}); correct that setting in the spec.",
            OutOfMemoryException or InsufficientMemoryException => OutOfMemory,
            System.Runtime.InteropServices.ExternalException e when IsNativeOutOfMemory(e) => OutOfMemory,
            _ => null,
        };
        return deterministic is null
            ? new ClassifiedFailure(FailureKind.Infrastructure, Describe(exception))
            : new ClassifiedFailure(FailureKind.Deterministic, deterministic);
    }

    private const string OutOfMemory =
        "The trial ran out of memory; lower base.groupSize, base.promptsPerStep or base.maxNewTokens (or turn on base.gradientCheckpointing), or raise resources.memoryGiB.";

    // libtorch's allocators: "CUDA out of memory. Tried to allocate …", "[enforce fail at alloc_cpu.cpp:…] DefaultCPUAllocator: can't allocate memory …"
    private static bool IsNativeOutOfMemory(Exception e) =>
        e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What callers see of an exception's message: its <see cref="FirstLine"/>; when Dsdr's code did not write it (the
    /// exception was raised in a library, or never thrown), every quoted span but a path is "…" as well — libraries quote
    /// what they were given ("The input string '…' was not in a correct format."), and that may be a line of a file.
    /// </summary>
    internal static string Shown(Exception exception) =>
        exception is DeterministicFailureException || RaisedInDsdr(exception) ? FirstLine(exception) : FirstLine(WithoutQuotedText(exception.Message));

    /// <summary>"value 'root:x:0:0' at '/srv/a.txt'" → "value '…' at '/srv/a.txt'": quoted text other than a lone absolute path becomes "…".</summary>
    internal static string WithoutQuotedText(string text) =>
        QuotedText().Replace(text, m => IsPath(m.Groups["text"].Value) ? m.Value : $"{m.Groups["quote"].Value}…{m.Groups["quote"].Value}");

    // a path alone, which WithoutFolders then cuts to its last name: absolute, no white space
    private static bool IsPath(string text) => Path.IsPathFullyQualified(text) && !text.Any(char.IsWhiteSpace);

    [GeneratedRegex(@"(?<!\w)(?<quote>['""`])(?<text>[^'""`\n]*)\k<quote>(?!\w)")]
    private static partial Regex QuotedText();

    // the innermost frame, where it was thrown, is Dsdr's own code (whose messages name fields, never file contents)
    private static bool RaisedInDsdr(Exception exception) =>
        new StackTrace(exception, fNeedFileInfo: false).GetFrames() is [var top, ..]
        && Owner(top)?.Namespace?.StartsWith("Dsdr.", StringComparison.Ordinal) == true;

    /// <summary>The message's first line, folders cut down to their last name, at most <see cref="MaxMessage"/> characters.</summary>
    internal static string FirstLine(Exception exception) => FirstLine(exception.Message);

    private static string FirstLine(string message)
    {
        var line = WithoutFolders(message.Split('\n', 2)[0].Trim());
        return line.Length > MaxMessage ? line[..MaxMessage] + "…" : line;
    }

    /// <summary>"/srv/dsdr/data/train.jsonl" → "train.jsonl": absolute paths (Unix or Windows) keep only their last name.</summary>
    internal static string WithoutFolders(string text) =>
        AbsolutePath().Replace(text, m => m.Groups["last"].Value is { Length: > 0 } last ? last : "…");

    private static string FileNameOf(string? path, Exception e) =>
        string.IsNullOrEmpty(path) ? FirstLine(e) : Path.GetFileName(path.TrimEnd('/', '\\')) is { Length: > 0 } name ? name : "…";

    // a '/' or 'C:\' not inside a word, a number ("3/10") or a URL ("http://"), then segments; the last segment is kept
    [GeneratedRegex(@"(?<![\w.:/\\])(?:[A-Za-z]:\\|/)(?:[^\s/\\'""`,;()\[\]]+[/\\])*(?<last>[^\s/\\'""`,;()\[\]]*)")]
    private static partial Regex AbsolutePath();

    /// <summary>The innermost frame in a Dsdr type (else the innermost frame at all), as "Type.Method, File.cs:line".</summary>
    internal static string? Where(Exception exception)
    {
        var frames = new StackTrace(exception, fNeedFileInfo: true).GetFrames();
        var frame = frames.FirstOrDefault(f => Owner(f)?.Namespace?.StartsWith("Dsdr.", StringComparison.Ordinal) == true)
            ?? frames.FirstOrDefault(f => f.GetMethod() is not null);
        if (frame?.GetMethod() is not { } method || Owner(frame) is not { } type) return null;
        var name = $"{type.FullName?.Replace('+', '.')}.{MethodName(method)}";
        return frame.GetFileName() is { } file ? $"{name}, {Path.GetFileName(file)}:{frame.GetFileLineNumber()}" : name;
    }

    // the user-written type: a lambda's or async state machine's declaring type is a compiler-made nested one ("<>c", "<RunAsync>d__3")
    private static Type? Owner(StackFrame frame)
    {
        var type = frame.GetMethod()?.DeclaringType;
        while (type is not null && type.Name.StartsWith('<') && type.DeclaringType is not null) type = type.DeclaringType;
        return type;
    }

    // a lambda "<Run>b__0" and an async state machine's "<RunAsync>d__3".MoveNext become the method they were written in
    private static string MethodName(System.Reflection.MethodBase method)
    {
        foreach (var name in new[] { method.Name, method.DeclaringType?.Name ?? "" })
            if (name.StartsWith('<') && name.IndexOf('>') is var close and > 1) return name[1..close];
        return method.Name;
    }
}
