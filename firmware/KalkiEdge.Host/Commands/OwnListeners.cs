using System.Globalization;
using System.Net;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Management;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// The appliance's own listeners. On the device-side address the appliance answers only its own connections and the
/// monitored cameras' events, so the management server may not listen there, nor on every address while there is one.
/// And each listener has a port of its own: the camera event receivers (<c>camera-events:</c>, whose two ports
/// <see cref="CameraEventSettings"/> keeps apart) never share the management server's, compared whatever the addresses,
/// so no later change of address can make two collide. Run by <c>check</c> and before <c>run</c> starts anything.
/// </summary>
internal static class OwnListeners
{
    public static void Check(SiteConfig config, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(diagnostics);
        var quiet = new DiagnosticBag(); // the sections' own errors are reported where they are read
        var listen = ManagementSettings.Read(config.Sections, quiet).Listen;
        var colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var managementPort))
        {
            return;
        }

        var deviceSide = config.Sections.TryGetValue("interfaces", out var interfaces) ? InterfacesConfig.Parse(interfaces, quiet)?.DeviceAddress : null;
        if (deviceSide is not null && IPAddress.TryParse(listen[..colon].Trim('[', ']'), out var host)
            && (host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any) || host.Equals(IPAddress.Parse(Ip.Format(deviceSide.Address)))))
        {
            diagnostics.Error(ListenAt(config), $"management: listen {listen} would serve the dashboard on the device-side address {Ip.Format(deviceSide.Address)}, where the appliance answers only its own connections: listen on a management address or loopback");
        }

        var cameras = CameraEventSettings.Read(config.Sections, quiet);
        var (smtpDefault, httpDefault) = cameras.OnDeviceAddress;
        Compare("smtp-port", "SMTP", cameras.Smtp ?? (deviceSide is not null ? smtpDefault : null), cameras.SmtpAt);
        Compare("http-port", "HTTP event", cameras.Http ?? (deviceSide is not null ? httpDefault : null), cameras.HttpAt);

        void Compare(string key, string receiver, int? port, SourceSpan? at)
        {
            if (port != managementPort)
            {
                return;
            }

            if (at is { } set)
            {
                diagnostics.Error(set, $"{CameraEventSettings.Section}: {key} {port} is the management server's port (management listen {listen}): each of the appliance's listeners needs a port of its own");
            }
            else
            {
                diagnostics.Error(ListenAt(config), $"management: listen port {port} is the camera {receiver} receiver's port on the device-side address ({CameraEventSettings.Section} {key} by default): choose another, or set {CameraEventSettings.Section}: {{{key}: N}}");
            }
        }
    }

    private static SourceSpan ListenAt(SiteConfig config) =>
        config.Sections.TryGetValue(ManagementSettings.Section, out var node)
            ? ConfigSection.Args(ManagementSettings.Section, node, new DiagnosticBag())?.Node("listen")?.At ?? node.At
            : SourceSpan.None(config.File);
}
