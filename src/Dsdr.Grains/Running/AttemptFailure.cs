using System.Diagnostics;

namespace Dsdr.Grains.Running;

/// <summary>
/// What the platform records of a failed attempt: the exception's type and first line, and where in Dsdr's code it was
/// raised: "ExternalException: Unknown scalar type. (at Dsdr.Learning.Model.Qwen2RmsNorm.forward, Qwen2ForCausalLM.cs:391)".
/// No native stack (libtorch puts one after the first line) and no folders; the node's log has the full exception.
/// </summary>
public static class AttemptFailure
{
    private const int MaxMessage = 300;

    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var firstLine = exception.Message.Split('\n', 2)[0].Trim();
        if (firstLine.Length > MaxMessage) firstLine = firstLine[..MaxMessage] + "…";
        var where = Where(exception);
        return $"{exception.GetType().Name}: {firstLine}{(where is null ? "" : $" (at {where})")}";
    }

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
