using System.Security.Claims;
using System.Text.Encodings.Web;
using Dsdr.Web.Api;
using Dsdr.Web.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Dsdr.Web.Security;

/// <summary>
/// Who may do what. One policy, <see cref="OperatePolicy"/>, guards every mutating action: the API's POST routes
/// require it, and <see cref="PlatformAccess"/> checks it again inside the platform's command path, which is the only
/// way a Razor component can change anything (so a forged circuit call meets the same check). <see cref="ReadPolicy"/>
/// is the fallback of every other endpoint: signed in, or anonymous where anonymous reading is allowed.
/// </summary>
public static class DsdrAuth
{
    public const string OperatePolicy = "dsdr:operate";
    public const string ReadPolicy = "dsdr:read";
    /// <summary>Forwards /api to <see cref="ApiKeyScheme"/>, everything else to <see cref="CookieScheme"/>.</summary>
    public const string DefaultScheme = "dsdr";
    public const string ApiKeyScheme = "api-key";
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string CookieName = "dsdr.auth";
    /// <summary>How the principal signed in: <see cref="ViaPassword"/>, <see cref="ViaApiKey"/> or <see cref="ViaProcess"/>.</summary>
    public const string ViaClaim = "dsdr:via";
    public const string ViaPassword = "password", ViaApiKey = "api-key", ViaProcess = "process";
    public const string SignInPath = "/signin", SignOutPath = "/signout";

    public static IServiceCollection AddDsdrSecurity(this IServiceCollection services, DsdrWebOptions options)
    {
        services.AddSingleton(new DashboardUserStore(options.UsersFilePath()));
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<DashboardSignIn>();
        services.AddSingleton<AnonymousReadAccess>();
        services.AddSingleton<IAuthorizationHandler, OperatorHandler>();
        services.AddSingleton<IAuthorizationHandler, ReadHandler>();
        services.AddSingleton<PlatformAccess>();
        services.AddHttpContextAccessor();
        services.AddCascadingAuthenticationState();
        services.AddAuthentication(DefaultScheme)
            .AddPolicyScheme(DefaultScheme, "API key on /api (and on /health when sent), the sign-in cookie elsewhere", p =>
                p.ForwardDefaultSelector = http => http.Request.Path.StartsWithSegments("/api")
                    || (http.Request.Path.StartsWithSegments("/health") && http.Request.Headers.ContainsKey(DsdrWebOptions.ApiKeyHeader))
                    ? ApiKeyScheme
                    : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyScheme, null)
            .AddCookie(CookieScheme, c =>
            {
                c.Cookie.Name = CookieName;
                c.Cookie.HttpOnly = true;
                c.Cookie.SameSite = SameSiteMode.Lax;
                c.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                c.LoginPath = SignInPath;
                c.AccessDeniedPath = SignInPath;
                c.ReturnUrlParameter = "returnUrl";
                c.ExpireTimeSpan = TimeSpan.FromHours(8);
                c.SlidingExpiration = true;
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatePolicy, p => p.RequireAuthenticatedUser().AddRequirements(new OperatorRequirement()))
            .AddPolicy(ReadPolicy, p => p.AddRequirements(new ReadRequirement()))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new ReadRequirement()).Build());
        return services;
    }

    /// <summary>A signed-in principal: name, role and how it signed in.</summary>
    public static ClaimsPrincipal Principal(string name, string role, string via, string authenticationType) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, DsdrRoles.Parse(role)), new Claim(ViaClaim, via)],
            authenticationType, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>An operator acting from inside this process (e.g. <c>dsdr demo</c> submitting its own sweep).</summary>
    public static ClaimsPrincipal ProcessOperator(string name) => Principal(name, DsdrRoles.Operator, ViaProcess, ViaProcess);

    public static ClaimsPrincipal Anonymous { get; } = new(new ClaimsIdentity());

    /// <summary>POST /signout: the layout's form (antiforgery token checked) drops the cookie and goes home.</summary>
    public static IEndpointRouteBuilder MapDsdrSignOut(this IEndpointRouteBuilder app)
    {
        app.MapPost(SignOutPath, async (HttpContext http, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Sign-out refused",
                    detail: "The sign-out form's antiforgery token is missing or wrong: reload the page and sign out again.");
            await http.SignOutAsync(CookieScheme);
            return Results.LocalRedirect("/");
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    public static bool IsOperator(this ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true && user.IsInRole(DsdrRoles.Operator);
}

/// <summary>Every mutating action needs this: an operator, and one signed in by password must still be an operator in the user store.</summary>
public sealed class OperatorRequirement : IAuthorizationRequirement;

internal sealed class OperatorHandler(DashboardUserStore users) : AuthorizationHandler<OperatorRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OperatorRequirement requirement)
    {
        var user = context.User;
        if (!user.IsOperator()) return Task.CompletedTask;
        var via = user.FindFirst(DsdrAuth.ViaClaim)?.Value;
        // a cookie outlives a role change: read the store now, so a demoted or removed user is refused at once
        var stillOperator = via != DsdrAuth.ViaPassword || users.Find(user.Identity!.Name ?? "") is { Role: DsdrRoles.Operator };
        if (stillOperator) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>Reading: signed in (any role), or anonymous where <see cref="AnonymousReadAccess"/> allows it.</summary>
public sealed class ReadRequirement : IAuthorizationRequirement;

internal sealed class ReadHandler(AnonymousReadAccess anonymous) : AuthorizationHandler<ReadRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ReadRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true || anonymous.Allowed) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Whether anonymous reading is allowed: Dsdr:AnonymousRead when configured; else only on a single node whose every
/// listening address is a loopback one, judged from the addresses Kestrel really bound (ASPNETCORE_HTTP_PORTS binds all).
/// </summary>
public sealed class AnonymousReadAccess(DsdrWebOptions options, IServer server)
{
    private bool? _allowed;

    public bool Allowed => _allowed ??= Decide();

    private bool Decide()
    {
        if (options.AnonymousRead is { } configured) return configured;
        if (options.Mode != WebMode.SingleNode) return false;
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return DsdrWebOptions.ListensOnLoopbackOnly(bound.Count > 0 ? string.Join(';', bound) : options.Urls);
    }
}

/// <summary>A mutating platform call without the operator policy: nothing was changed.</summary>
public sealed class PlatformAccessDeniedException(string message) : Exception(message);

/// <summary>The policy check of the platform's command path: <see cref="DsdrAuth.OperatePolicy"/> or <see cref="PlatformAccessDeniedException"/>.</summary>
public sealed class PlatformAccess(IAuthorizationService authorization)
{
    public async Task EnsureOperatorAsync(ClaimsPrincipal caller, string action)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if ((await authorization.AuthorizeAsync(caller, null, DsdrAuth.OperatePolicy)).Succeeded) return;
        throw new PlatformAccessDeniedException(caller.Identity?.IsAuthenticated == true
            ? $"{caller.Identity.Name} may not {action}: that needs the {DsdrRoles.Operator} role (an operator adds it with `dsdr user add {caller.Identity.Name} --role {DsdrRoles.Operator}`)."
            : $"Signing in is needed to {action}: use the API key or an {DsdrRoles.Operator}'s user name and password.");
    }
}

