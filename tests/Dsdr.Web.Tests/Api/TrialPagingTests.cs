using System.Net;
using System.Text.Json;
using Dsdr.Web.Services;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>GET /api/sweeps/{id} answers one page of trials (?page, ?pageSize, documented in OpenAPI), never the whole list of a large sweep.</summary>
[Collection(WebApiCollection.Name)]
public sealed class TrialPagingTests(WebApiFixture web)
{
    [Fact]
    public async Task Trials_come_a_page_at_a_time_and_the_pages_cover_the_sweep_once()
    {
        using var client = web.Client();
        var name = $"paged-{Guid.NewGuid():N}"[..14];
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(Spec(name, steps: 4, evalEvery: 2, seeds: "0, 1, 2")))).StatusCode);

        var first = await (await client.GetAsync($"/api/sweeps/{name}?pageSize=4")).ReadAsync<SweepDetails>();
        var second = await (await client.GetAsync($"/api/sweeps/{name}?page=2&pageSize=4")).ReadAsync<SweepDetails>();
        var beyond = await (await client.GetAsync($"/api/sweeps/{name}?page=3&pageSize=4")).ReadAsync<SweepDetails>();
        var whole = await (await client.GetAsync($"/api/sweeps/{name}")).ReadAsync<SweepDetails>();
        Assert.Equal((4, 2, 0, 6), (first.Trials.Count, second.Trials.Count, beyond.Trials.Count, whole.Trials.Count));
        Assert.Equal(new TrialsPageInfo(1, 4, 6), first.TrialsPage);
        Assert.Equal(2, first.TrialsPage!.Pages);
        Assert.Equal(new TrialsPageInfo(1, TrialsPageInfo.DefaultSize, 6), whole.TrialsPage);
        Assert.Equal(whole.Trials.Select(t => t.TrialId), first.Trials.Concat(second.Trials).Select(t => t.TrialId)); // in order, each once
        Assert.Equal(6, first.Sweep.Trials); // the counts are the whole sweep's

        foreach (var (query, parameter) in new[] { ("page=0", "page"), ("pageSize=1001", "pageSize"), ("pageSize=x", "pageSize"), ("page=-1", "page") })
        {
            var response = await client.GetAsync($"/api/sweeps/{name}?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(parameter, await response.Content.ReadAsStringAsync());
        }

        using var openApi = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var parameters = openApi.RootElement.GetProperty("paths").GetProperty("/api/sweeps/{id}").GetProperty("get").GetProperty("parameters")
            .EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("page", parameters);
        Assert.Contains("pageSize", parameters);
    }
}
