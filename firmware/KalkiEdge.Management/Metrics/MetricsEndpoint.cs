using KalkiEdge.Appliance;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KalkiEdge.Management.Metrics;

/// <summary>
/// GET /metrics in the Prometheus text format: frames by verdict (engine and per device), alerts by type, state
/// changes and reaction times, devices by state, dashboard stream clients, and the depths and losses of the queues
/// between the frame path and the slower consumers. Authenticated like the API unless the site config says
/// <c>management: { metrics: open }</c>.
/// </summary>
internal static class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app, ManagementContext m, bool open)
    {
        var endpoint = app.MapGet("/metrics", () => Results.Text(Render(m), PrometheusText.ContentType)).ExcludeFromDescription();
        if (open)
        {
            endpoint.AllowAnonymous();
        }
    }

    public static string Render(ManagementContext m)
    {
        var text = new PrometheusText();
        var engine = m.Appliance.Engine;
        var c = engine.Counters;
        text.Family("kalki_frames_total", "counter", "Frames the engine processed.")
            .Sample("kalki_frames_total", Interlocked.Read(ref c.Frames));
        text.Family("kalki_frames_verdict_total", "counter", "Frames by what became of them (malformed frames are dropped too).")
            .Sample("kalki_frames_verdict_total", Interlocked.Read(ref c.Forwarded), ("verdict", "forwarded"))
            .Sample("kalki_frames_verdict_total", Interlocked.Read(ref c.Dropped), ("verdict", "dropped"))
            .Sample("kalki_frames_verdict_total", Interlocked.Read(ref c.Replied), ("verdict", "replied"))
            .Sample("kalki_frames_verdict_total", Interlocked.Read(ref c.Malformed), ("verdict", "malformed"));
        text.Family("kalki_frames_unknown_device_total", "counter", "Frames of MACs no device has (handled by unknown-devices).")
            .Sample("kalki_frames_unknown_device_total", Interlocked.Read(ref c.UnknownDevice));
        text.Family("kalki_frames_spoofed_total", "counter", "Frames refused by the identity checks (IP, ARP, MAC spoofing).")
            .Sample("kalki_frames_spoofed_total", Interlocked.Read(ref c.Spoofed));

        var devices = engine.Devices.All.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        text.Family("kalki_device_frames_total", "counter", "Frames per device by verdict.");
        foreach (var d in devices)
        {
            text.Sample("kalki_device_frames_total", Interlocked.Read(ref d.Counters.Forwarded), ("device", d.Name), ("verdict", "forwarded"))
                .Sample("kalki_device_frames_total", Interlocked.Read(ref d.Counters.Dropped), ("device", d.Name), ("verdict", "dropped"));
        }

        text.Family("kalki_devices", "gauge", "Devices by security state ('none': a fixed chain, no pack).");
        foreach (var (state, n) in devices.GroupBy(d => EdgeAppliance.StateOf(d) ?? "none").Select(g => (g.Key, g.Count())).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Sample("kalki_devices", n, ("state", state));
        }

        m.Metrics.Write(text);

        var alerts = m.Appliance.Alerts.Counters;
        text.Family("kalki_alert_queue_alerts_total", "counter", "Alerts entering the control plane's queue, by outcome (coalesced into a counted alert when a device's lane is full; dropped beyond that).")
            .Sample("kalki_alert_queue_alerts_total", Interlocked.Read(ref alerts.Raised), ("outcome", "raised"))
            .Sample("kalki_alert_queue_alerts_total", Interlocked.Read(ref alerts.Coalesced), ("outcome", "coalesced"))
            .Sample("kalki_alert_queue_alerts_total", Interlocked.Read(ref alerts.Dropped), ("outcome", "dropped"))
            .Sample("kalki_alert_queue_alerts_total", Interlocked.Read(ref alerts.Drained), ("outcome", "evaluated"));
        if (m.Appliance.Store?.Writer is { } writer)
        {
            text.Family("kalki_store_queue_depth", "gauge", "Bulk records (alerts, telemetry, logs) waiting for the store writer.")
                .Sample("kalki_store_queue_depth", writer.BulkQueued);
            text.Family("kalki_store_records_dropped_total", "counter", "Bulk records dropped because the store writer's queue was full.")
                .Sample("kalki_store_records_dropped_total", Interlocked.Read(ref writer.Counters.DroppedBulk));
        }

        text.Family("kalki_dashboard_clients", "gauge", "Live-event (Server-Sent Events) clients connected.")
            .Sample("kalki_dashboard_clients", m.Events.Clients);
        text.Family("kalki_dashboard_clients_dropped_total", "counter", "Live-event clients dropped for falling behind.")
            .Sample("kalki_dashboard_clients_dropped_total", m.Events.DroppedClients);
        text.Family("kalki_dashboard_stream_queue_depth", "gauge", "Events waiting to be sent to the live-event clients.")
            .Sample("kalki_dashboard_stream_queue_depth", m.Events.Queued);
        text.Family("process_resident_memory_bytes", "gauge", "Resident memory of the appliance process.")
            .Sample("process_resident_memory_bytes", Environment.WorkingSet);
        return text.ToString();
    }
}
