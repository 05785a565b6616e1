using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Microsoft.OpenApi;

namespace Dsdr.Web.Api;

/// <summary>
/// The OpenAPI schema of a sweep spec's task, arms, base overrides and grid, from Core's registries and hyper-parameter table:
/// the task kind enum is <see cref="TaskFamilies.Registry"/>'s names, the arm enum <see cref="ArmPresets.Names"/>, each
/// choice setting's enum its registry's (or enum's) names.
/// </summary>
public static class SweepSpecSchema
{
    /// <summary>Fills the properties of the <see cref="DsdrApi.SweepSpecDocument"/> schema that its record types leave open.</summary>
    public static void Describe(OpenApiSchema schema)
    {
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["arms"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            Description = "Arm names, in the order the result table lists them.",
            Items = new OpenApiSchema { Type = JsonSchemaType.String, Enum = Strings(ArmPresets.Names) },
        };
        schema.Properties["task"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "The task family and its settings: " +
                string.Join("; ", TaskFamilies.Registry.All.Select(f => $"{f.Name} takes {string.Join(", ", f.Properties.Skip(1))}")) + ".",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["kind"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = Strings(TaskFamilies.Registry.Names) },
            },
            Required = new HashSet<string> { "kind" },
        };
        schema.Properties["base"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Hyper-parameter overrides for every trial (an arm's pinned settings win).",
            Properties = HyperParameters.InSpecs.ToDictionary(p => p.Name, p => (IOpenApiSchema)ValueSchema(p)),
            AdditionalPropertiesAllowed = false,
        };
        schema.Properties["grid"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Grid axes: a hyper-parameter and its values; the trials are the product of the axes.",
            Properties = HyperParameters.InSpecs.ToDictionary(p => p.Name,
                p => (IOpenApiSchema)new OpenApiSchema { Type = JsonSchemaType.Array, Items = ValueSchema(p) }),
            AdditionalPropertiesAllowed = false,
        };
        var range = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["min"] = new OpenApiSchema { Type = JsonSchemaType.Number },
                ["max"] = new OpenApiSchema { Type = JsonSchemaType.Number },
                ["scale"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = Strings(["linear", "log"]) },
            },
            AdditionalPropertiesAllowed = false,
        };
        schema.Properties["search"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Random or Sobol points over continuous ranges (log: log-uniform, min > 0), `trials` of them (the budget) per arm " +
                          "and grid point, drawn reproducibly from `seed`; values keep 4 significant digits.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["method"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = Strings(["random", "sobol"]) },
                ["trials"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                ["seed"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
                ["space"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = HyperParameters.InSpecs.Where(p => p.Type == HyperType.Number).ToDictionary(p => p.Name, _ => (IOpenApiSchema)range),
                    AdditionalPropertiesAllowed = false,
                },
            },
            AdditionalPropertiesAllowed = false,
        };
        var metric = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "An evaluation figure \"eval/<benchmark>/<metric>[@k]\" of the task's benchmarks, or a step metric: " +
                          string.Join(", ", EarlyStoppingMetrics.TrainMetrics) + ".",
        };
        schema.Properties["earlyStopping"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Rules that stop hopeless trials; a stopped trial ends \"stopped\", keeps its last checkpoint and records why.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["asha"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Asynchronous successive halving: a trial reaching a rung goes on only while it is in the top 1/reductionFactor " +
                                  "of the trials that reached that rung so far. Rungs lie below the trials' total steps (at evaluation steps for an evaluation figure).",
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["metric"] = metric,
                        ["rungs"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" } },
                        ["reductionFactor"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "2", Default = JsonValue.Create(3) },
                        ["maximize"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Default = JsonValue.Create(true) },
                    },
                    Required = new HashSet<string> { "metric", "rungs" },
                    AdditionalPropertiesAllowed = false,
                },
                ["diversityCollapse"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Stops a trial whose diversity metric (eval/<benchmark>/" + string.Join("|", EarlyStoppingMetrics.DiversityEvalMetrics) +
                                  ", or entropy) stays below fraction × its own backbone (step-0) value for patience evaluations in a row.",
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["metric"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["fraction"] = new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "0", Maximum = "1", Description = "in (0, 1): both ends excluded" },
                        ["patience"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Default = JsonValue.Create(2) },
                    },
                    Required = new HashSet<string> { "metric", "fraction" },
                    AdditionalPropertiesAllowed = false,
                },
            },
            AdditionalPropertiesAllowed = false,
        };
    }

    /// <summary>The JSON schema of one hyper-parameter's value.</summary>
    public static OpenApiSchema ValueSchema(HyperParameter parameter) => parameter.Type switch
    {
        HyperType.Number => new OpenApiSchema { Type = JsonSchemaType.Number },
        HyperType.NullableNumber => new OpenApiSchema { Type = JsonSchemaType.Number | JsonSchemaType.Null },
        HyperType.Integer => new OpenApiSchema { Type = JsonSchemaType.Integer },
        HyperType.Boolean => new OpenApiSchema { Type = JsonSchemaType.Boolean },
        _ => new OpenApiSchema { Type = JsonSchemaType.String, Enum = Strings(parameter.Choices) },
    };

    private static List<JsonNode> Strings(IEnumerable<string> names) => [.. names.Select(n => (JsonNode)JsonValue.Create(n))];
}
