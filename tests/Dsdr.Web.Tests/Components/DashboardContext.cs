using Bunit;
using Dsdr.Web.Components.Live;
using Dsdr.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Dsdr.Web.Tests.Components;

/// <summary>A bunit context with MudBlazor, the fake platform and a fast refresh timer.</summary>
public class DashboardContext : BunitContext, IAsyncLifetime
{
    public FakePlatform Platform { get; } = new();

    public DashboardContext(TimeSpan? refresh = null)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IDsdrPlatform>(Platform);
        Services.AddSingleton(new DashboardOptions(refresh ?? TimeSpan.FromHours(1)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that only dispose asynchronously
    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();
}
