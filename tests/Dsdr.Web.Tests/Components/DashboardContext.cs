using Bunit;
using Bunit.TestDoubles;
using Dsdr.Web.Components.Live;
using Dsdr.Web.Security;
using Dsdr.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Dsdr.Web.Tests.Components;

/// <summary>A bunit context with MudBlazor, the fake platform and the in-process change notifier the test publishes on.</summary>
public class DashboardContext : BunitContext, IAsyncLifetime
{
    public FakePlatform Platform { get; } = new();
    /// <summary>What the PostgreSQL feed publishes in the host; here the test does.</summary>
    public PlatformChanges Changes { get; } = new();
    public BunitAuthorizationContext Auth { get; }

    public DashboardContext(TimeSpan? minRenderInterval = null)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IDsdrPlatform>(Platform);
        Services.AddSingleton<IPlatformChanges>(Changes);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton(new DashboardOptions(minRenderInterval ?? TimeSpan.FromMilliseconds(20)));
        Auth = AddAuthorization();
        AsOperator(); // most tests act; the role tests say otherwise
    }

    /// <summary>No one signed in.</summary>
    public void AsAnonymous()
    {
        Auth.SetPolicies();
        Auth.SetRoles();
        Auth.SetNotAuthorized();
    }

    /// <summary>A signed-in viewer: reads, and the operator policy refuses it.</summary>
    public void AsViewer(string name = "vera")
    {
        Auth.SetAuthorized(name);
        Auth.SetRoles(DsdrRoles.Viewer);
        Auth.SetPolicies();
    }

    public void AsOperator(string name = "olga")
    {
        Auth.SetAuthorized(name);
        Auth.SetRoles(DsdrRoles.Operator);
        Auth.SetPolicies(DsdrAuth.OperatePolicy);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that only dispose asynchronously
    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();
}
