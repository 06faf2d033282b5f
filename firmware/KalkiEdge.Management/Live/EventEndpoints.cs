using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Live;

/// <summary>GET /api/events: Server-Sent Events (alert, overflow, transition, device, stats, pairing) with a heartbeat comment every 15 s.</summary>
internal static class EventEndpoints
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static void Map(IEndpointRouteBuilder app, DashboardStream hub) => app.MapGet("/api/events", async (HttpContext context) =>
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var client = hub.Subscribe();
        var aborted = context.RequestAborted;
        try
        {
            await context.Response.WriteAsync(": connected\n\n", aborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            Task<bool>? waiting = null;
            while (!aborted.IsCancellationRequested)
            {
                waiting ??= client.WaitToReadAsync(aborted).AsTask();
                if (await Task.WhenAny(waiting, Task.Delay(Heartbeat, aborted)).ConfigureAwait(false) != waiting)
                {
                    await context.Response.WriteAsync(": heartbeat\n\n", aborted).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                    continue;
                }

                if (!await waiting.ConfigureAwait(false))
                {
                    return; // dropped for being too slow (or shutting down): the browser reconnects
                }

                waiting = null;
                while (client.TryRead(out var chunk))
                {
                    await context.Response.Body.WriteAsync(chunk, aborted).ConfigureAwait(false);
                }

                await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
        finally
        {
            hub.Unsubscribe(client);
        }
    }).ExcludeFromDescription();
}
