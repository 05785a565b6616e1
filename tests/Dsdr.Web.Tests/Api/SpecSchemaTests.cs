using System.Net;
using System.Text.Json;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;

namespace Dsdr.Web.Tests.Api;

/// <summary>The OpenAPI document's sweep-spec enums are Core's registries, not lists of their own.</summary>
[Collection(WebApiCollection.Name)]
public sealed class SpecSchemaTests(WebApiFixture web)
{
    private static List<string> Enum(JsonElement schema) => schema.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).ToList();

    [Fact]
    public async Task The_sweep_spec_schema_lists_the_registered_arms_and_every_choice_setting_s_names()
    {
        using var client = web.Client(withKey: false);
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.ReadJsonAsync();
        var spec = document.GetProperty("components").GetProperty("schemas").GetProperty("SweepSpecDocument").GetProperty("properties");

        Assert.Equal(ArmPresets.Names, Enum(spec.GetProperty("arms").GetProperty("items")));
        Assert.Equal(TaskFamilies.Registry.Names, Enum(spec.GetProperty("task").GetProperty("properties").GetProperty("kind")));
        var settings = spec.GetProperty("base").GetProperty("properties");
        Assert.Equal(MethodRegistries.AdvantageEstimators.Names, Enum(settings.GetProperty("advantageEstimator")));
        Assert.Equal(MethodRegistries.PolicyLosses.Names, Enum(settings.GetProperty("policyLoss")));
        Assert.Equal(MethodRegistries.LossAggregations.Names, Enum(settings.GetProperty("lossAggregation")));
        Assert.Equal(MethodRegistries.EntropyTerms.Names, Enum(settings.GetProperty("entropyTerm")));
        Assert.Equal(["k1", "k2", "k3"], Enum(settings.GetProperty("klEstimator")));
        Assert.Equal(HyperParameters.InSpecs.Select(p => p.Name), settings.EnumerateObject().Select(p => p.Name));
        Assert.False(settings.TryGetProperty("seed", out _));
        var grid = spec.GetProperty("grid").GetProperty("properties");
        Assert.Equal(MethodRegistries.PolicyLosses.Names, Enum(grid.GetProperty("policyLoss").GetProperty("items")));
    }
}
