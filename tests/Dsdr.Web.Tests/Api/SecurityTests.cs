using System.Collections.Concurrent;
using System.Net;
using System.Reflection;
using System.Reflection.Emit;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Dsdr.Web.Hosting;
using Dsdr.Web.Security;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// A host as a cluster deployment would be exposed (anonymous reading off), with a user store of one viewer and one
/// operator and a short sign-in failure delay; every log line it writes is kept, to look for the key.
/// </summary>
public sealed class SecuredHost : IAsyncLifetime
{
    public const string Key = "secured-host-key-0123456789abcdef";
    public const string OperatorPassword = "operator-password-1";
    public const string ViewerPassword = "viewer-password-12";
    public static readonly TimeSpan FailureDelay = TimeSpan.FromMilliseconds(300);

    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"dsdr-secured-{Guid.NewGuid():N}");
    private readonly WebApiFixture _web;

    public SecuredHost(WebApiFixture web) => _web = web;

    public DsdrWebServer Server { get; private set; } = null!;
    public DashboardUserStore Users { get; private set; } = null!;
    public ConcurrentQueue<string> Logs { get; } = new();

    public async Task InitializeAsync()
    {
        Users = new DashboardUserStore(Path.Combine(_scratch, "users.json"));
        Users.AddOrReplace("olga", DsdrRoles.Operator, OperatorPassword);
        Users.AddOrReplace("vera", DsdrRoles.Viewer, ViewerPassword);
        Server = await DsdrWebApp.StartAsync(new DsdrWebOptions
        {
            Urls = "http://127.0.0.1:0",
            AnonymousRead = false,
            ConnectionString = await _web.NewDatabaseAsync(),
            ApiKey = Key,
            UsersFile = Users.FilePath,
            SignInFailureDelay = FailureDelay,
            Simulated = true,
            SimulatedStepMilliseconds = 20,
            SiloPort = WebApiFixture.FreePort(),
            GatewayPort = WebApiFixture.FreePort(),
            CheckpointDirectory = Path.Combine(_scratch, "checkpoints"),
        }, builder => builder.Logging.SetMinimumLevel(LogLevel.Debug).AddProvider(new KeepingLoggerProvider(Logs)));
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }

    /// <summary>The path and query of a redirect, which must stay on this host.</summary>
    public string Local(Uri location)
    {
        var absolute = new Uri(new Uri(Server.Url), location);
        Assert.Equal(new Uri(Server.Url).Authority, absolute.Authority);
        return absolute.PathAndQuery;
    }

    /// <summary>A client with its own cookie jar that does not follow redirects (so they can be asserted).</summary>
    public HttpClient Browser() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true })
    {
        BaseAddress = new Uri(Server.Url),
    };

    /// <summary>GET /signin, then POST the form with its antiforgery token; returns the POST's answer.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string? user, string secret, string? returnUrl = null, bool withToken = true)
    {
        var page = await (await client.GetAsync("/signin" + (returnUrl is null ? "" : $"?returnUrl={Uri.EscapeDataString(returnUrl)}"))).Content.ReadAsStringAsync();
        var fields = new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["Input.User"] = user ?? "",
            ["Input.Secret"] = secret,
            ["Input.ReturnUrl"] = returnUrl ?? "",
        };
        if (withToken) fields["__RequestVerificationToken"] = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        return await client.PostAsync("/signin", new FormUrlEncodedContent(fields));
    }

    private sealed class KeepingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Keeper(categoryName, lines);
        public void Dispose() { }

        private sealed class Keeper(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}

[Collection(WebApiCollection.Name)]
public sealed class SecurityTests(WebApiFixture web) : IAsyncLifetime
{
    private readonly SecuredHost _host = new(web);

