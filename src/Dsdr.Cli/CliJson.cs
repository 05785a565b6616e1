using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dsdr.Cli;

internal static class CliJson
{
    /// <summary>Compact JSON that keeps +, &lt;, &gt; and non-ASCII readable (output is for terminals and files, not HTML).</summary>
    public static JsonSerializerOptions Compact { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>As <see cref="Compact"/>, indented.</summary>
    public static JsonSerializerOptions Indented { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };
}
