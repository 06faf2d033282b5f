using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Devices.Camera;

/// <summary>The ports the camera event receivers listen on, on the appliance's device-side address.</summary>
public sealed record CameraEventPorts(int Smtp, int Http)
{
    public static readonly CameraEventPorts Default = new(25, 8025);
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

    /// <summary>The section's ports (absent: the defaults); every error, with its place, goes to <paramref name="diagnostics"/>.</summary>
    public static CameraEventPorts Read(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(sections);
        ArgumentNullException.ThrowIfNull(diagnostics);
        if (!sections.TryGetValue(Section, out var node) || ConfigSection.Args(Section, node, diagnostics) is not { } a)
        {
            return CameraEventPorts.Default;
        }

        var smtp = (int)a.Int("smtp-port", CameraEventPorts.Default.Smtp, 1, 65535);
        var http = (int)a.Int("http-port", CameraEventPorts.Default.Http, 1, 65535);
        a.RejectUnknown();
        if (smtp == http)
        {
            diagnostics.Error(a.Node("http-port")?.At ?? a.Node("smtp-port")?.At ?? node.At, $"{Section}: smtp-port and http-port are both {smtp}: the two receivers need a port each");
        }

        return new CameraEventPorts(smtp, http);
    }
}