    public Task InitializeAsync() => _host.InitializeAsync();
    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Anonymous_reading_is_refused_here_pages_go_to_sign_in_and_the_api_wants_the_key()
    {
        using var client = _host.Browser();
        var page = await client.GetAsync("/sweeps");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/signin?returnUrl=%2Fsweeps", page.Headers.Location!.PathAndQuery);

        var api = await client.GetAsync("/api/sweeps");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains("X-Api-Key", (await api.ReadJsonAsync()).GetProperty("detail").GetString());
        client.DefaultRequestHeaders.Add("X-Api-Key", SecuredHost.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/sweeps")).StatusCode);

        using var probe = _host.Browser();
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/health/live")).StatusCode); // probes do not sign in
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/signin")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/css/dsdr.css")).StatusCode);
    }

    [Fact]
    public async Task A_user_signs_in_with_the_password_reads_and_signs_out_and_a_wrong_one_is_logged_and_slowed()
    {
        using var client = _host.Browser();
        var started = DateTime.UtcNow;
        var wrong = await SecuredHost.SignInAsync(client, "vera", "not-the-password");
        Assert.True(DateTime.UtcNow - started >= SecuredHost.FailureDelay, "a failed sign-in answers only after the delay");
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        var wrongPage = await wrong.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"signin-error\"", wrongPage);
        Assert.DoesNotContain("not-the-password", wrongPage); // the secret is not rendered back
        Assert.Contains(_host.Logs, l => l.StartsWith("Warning") && l.Contains("sign-in failed for vera"));
        Assert.DoesNotContain(_host.Logs, l => l.Contains("not-the-password"));

        var good = await SecuredHost.SignInAsync(client, "vera", SecuredHost.ViewerPassword, returnUrl: "/pool");
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Equal("/pool", _host.Local(good.Headers.Location!));
        var cookie = Assert.Single(good.Headers.GetValues("Set-Cookie"), c => c.StartsWith(DsdrAuth.CookieName + "="));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);

        var pool = await client.GetAsync("/pool");
        Assert.Equal(HttpStatusCode.OK, pool.StatusCode);
        var html = await pool.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"signed-in-as\" data-role=\"viewer\"", html);

        // sign-out without the form's antiforgery token is refused; with it the cookie goes
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(DsdrAuth.SignOutPath, new FormUrlEncodedContent([]))).StatusCode);
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var signOut = await client.PostAsync(DsdrAuth.SignOutPath, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/pool")).StatusCode); // signed out: back to sign-in
    }

    [Fact]
    public async Task The_sign_in_form_needs_its_antiforgery_token_and_goes_back_only_to_local_paths()
    {
        using var client = _host.Browser();
        var forged = await SecuredHost.SignInAsync(client, "olga", SecuredHost.OperatorPassword, withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.DoesNotContain(forged.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith(DsdrAuth.CookieName));

        var offsite = await SecuredHost.SignInAsync(client, "olga", SecuredHost.OperatorPassword, returnUrl: "//evil.example/x");
        Assert.Equal("/", _host.Local(offsite.Headers.Location!));
    }

    [Fact]
    public async Task The_api_key_signs_in_as_an_operator_and_never_shows_in_pages_urls_or_logs()
    {
        using var client = _host.Browser();
        var signedIn = await SecuredHost.SignInAsync(client, null, SecuredHost.Key, returnUrl: "/sweeps/new");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.DoesNotContain(SecuredHost.Key, signedIn.Headers.Location!.OriginalString);
        foreach (var path in new[] { "/", "/sweeps/new", "/pool", "/problems", "/signin" })
        {
            var answer = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var html = await answer.Content.ReadAsStringAsync();
            Assert.DoesNotContain(SecuredHost.Key, html);
            if (path == "/sweeps/new") Assert.Contains("data-role=\"operator\"", html);
        }
        // the key typed into the name field is not logged either
        await SecuredHost.SignInAsync(_host.Browser(), SecuredHost.Key, "whatever-password");
        Assert.DoesNotContain(_host.Logs, l => l.Contains(SecuredHost.Key));
        Assert.Contains(_host.Logs, l => l.Contains("a secret typed as the user name"));
    }

    [Fact]
    public async Task The_platform_refuses_every_command_to_anonymous_and_viewers_and_to_an_operator_demoted_since_sign_in()
    {
        var platform = _host.Server.Services.GetRequiredService<IDsdrPlatform>();
        var commands = PlatformCommands();
        Assert.NotEmpty(commands);
        var viewer = DsdrAuth.Principal("vera", DsdrRoles.Viewer, DsdrAuth.ViaPassword, DsdrAuth.CookieScheme);
        var forgedOperator = DsdrAuth.Principal("mallory", DsdrRoles.Operator, DsdrAuth.ViaPassword, DsdrAuth.CookieScheme); // not in the store
        foreach (var caller in new[] { DsdrAuth.Anonymous, viewer, forgedOperator })
            foreach (var command in commands)
            {
                var args = command.GetParameters().Select(p => p.ParameterType == typeof(ClaimsPrincipal) ? caller
                    : p.ParameterType == typeof(string) ? Spec("refused", steps: 2, arms: "\"grpo\"", seeds: "0")
                    : p.HasDefaultValue ? p.DefaultValue : null).ToArray();
                var error = await Assert.ThrowsAsync<PlatformAccessDeniedException>(() => (Task)command.Invoke(platform, args)!);
                Assert.Contains(command.Name.StartsWith("Submit") ? "submit" : "cancel", error.Message);
            }
        using var api = new HttpClient { BaseAddress = new Uri(_host.Server.Url) };
        api.DefaultRequestHeaders.Add("X-Api-Key", SecuredHost.Key);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/sweeps/refused")).StatusCode); // nothing was submitted

        var olga = DsdrAuth.Principal("olga", DsdrRoles.Operator, DsdrAuth.ViaPassword, DsdrAuth.CookieScheme);
        await platform.SubmitAsync(Spec("allowed", steps: 2, arms: "\"grpo\"", seeds: "0"), olga);
        _host.Users.AddOrReplace("olga", DsdrRoles.Viewer, SecuredHost.OperatorPassword);
        try
        {
            await Assert.ThrowsAsync<PlatformAccessDeniedException>(() => platform.CancelSweepAsync("allowed", olga)); // her cookie still says operator
        }
        finally
        {
            _host.Users.AddOrReplace("olga", DsdrRoles.Operator, SecuredHost.OperatorPassword);
        }
    }

    /// <summary>
    /// The platform's commands: every method that is not a read (Get…, List…, Preview). Each must take the caller, so the
    /// operator policy can be checked on the command path; a new command without one fails here.
    /// </summary>
    private static IReadOnlyList<MethodInfo> PlatformCommands()
    {
        var commands = typeof(IDsdrPlatform).GetMethods().Where(m => !Regex.IsMatch(m.Name, "^(Get|List|Preview)")).ToList();
        foreach (var m in commands)
            Assert.True(m.GetParameters().Any(p => p.ParameterType == typeof(ClaimsPrincipal)),
                $"IDsdrPlatform.{m.Name} changes state but takes no ClaimsPrincipal caller: the operator policy cannot guard it.");
        return commands;
    }

    [Fact]
    public void Every_mutating_route_requires_the_operator_policy()
    {
        var endpoints = _host.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var mutating = endpoints.Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Any(m => m is not ("GET" or "HEAD")) == true).ToList();
        var unguarded = mutating.Where(e => !e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == DsdrAuth.OperatePolicy))
            .Where(e => !IsNotAPlatformCommand(e))
            .Select(e => $"{string.Join(",", e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)} {e.RoutePattern.RawText}").ToList();
        Assert.True(unguarded.Count == 0, "mutating routes without the operator policy: " + string.Join("; ", unguarded));
        Assert.Contains(mutating, e => e.RoutePattern.RawText == "/api/sweeps/");
        Assert.Contains(mutating, e => e.RoutePattern.RawText == "/api/sweeps/{id}/cancel");
    }

    /// <summary>
    /// POST routes that change no platform state: Blazor's circuit plumbing (/_blazor/…), the pages' form posts (only the
    /// sign-in form has a handler; a page's commands go through the platform, which the test above and the component
    /// scan below cover), and sign-out (it drops the caller's own cookie).
    /// </summary>
    private static bool IsNotAPlatformCommand(RouteEndpoint e) =>
        e.RoutePattern.RawText!.StartsWith("/_blazor", StringComparison.Ordinal)
        || e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null
        || e.RoutePattern.RawText == DsdrAuth.SignOutPath;

    /// <summary>The Razor handlers that call a platform command, found in the compiled components (async bodies included).</summary>
    public static readonly IReadOnlyList<string> GuardedHandlers = ["NewSweep.SubmitAsync", "SweepPage.CancelAsync"];

    [Fact]
    public void Components_change_state_only_through_the_platforms_guarded_commands()
    {
        var commands = PlatformCommands().ToHashSet();
        var callers = new SortedSet<string>(StringComparer.Ordinal);
        var forbidden = new List<string>();
        var assembly = typeof(DsdrWebApp).Assembly;
        foreach (var type in assembly.GetTypes().Where(t => t.Namespace?.StartsWith("Dsdr.Web.Components", StringComparison.Ordinal) == true))
            foreach (var method in type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                foreach (var called in CalledMethods(method))
                {
                    var owner = called.DeclaringType?.Assembly.GetName().Name ?? "";
                    if (owner.StartsWith("Orleans", StringComparison.Ordinal) || owner is "Dsdr.Storage" or "Dsdr.Grains" or "Dsdr.Contracts")
                        forbidden.Add($"{type.Name}.{method.Name} calls {called.DeclaringType!.Name}.{called.Name}");
                    if (called is MethodInfo mi && commands.Contains(mi))
                        callers.Add(HandlerName(type, method));
                }
        Assert.True(forbidden.Count == 0, "components reaching past the platform: " + string.Join("; ", forbidden));
        // a new handler that calls a command must be added here and get a refusal test (RoleTests) before this passes
        Assert.Equal(GuardedHandlers, callers);
        foreach (var type in assembly.GetTypes().Where(t => typeof(IComponent).IsAssignableFrom(t)))
            foreach (var injected in type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Where(p => p.IsDefined(typeof(InjectAttribute))))
                Assert.False(injected.PropertyType == typeof(IServiceProvider) || injected.PropertyType == typeof(DsdrPlatform)
                             || injected.PropertyType.Assembly.GetName().Name is "Dsdr.Storage" or "Dsdr.Grains" || injected.PropertyType.Namespace?.StartsWith("Orleans") == true,
                    $"{type.Name} injects {injected.PropertyType.Name}: components get the platform as IDsdrPlatform only");
    }

    /// <summary>"Page.Method" of a method or of the async state machine / lambda class generated for it.</summary>
    private static string HandlerName(Type type, MethodBase method)
    {
        var outer = type;
        while (outer.DeclaringType is not null && outer.Name.Contains('<')) outer = outer.DeclaringType;
        var name = type.Name.Contains('<') ? Regex.Match(type.Name, "<([^>]+)>").Groups[1].Value : method.Name;
        return $"{outer.Name}.{name}";
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Every method a method's IL calls, constructs or takes a delegate of (a plain walk over the opcodes).</summary>
    private static IEnumerable<MethodBase> CalledMethods(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        for (var i = 0; i < il.Length;)
        {
            var code = OpCodesByValue[il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i]];
            i += code.Size;
            if (code.OperandType == OperandType.InlineMethod)
            {
                MethodBase? called = null;
                try { called = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), method.DeclaringType?.GetGenericArguments(), null); }
                catch (ArgumentException) { }
                if (called is not null) yield return called;
            }
            i += code.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }
}
