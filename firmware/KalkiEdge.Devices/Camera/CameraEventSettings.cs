using System.Net;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.Camera;

/// <summary>
/// The ports of kalki.yaml's <c>camera-events:</c> (null: not set), with their places for errors. The receivers listen
/// only while a camera is monitored, and only on one address: the device-side address, where unset ports are the ones
/// cameras send to by default (SMTP 25, HTTP 8025); or, in runs without one (the simulation, an idle run), loopback,
/// where unset ports are any free port, so appliances sharing a host never take each other's.
/// </summary>
public sealed record CameraEventPorts(int? Smtp, int? Http)
{
    public const int DefaultSmtp = 25;
    public const int DefaultHttp = 8025;

    public static readonly CameraEventPorts Unset = new(null, null);

    public SourceSpan? SmtpAt { get; init; }

    public SourceSpan? HttpAt { get; init; }

    /// <summary>The ports in force on the device-side address (the set ones, else the defaults).</summary>
    public (int Smtp, int Http) OnDeviceAddress => (Smtp ?? DefaultSmtp, Http ?? DefaultHttp);

    /// <summary>Where the receivers listen for an appliance with <paramref name="deviceAddress"/> (null: loopback, free ports unless set).</summary>
    public CameraEventEndpoints At(IPAddress? deviceAddress) => deviceAddress is null
        ? new CameraEventEndpoints(IPAddress.Loopback, Smtp ?? 0, Http ?? 0)
        : new CameraEventEndpoints(deviceAddress, OnDeviceAddress.Smtp, OnDeviceAddress.Http);
}

/// <summary>
/// Site config <c>camera-events:</c>, where monitored cameras push motion: the SMTP port their motion e-mail goes to
/// and the HTTP port of <c>/event</c> (both on the device-side address; set in each camera's own settings):
/// <code>
/// camera-events: {smtp-port: 2525, http-port: 8025}
/// </code>
/// </summary>
public static class CameraEventSettings
{
    public const string Section = "camera-events";

    /// <summary>The section's ports (absent: unset); every error, with its place, goes to <paramref name="diagnostics"/>.</summary>
    public static CameraEventPorts Read(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (!sections.TryGetValue(Section, out var node) || ConfigSection.Args(Section, node, diagnostics) is not { } a)
        {
            return CameraEventPorts.Unset;
        }

        var smtpAt = a.Node("smtp-port")?.At;
        var httpAt = a.Node("http-port")?.At;
        int? smtp = smtpAt is null ? null : (int)a.Int("smtp-port", CameraEventPorts.DefaultSmtp, 1, 65535);
        int? http = httpAt is null ? null : (int)a.Int("http-port", CameraEventPorts.DefaultHttp, 1, 65535);
        a.RejectUnknown();
        var ports = new CameraEventPorts(smtp, http) { SmtpAt = smtpAt, HttpAt = httpAt };
        var (s, h) = ports.OnDeviceAddress;
        if (s == h)
        {
            diagnostics.Error(httpAt ?? smtpAt ?? node.At, $"{Section}: smtp-port and http-port are both {s}: the two receivers need a port each");
        }

        return ports;
    }
}
