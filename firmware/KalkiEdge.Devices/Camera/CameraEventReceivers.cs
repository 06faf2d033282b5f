using System.Net;
using System.Net.Sockets;
using KalkiEdge.Core;
using KalkiEdge.Devices.Http;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.Camera;

/// <summary>
/// Where cameras push motion: the bounded SMTP receiver (the e-mail a camera sends on motion) and the HTTP event
/// endpoint (<c>GET</c> or <c>POST /event</c>), both on the appliance's device-side address. A sender is known by
/// its address: only a monitored camera's is accepted (anyone else gets 554 / 403 saying so), and each event
/// becomes that camera's readings through <see cref="DeviceMonitors.Deliver"/>. A receiver that cannot listen is
/// reported and left out (cameras are then still polled).
/// </summary>
public sealed class CameraEventReceivers : IDisposable
{
    private readonly DeviceMonitors _monitors;

    private CameraEventReceivers(DeviceMonitors monitors) => _monitors = monitors;

    public SmtpReceiver? Smtp { get; private set; }

    public SmallHttpServer? Http { get; private set; }

    public static CameraEventReceivers Open(DeviceMonitors monitors, CameraEventEndpoints endpoints, Action<string> log)
    {
        var receivers = new CameraEventReceivers(monitors);
        try
        {
            receivers.Smtp = new SmtpReceiver(new IPEndPoint(endpoints.Address, endpoints.SmtpPort), endpoints.Smtp, receivers.Refusal,
                (from, subject) => receivers.Event(from, $"e-mail '{Printable.Escape(subject)}'"), log);
            log($"camera events: SMTP on {receivers.Smtp.EndPoint}");
        }
        catch (SocketException e)
        {
            log($"camera events: cannot receive e-mail on {endpoints.Address}:{endpoints.SmtpPort} ({e.SocketErrorCode}); cameras are polled only");
        }

        try
        {
            receivers.Http = new SmallHttpServer(receivers.Handle, endpoints.Address, endpoints.HttpPort);
            log($"camera events: HTTP on {endpoints.Address}:{receivers.Http.Port}/event");
        }
        catch (SocketException e)
        {
            log($"camera events: cannot receive HTTP events on {endpoints.Address}:{endpoints.HttpPort} ({e.SocketErrorCode}); cameras are polled only");
        }

        return receivers;
    }

    public void Dispose()
    {
        Smtp?.Dispose();
        Http?.Dispose();
    }

    private string? Refusal(IPAddress from) => _monitors.EventSource(from) is null ? $"no monitored camera at {from}" : null;

    private void Event(IPAddress from, string what)
    {
        if (_monitors.EventSource(from) is { } camera)
        {
            _monitors.Deliver(camera, camera.Monitor.OnEvent(what));
        }
    }

    private SmallResponse Handle(SmallRequest request)
    {
        var path = request.Path.Split('?', 2)[0];
        if (path != "/event")
        {
            return new SmallResponse(404, "only /event is served here", "text/plain");
        }

        if (request.Method is not ("GET" or "POST"))
        {
            return new SmallResponse(405, "GET or POST /event", "text/plain");
        }

        var from = request.Remote.IsIPv4MappedToIPv6 ? request.Remote.MapToIPv4() : request.Remote;
        if (Refusal(from) is { } refusal)
        {
            return new SmallResponse(403, refusal, "text/plain");
        }

        Event(from, "HTTP event");
        return new SmallResponse(200, "accepted", "text/plain");
    }
}
