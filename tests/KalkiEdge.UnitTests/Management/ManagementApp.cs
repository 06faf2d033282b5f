using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using KalkiEdge.Management;
using KalkiEdge.Management.Auth;
using KalkiEdge.Management.Live;
using KalkiEdge.UnitTests.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace KalkiEdge.UnitTests.Management;

/// <summary>
/// The real management server (Kestrel on a loopback port) over a real appliance and its SQLite store, and HTTP
/// clients that keep their cookies like a browser.
/// </summary>
internal sealed class ManagementApp : IAsyncDisposable
{
    public const string Admin = "admin";
    public const string Password = "correct horse battery";

    private ManagementApp(RegistrySite site, ManagementServer server, ManagementContext context, KalkiEdge.Export.Events.EventHub hub)
    {
        Hub = hub;
        Site = site;
        Server = server;
        Context = context;
    }

    public RegistrySite Site { get; }

    /// <summary>The appliance's event hub (the dashboard's stream, activity and metrics are its sinks).</summary>
    public KalkiEdge.Export.Events.EventHub Hub { get; }

    public ManagementServer Server { get; }

    public ManagementContext Context { get; }

    public Uri Base => new(Server.Address);

    public static Task<ManagementApp> StartAsync(string dir, bool metricsOpen = false, string rauc = "rauc") =>
        StartAsync(dir, _ => { }, _ => { }, metricsOpen, rauc);

    /// <summary>The server with services and endpoints added to the firmware's own (<see cref="ManagementServer"/>).</summary>
    public static async Task<ManagementApp> StartAsync(string dir, Action<IServiceCollection> addServices, Action<WebApplication> addEndpoints, bool metricsOpen = false, string rauc = "rauc")
    {
        var site = new RegistrySite(dir);
        var appliance = site.Appliance;
        // As `run` wires it: the appliance's one event hub, with the dashboard's stream, activity and metrics as sinks.
        var hub = new KalkiEdge.Export.Events.EventHub();
        appliance.Control.AlertEvaluated += hub.OnAlert;
        appliance.Control.Transitioned += hub.OnTransition;
        hub.Bind(appliance.Control.Devices, appliance.Engine.Devices);
        var context = ManagementContext.Attach(appliance, hub, new Accounts(appliance.Store!.Store),
            () => new HealthReport("ok", "test", "test", new HypervisorHealth("off", false, "test"), new SigningHealth("off", "off"), [], appliance.Engine.Devices.Count, 0, 0),
            () => [], TimeSpan.FromHours(1));
        _ = new RegistryEvents(context);
        var server = await ManagementServer.StartAsync(new ManagementSettings("127.0.0.1:0", "/nonexistent/control.sock") { MetricsOpen = metricsOpen, Rauc = rauc }, context, addServices, addEndpoints);
        return new ManagementApp(site, server, context, hub);
    }

    /// <summary>A client with its own cookie jar (a browser).</summary>
    public HttpClient Browser() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = Base };

    /// <summary>A browser after setup and sign-in, sending the antiforgery header like the dashboard does.</summary>
    public async Task<HttpClient> SignedInAsync()
    {
        if (Context.Accounts.SetupNeeded)
        {
            using var setup = Browser();
            var created = await setup.PostAsJsonAsync("/api/setup", new { username = Admin, password = Password, token = Context.Accounts.SetupToken });
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await created.Content.ReadAsStringAsync());
        }

        var browser = Browser();
        var login = await browser.PostAsJsonAsync("/api/login", new { username = Admin, password = Password });
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await login.Content.ReadAsStringAsync());
        var session = await browser.GetFromJsonAsync<JsonElement>("/api/session");
        browser.DefaultRequestHeaders.Add("X-CSRF-TOKEN", session.GetProperty("antiforgeryToken").GetString());
        return browser;
    }

    public static HttpContent Json(string text) => new StringContent(text, new MediaTypeHeaderValue("application/json"));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Context.Activity.Dispose();
        Context.Events.Dispose();
        Context.Metrics.Dispose();
        Site.Dispose();
    }
}