/// <summary>The REST API's X-Api-Key header as an authentication scheme: the configured key signs the request in as an operator.</summary>
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKey key)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string Wrong = "wrong";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(DsdrWebOptions.ApiKeyHeader, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (values.Count > 1 || !key.Matches(values[0]))
        {
            Context.Items[typeof(ApiKeyAuthenticationHandler)] = Wrong;
            return Task.FromResult(AuthenticateResult.Fail($"The {DsdrWebOptions.ApiKeyHeader} header does not hold the configured API key."));
        }
        var principal = DsdrAuth.Principal("api-key", DsdrRoles.Operator, DsdrAuth.ViaApiKey, Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = $"ApiKey header=\"{DsdrWebOptions.ApiKeyHeader}\"";
        var detail = Context.Items.ContainsKey(typeof(ApiKeyAuthenticationHandler))
            ? $"The {DsdrWebOptions.ApiKeyHeader} header does not hold the configured API key ({DsdrWebOptions.ApiKeyKey})."
            : HttpMethods.IsGet(Request.Method) || HttpMethods.IsHead(Request.Method)
                ? $"Anonymous reading is off on this host (cluster mode or a non-loopback address; Dsdr:AnonymousRead): send the API key in the {DsdrWebOptions.ApiKeyHeader} header."
                : $"This route changes state: send the API key in the {DsdrWebOptions.ApiKeyHeader} header " +
                  $"(configured as {DsdrWebOptions.ApiKeyKey}; a single node prints its generated key at start).";
        return ApiProblems.Unauthorized(detail).ExecuteAsync(Context);
    }
}
