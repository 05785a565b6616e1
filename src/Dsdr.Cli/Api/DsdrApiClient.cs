using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Dsdr.Cli.Api;

/// <summary>
/// The REST API of a running platform (<c>dsdr serve</c>, <c>dsdr demo</c>, Dsdr.Web) as the CLI uses it. Errors come
/// back as <see cref="CliInputException"/> (the server refused the request: one line per ProblemDetails error) or
/// <see cref="CliUnavailableException"/> (no server answered, or it failed).
/// </summary>
internal sealed class DsdrApiClient(HttpClient http, Uri baseAddress, string? apiKey)
{
    public const string DefaultUrl = "http://localhost:5080";
    public const string ApiKeyHeader = "X-Api-Key";
    public const string ApiKeyEnvironmentVariable = "Dsdr__ApiKey";

    public Uri BaseAddress => baseAddress;

    /// <summary>POST /api/sweeps with the spec as the JSON body; the answer's JSON.</summary>
    public Task<JsonElement> SubmitAsync(string specJson, CancellationToken ct) =>
        SendJsonAsync(HttpMethod.Post, "api/sweeps", new StringContent(specJson, Encoding.UTF8, "application/json"), ct);

    /// <summary>GET /api/sweeps/{id}: the sweep with its trials.</summary>
    public Task<JsonElement> GetSweepAsync(string sweepId, CancellationToken ct) =>
        SendJsonAsync(HttpMethod.Get, $"api/sweeps/{Uri.EscapeDataString(sweepId)}", null, ct);

    /// <summary>POST /api/sweeps/{id}/cancel.</summary>
    public Task<JsonElement> CancelAsync(string sweepId, CancellationToken ct) =>
        SendJsonAsync(HttpMethod.Post, $"api/sweeps/{Uri.EscapeDataString(sweepId)}/cancel", null, ct);

    /// <summary>GET /api/sweeps/{id}/results?format=&amp;metric=…&amp;reference=…: the table as the server renders it.</summary>
    public async Task<string> GetResultsAsync(string sweepId, string format, IReadOnlyList<string> metrics, CancellationToken ct, string? reference = null)
    {
        var query = new StringBuilder($"?format={Uri.EscapeDataString(format)}");
        if (metrics.Count > 0) query.Append("&metric=").Append(Uri.EscapeDataString(string.Join(',', metrics)));
        if (reference is not null) query.Append("&reference=").Append(Uri.EscapeDataString(reference));
        using var response = await SendAsync(HttpMethod.Get, $"api/sweeps/{Uri.EscapeDataString(sweepId)}/results{query}", null, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    /// <summary>GET /api/sweeps/{id}/report?metric=…&amp;step=…&amp;reference=…: the report's JSON document.</summary>
    public async Task<string> GetReportAsync(string sweepId, IReadOnlyList<string> metrics, string? step, string? reference, CancellationToken ct)
    {
        var query = new List<string>();
        if (metrics.Count > 0) query.Add("metric=" + Uri.EscapeDataString(string.Join(',', metrics)));
        if (step is not null) query.Add("step=" + Uri.EscapeDataString(step));
        if (reference is not null) query.Add("reference=" + Uri.EscapeDataString(reference));
        var path = $"api/sweeps/{Uri.EscapeDataString(sweepId)}/report" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        using var response = await SendAsync(HttpMethod.Get, path, null, ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    /// <summary>GET /api/sweeps/{id}/coverage: the solution-coverage ledger.</summary>
    public Task<JsonElement> GetCoverageAsync(string sweepId, CancellationToken ct) =>
        SendJsonAsync(HttpMethod.Get, $"api/sweeps/{Uri.EscapeDataString(sweepId)}/coverage", null, ct);

    /// <summary>GET /api/sweeps/{id}/export?format=csv|parquet: the zip of the sweep's trials, metrics, evals and eval_problems.</summary>
    public async Task<byte[]> GetExportAsync(string sweepId, string format, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, $"api/sweeps/{Uri.EscapeDataString(sweepId)}/export?format={Uri.EscapeDataString(format)}", null, ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    private async Task<JsonElement> SendJsonAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendAsync(method, path, content, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliUnavailableException($"{method} {new Uri(baseAddress, path)} answered {(int)response.StatusCode} with something that is not JSON; is {baseAddress} a Dsdr API?");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        var uri = new Uri(baseAddress, path);
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Add(ApiKeyHeader, apiKey);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliUnavailableException(
                $"cannot reach the Dsdr API at {baseAddress} ({e.Message}). Start the platform with 'dsdr serve' (or 'dsdr demo'), or point --api at a running one.");
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CliUnavailableException($"the Dsdr API at {baseAddress} did not answer in time ({e.Message}).");
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var lines = ProblemLines(body);
            var status = (int)response.StatusCode;
            if (lines.Count == 0) lines = [$"{method} {uri.AbsolutePath} answered {status} {response.ReasonPhrase}"];
            if (response.StatusCode == HttpStatusCode.Unauthorized || response.StatusCode == HttpStatusCode.Forbidden)
                lines = [.. lines, $"give the platform's API key with --api-key or the {ApiKeyEnvironmentVariable} environment variable ('dsdr key --data-dir DIR' prints a single node's saved key)."];
            var message = string.Join(Environment.NewLine + "dsdr: ", lines);
            throw status >= 500 ? new CliUnavailableException(message) : new CliInputException(message);
        }
    }

    /// <summary>
    /// One line per error of an RFC 7807 ProblemDetails body: "key: message" for each entry of <c>errors</c>
    /// (ValidationProblemDetails), else the detail (or title). Empty when the body is not a problem.
    /// </summary>
    internal static IReadOnlyList<string> ProblemLines(string body)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            return string.IsNullOrWhiteSpace(body) ? [] : [body.Trim().ReplaceLineEndings(" ")];
        }
        if (root.ValueKind != JsonValueKind.Object) return [];
        var lines = new List<string>();
        if (root.TryGetProperty("errors", out var errors))
        {
            if (errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in errors.EnumerateObject())
                {
                    var messages = entry.Value.ValueKind == JsonValueKind.Array
                        ? entry.Value.EnumerateArray().Select(m => m.ToString())
                        : [entry.Value.ToString()];
                    foreach (var message in messages)
                        lines.Add(string.IsNullOrEmpty(entry.Name) ? message : $"{entry.Name}: {message}");
                }
            }
            else if (errors.ValueKind == JsonValueKind.Array)
                lines.AddRange(errors.EnumerateArray().Select(ErrorText));
        }
        if (lines.Count == 0)
        {
            var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var title = root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var parameter = root.TryGetProperty("parameter", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            if (!string.IsNullOrWhiteSpace(detail)) lines.Add(parameter is null ? detail! : $"{parameter}: {detail}");
            else if (!string.IsNullOrWhiteSpace(title)) lines.Add(title!);
        }
        return lines;
    }

    // an error given as an object {path, message} (or {path, reason}) or as a plain string
    private static string ErrorText(JsonElement error)
    {
        if (error.ValueKind != JsonValueKind.Object) return error.ToString();
        string? Get(string name) => error.EnumerateObject().FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value is
            { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
        var path = Get("path");
        var message = Get("message") ?? Get("reason") ?? error.ToString();
        return path is null ? message : $"{path}: {message}";
    }
}
