using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Web.Hosting;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Dsdr.Web.Api;

/// <summary>JSON of the API: camelCase (web defaults), enums as camelCase strings.</summary>
public static class ApiJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    }

    /// <summary>Options that read the API's answers (clients, tests).</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        return options;
    }
}

public static class DsdrOpenApi
{
    public const string SecuritySchemeName = "ApiKey";

    /// <summary>
    /// The OpenAPI document at /openapi/v1.json, with the API key as a security scheme (header X-Api-Key) required by the
    /// POST operations, the sweep spec's arm and choice enums from Core's registries (<see cref="SweepSpecSchema"/>), and
    /// the exception handler that turns errors into problem details.
    /// </summary>
    public static IServiceCollection AddDsdrOpenApi(this IServiceCollection services)
    {
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Dsdr API";
                document.Info.Description = "Sweeps, trials, the learner-slot pool and problems of the Dsdr platform. " +
                    $"POST routes need the API key in the {DsdrWebOptions.ApiKeyHeader} header; every error is a problem-details document.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = DsdrWebOptions.ApiKeyHeader,
                    Description = $"The platform's API key ({DsdrWebOptions.ApiKeyKey}).",
                };
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(DsdrApi.SweepSpecDocument)) SweepSpecSchema.Describe(schema);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.HttpMethod == "POST")
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(SecuritySchemeName, context.Document)] = [],
                    });
                }
                return Task.CompletedTask;
            });
        });
        return services;
    }
}
