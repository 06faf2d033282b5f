using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Management;

/// <summary>
/// The appliance's HTTP server on the management address (ASP.NET Core, Kestrel). Today it serves GET /health,
/// which carries no device data and no secrets; the dashboard and its authenticated API are added here.
/// </summary>
public sealed class ManagementServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ManagementServer(WebApplication app) => _app = app;

    /// <summary>The address actually bound (useful with port 0).</summary>
    public string Address { get; private set; } = "";

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
