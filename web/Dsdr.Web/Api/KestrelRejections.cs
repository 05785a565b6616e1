using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Dsdr.Web.Api;

/// <summary>
/// What Kestrel refuses before any middleware sees the request (a NUL decoded into the path, a malformed request line,
/// a request line or headers beyond its limits) it answers itself: a 4xx head with an empty body and "Connection: close",
/// the connection's last write. Kestrel has no hook for that answer, so each HTTP/1 connection's output passes through
/// here, and exactly that answer — an empty-bodied 4xx closing the connection, written in one piece — is rewritten into
/// a problem-details document with the same status. Every other byte passes unchanged (the application's own errors
/// always carry a body and a content type).
/// </summary>
public static class KestrelRejections
{
    private static readonly byte[] StatusLinePrefix = "HTTP/1.1 4"u8.ToArray();
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Adds the rewriting to every endpoint Kestrel listens on.</summary>
    public static void AnswerAsProblemDetails(KestrelServerOptions kestrel) =>
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection => PassThroughAsync(connection, next)));

    private static async Task PassThroughAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var transport = connection.Transport;
        var output = new Pipe(new PipeOptions(useSynchronizationContext: false));
        connection.Transport = new DuplexPipe(transport.Input, output.Writer);
        var pump = PumpAsync(output.Reader, transport.Output, connection.ConnectionClosed);
        try
        {
            await next(connection);
        }
        finally
        {
            await output.Writer.CompleteAsync();
            await pump;
            connection.Transport = transport;
        }
    }

    private static async Task PumpAsync(PipeReader from, PipeWriter to, CancellationToken closed)
    {
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(CancellationToken.None);
                var buffer = read.Buffer;
                if (!buffer.IsEmpty)
                {
                    if (Rejection(buffer) is { } rejection) to.Write(rejection);
                    else foreach (var segment in buffer) to.Write(segment.Span);
                    var flushed = await to.FlushAsync(closed);
                    if (flushed.IsCompleted || flushed.IsCanceled) break;
                }
                from.AdvanceTo(buffer.End);
                if (read.IsCompleted || read.IsCanceled) break;
            }
        }
        catch (Exception)
        {
            // the connection ended under us (the client went away, Kestrel aborted it): nothing is left to pass on
        }
        finally
        {
            await from.CompleteAsync();
        }
    }

    /// <summary>The problem-details answer for <paramref name="written"/> when it is Kestrel's own refusal; else null.</summary>
    public static byte[]? Rejection(ReadOnlySequence<byte> written)
    {
        if (written.Length > 4096 || written.Length < StatusLinePrefix.Length) return null;
        Span<byte> start = stackalloc byte[StatusLinePrefix.Length];
        written.Slice(0, StatusLinePrefix.Length).CopyTo(start);
        if (!start.SequenceEqual(StatusLinePrefix)) return null; // every other write: a response of the application, or body bytes
        var bytes = written.ToArray();
        if (!bytes.AsSpan().EndsWith(HeadEnd)) return null;
        var head = Encoding.ASCII.GetString(bytes, 0, bytes.Length - HeadEnd.Length);
        if (head.Contains("\r\n\r\n", StringComparison.Ordinal)) return null;
        var lines = head.Split("\r\n");
        var headers = lines[1..];
        bool Has(string header) => headers.Any(h => h.Equals(header, StringComparison.OrdinalIgnoreCase));
        if (!Has("Content-Length: 0") || !Has("Connection: close")
            || headers.Any(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))) return null;
        var statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !int.TryParse(statusLine[1], out var status)) return null;

        var (title, detail) = Explain(status);
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = TypeOf(status), ["title"] = title, ["status"] = status, ["detail"] = detail,
        });
        var answer = new StringBuilder();
        answer.Append(lines[0]).Append("\r\n");
        answer.Append("Content-Type: application/problem+json\r\n");
        answer.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        foreach (var header in headers.Where(h => !h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)))
            answer.Append(header).Append("\r\n");
        answer.Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(answer.ToString()), .. body];
    }

    private static (string Title, string Detail) Explain(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ("Malformed request",
            "The server refused the request before reading it: its request line or headers are malformed (for example a NUL, %00, " +
            "in the path, a control character, or an unknown HTTP version). Percent-encode the URL's special characters and send a valid HTTP/1.1 request."),
        StatusCodes.Status414UriTooLong => ("URL too long",
            $"The request line is longer than the server reads ({RequestLimits.KestrelRequestLineBytes / 1024} KiB). Send long inputs in a POST body, or ask for less."),
        StatusCodes.Status431RequestHeaderFieldsTooLarge => ("Request headers too large",
            $"The request's headers are larger than the server reads ({RequestLimits.KestrelHeaderBytes / 1024} KiB). Send fewer or shorter headers."),
        _ => ("Request refused", $"The server refused the request before reading it (HTTP {status})."),
    };

    private static string TypeOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        StatusCodes.Status414UriTooLong => "https://tools.ietf.org/html/rfc9110#section-15.5.15",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "https://tools.ietf.org/html/rfc6585#section-5",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.5",
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
