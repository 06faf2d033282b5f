using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using KalkiEdge.Management.Api;
using KalkiEdge.Management.Auth;
using KalkiEdge.Management.Live;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Management;

/// <summary>
/// The appliance's HTTP(S) server on the management address (ASP.NET Core, Kestrel): the dashboard's static pages,
/// its JSON API, live events, /metrics, the OpenAPI document (made at build time) and GET /health. Every endpoint requires a signed-in
/// user (cookie session, antiforgery header on state-changing requests) or an API token, except first-visit setup,
/// sign-in, /health and the static pages (which carry no data). Plain HTTP only on loopback; HTTPS elsewhere.
/// </summary>
public sealed class ManagementServer : IAsyncDisposable
{
    public const long MaxBodyBytes = 64 * 1024;
    public const int MaxConnections = 256;

    /// <summary>A request's headers must arrive whole within this (a slowloris trickling them is cut off with 408).</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A connection that sends nothing (half-open, or idle between requests) is closed after this.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(15);
    public const string SessionCookie = "kalki-session";
    public const string ApplicationName = "kalki-edge";

    private readonly WebApplication _app;

    private ManagementServer(WebApplication app) => _app = app;

    /// <summary>The address actually bound (useful with port 0).</summary>
    public string Address { get; private set; } = "";

    /// <summary>The running app's services (tests enumerate its endpoints).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the server; throws <see cref="IOException"/> when the address cannot be served or HTTPS has no certificate.</summary>
    public static Task<ManagementServer> StartAsync(ManagementSettings settings, ManagementContext context) =>
        StartAsync(settings, context, _ => { }, _ => { });

