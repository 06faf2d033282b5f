using System.Globalization;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Management;

/// <summary>
/// The appliance's HTTP server on the management address (ASP.NET Core, Kestrel). Today it serves GET /health,
/// which carries no device data and no secrets; the dashboard and its authenticated API are added here.
/// </summary>
public sealed class ManagementServer : IAsyncDisposable
{
    public const string DefaultListen = "127.0.0.1:8080";

    private readonly WebApplication _app;

    private ManagementServer(WebApplication app) => _app = app;

    /// <summary>The address actually bound (useful with port 0).</summary>
    public string Address { get; private set; } = "";

    /// <summary>Reads <c>management: { listen: HOST:PORT }</c> from the site config.</summary>
    public static string ListenAddress(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics)
    {
        if (!sections.TryGetValue("management", out var node))
        {
            return DefaultListen;
        }

        var args = new ElementArgs("management", node.At, node.Entries, diagnostics, NoResources.Instance);
        var listen = args.String("listen", DefaultListen);
        args.RejectUnknown();
        var colon = listen.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || (listen[..colon] is var host && host != "localhost" && !System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _)))
        {
            diagnostics.Error(args.Node("listen")?.At ?? node.At, $"management: 'listen' must be ADDRESS:PORT (e.g. {DefaultListen}), got '{listen}'");
        }

        return listen;
    }

    public static async Task<ManagementServer> StartAsync(string listen, Func<HealthReport> health)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{listen}");
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HealthJsonContext.Default));
        var app = builder.Build();
        app.MapGet("/health", () => Results.Json(health(), HealthJsonContext.Default.HealthReport));
        await app.StartAsync().ConfigureAwait(false);
        var server = new ManagementServer(app);
        server.Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? listen;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
