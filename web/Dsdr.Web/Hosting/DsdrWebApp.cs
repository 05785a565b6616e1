using Dsdr.Web.Components;
using MudBlazor.Services;

namespace Dsdr.Web.Hosting;

/// <summary>The web host: REST API, OpenAPI reference and the Blazor dashboard (and, in single-node mode, the silo).</summary>
public static class DsdrWebApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var app = Build(args);
        await app.RunAsync();
        return 0;
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        var app = builder.Build();
        app.UseStaticFiles();
        app.UseAntiforgery();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
