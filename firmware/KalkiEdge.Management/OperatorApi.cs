using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Management;

/// <summary>
/// The operator's local API on a Unix socket (HTTP/1.1 over AF_UNIX, Kestrel): GET /devices, GET /devices/NAME,
/// POST /devices/NAME/reset. Filesystem permissions authenticate (see <see cref="ControlSocketPath"/>); the kernel
/// names the caller (SO_PEERCRED) for the audit log. Nothing here listens on the network.
/// </summary>
internal sealed class OperatorApi : IAsyncDisposable
{
    private const int MaxBodyBytes = 4096;

    private readonly WebApplication _app;

    private OperatorApi(WebApplication app, string socketPath)
    {
        _app = app;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    /// <summary>Null (after a warning on <paramref name="log"/>) when the socket cannot be served; traffic handling goes on regardless.</summary>
    public static async Task<OperatorApi?> StartAsync(string socketPath, OperatorActions actions, TextWriter log)
    {
        string? problem;
        try
        {
            problem = ControlSocketPath.Prepare(socketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
        }

        if (problem is not null)
        {
            log.WriteLine($"WARNING: operator control socket not available: {problem}");
            return null;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(socketPath);
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
        });
        var app = builder.Build();
        app.MapGet("/devices", context => Json(context, StatusCodes.Status200OK, actions.List(), OperatorJsonContext.Default.DeviceList));
        app.MapGet("/devices/{name}", context => Name(context) is { } name && actions.Find(name) is { } status
            ? Json(context, StatusCodes.Status200OK, status, OperatorJsonContext.Default.DeviceStatus)
            : Error(context, StatusCodes.Status404NotFound, $"no device named '{Name(context)}'"));
        app.MapPost("/devices/{name}/reset", context => Reset(context, actions));
        try
        {
            await app.StartAsync().ConfigureAwait(false);
            ControlSocketPath.Restrict(socketPath);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            log.WriteLine($"WARNING: operator control socket not available: cannot listen on {socketPath}: {e.Message}");
            await app.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        log.WriteLine($"kalki-edge: operator control socket on {socketPath} (kalki-edge devices | reset)");
        return new OperatorApi(app, socketPath);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        File.Delete(SocketPath);
    }

    private static async Task Reset(HttpContext context, OperatorActions actions)
    {
        ResetRequest? request = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                request = await JsonSerializer.DeserializeAsync(context.Request.Body, OperatorJsonContext.Default.ResetRequest, context.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                await Error(context, StatusCodes.Status400BadRequest, $"body must be {{\"reason\": \"...\"}}: {e.Message}").ConfigureAwait(false);
                return;
            }
        }

        var peer = PeerCredentials.Of(context.Features.Get<IConnectionSocketFeature>()?.Socket);
        var actor = peer is { } p ? $"operator ({p}) via control socket" : "operator via control socket";
        var (accepted, refusal, unknown) = actions.Reset(Name(context) ?? "", actor, request?.Reason);
        await (accepted is not null
            ? Json(context, StatusCodes.Status202Accepted, accepted, OperatorJsonContext.Default.ResetAccepted)
            : Error(context, unknown ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, refusal!)).ConfigureAwait(false);
    }

    private static string? Name(HttpContext context) => context.Request.RouteValues["name"] as string;

    private static Task Error(HttpContext context, int status, string message) =>
        Json(context, status, new OperatorError(message), OperatorJsonContext.Default.OperatorError);

    private static Task Json<T>(HttpContext context, int status, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, type, cancellationToken: context.RequestAborted);
    }
}