    /// <summary>
    /// Starts the server with services and endpoints added after the firmware's own: the tests add the OpenAPI
    /// generator, which the firmware leaves out, to make the document it serves from the real endpoints.
    /// </summary>
    internal static async Task<ManagementServer> StartAsync(ManagementSettings settings, ManagementContext context, Action<IServiceCollection> addServices, Action<WebApplication> addEndpoints)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // The executable's name, fixed: it is the OpenAPI document's title, and the tests' host (testhost) makes the document.
            ApplicationName = ApplicationName,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        var certificate = settings.IsLoopback ? null : LoadCertificate(settings);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
            k.Limits.MaxConcurrentConnections = MaxConnections;
            k.Limits.MaxConcurrentUpgradedConnections = MaxConnections;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Limits.MaxRequestLineSize = 4096;
            // Slow or silent clients cannot hold the connection slots for long: see the two timeouts' summaries.
            k.Limits.RequestHeadersTimeout = RequestHeadersTimeout;
            k.Limits.KeepAliveTimeout = IdleTimeout;
            // A client that trickles its body slower than this is cut off, so half-open requests cannot pile up.
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(5));
        });
        builder.WebHost.UseUrls($"{(certificate is null ? "http" : "https")}://{settings.Listen}");
        if (certificate is not null)
        {
            // The slim builder leaves HTTPS out unless asked: without this an https:// address fails at start.
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }

        ConfigureServices(builder.Services, context);
        addServices(builder.Services);
        var app = builder.Build();
        Configure(app, context, settings);
        addEndpoints(app);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException(e.Message, e);
        }

        var server = new ManagementServer(app);
        server.Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? settings.Listen;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static X509Certificate2 LoadCertificate(ManagementSettings settings)
    {
        if (settings.Certificate is not { } cert || settings.Key is not { } key || !File.Exists(cert) || !File.Exists(key))
        {
            throw new IOException($"{settings.Listen} is not a loopback address, so the dashboard is served over HTTPS only, and the certificate {settings.Certificate} or its key {settings.Key} is missing (first boot makes them; set management.certificate and management.key)");
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new IOException($"the TLS certificate {cert} with key {key} cannot be used: {e.Message}", e);
        }
    }

    private static void ConfigureServices(IServiceCollection services, ManagementContext context)
    {
        services.AddSingleton(context.Accounts);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
        MemoryKeys.AddProvider(services);
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = "session-or-token";
                o.DefaultChallengeScheme = "session-or-token";
            })
            .AddPolicyScheme("session-or-token", "cookie session or API token", o => o.ForwardDefaultSelector = c =>
                c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal) ? BearerTokenHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = SessionCookie;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure on HTTPS (every non-loopback address)
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = c => ApiErrors.Write(c.HttpContext, StatusCodes.Status401Unauthorized, "sign in first (POST /api/login) or send an API token (Authorization: Bearer ...)");
                o.Events.OnRedirectToAccessDenied = c => ApiErrors.Write(c.HttpContext, StatusCodes.Status403Forbidden, "not allowed");
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        // Everything requires a signed-in user unless an endpoint says otherwise (setup, login, /health, static pages).
        services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddAntiforgery(o =>
        {
            o.HeaderName = "X-CSRF-TOKEN";
            o.Cookie.Name = "kalki-csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        MemoryKeys.RemoveKeyRing(services);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (c, token) =>
            {
                var wait = c.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? (int)Math.Ceiling(retry.TotalSeconds) : 60;
                c.HttpContext.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new ValueTask(ApiErrors.Write(c.HttpContext, StatusCodes.Status429TooManyRequests, $"too many sign-in attempts from this address; try again in {wait} s"));
            };
            o.AddPolicy(AuthEndpoints.LoginLimit, c => RateLimitPartition.GetFixedWindowLimiter(
                c.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 5, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        // Built and disposed by the container, so a stopped server stops listening to the meter.
        services.AddSingleton(_ => Metrics.MetricsEndpoint.Provider(context.Metrics.Meter, context.Appliance.Engine.Devices.Count));
    }

    private static void Configure(WebApplication app, ManagementContext context, ManagementSettings settings)
    {
        var wwwroot = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        var pages = Directory.Exists(wwwroot) ? new StaticFileOptions { FileProvider = new PhysicalFileProvider(wwwroot), OnPrepareResponse = PageHeaders } : null;
        if (pages is not null)
        {
            // The pages carry no data (every datum comes from the authenticated API), so they are served before
            // authentication; the fallback policy would otherwise cover them too.
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = pages.FileProvider });
            app.UseStaticFiles(pages);
            app.MapFallbackToFile("/setup", "index.html", pages).AllowAnonymous();
        }

        app.UseAuthentication();
        app.UseRateLimiter();
        app.Use(RequireAntiforgeryOnCookieWrites);
        app.UseAuthorization();
        app.MapGet("/health", () => Results.Json(context.Health(), ApiJsonContext.Default.HealthReport)).AllowAnonymous();
        AuthEndpoints.Map(app, context);
        DeviceEndpoints.Map(app, context);
        CatalogEndpoints.Map(app, context);
        PackEndpoints.Map(app, context);
        SiteBackupEndpoints.Map(app, context);
        UpdateEndpoints.Map(app, context, new Appliance.Update.BundleInstaller(settings.Rauc));
        PairingEndpoints.Map(app, context);
        EventEndpoints.Map(app, context.Events);
        Metrics.MetricsEndpoint.Map(app, app.Services.GetRequiredService<OpenTelemetry.Metrics.MeterProvider>(), settings.MetricsOpen);
        OpenApi.OpenApiDocument.Map(app);
    }

    /// <summary>
    /// The dashboard's files: scripts and styles from this appliance only (nothing inline, nothing from elsewhere),
    /// never framed, always revalidated so an update is seen at once.
    /// </summary>
    private static void PageHeaders(StaticFileResponseContext file)
    {
        var headers = file.Context.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
    }

    /// <summary>
    /// A state-changing request signed in by cookie must carry the antiforgery header (GET /api/session gives the
    /// token); API tokens are not sent by browsers on their own, so requests with one need none.
    /// </summary>
    private static async Task RequireAntiforgeryOnCookieWrites(HttpContext context, RequestDelegate next)
    {
        var method = context.Request.Method;
        var writes = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));
        if (writes && context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieAuthenticationDefaults.AuthenticationScheme })
        {
            try
            {
                await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context).ConfigureAwait(false);
            }
            catch (AntiforgeryValidationException)
            {
                await ApiErrors.Write(context, StatusCodes.Status403Forbidden, "missing or wrong X-CSRF-TOKEN header: take the token from GET /api/session").ConfigureAwait(false);
                return;
            }
        }

        await next(context).ConfigureAwait(false);
    }
}
