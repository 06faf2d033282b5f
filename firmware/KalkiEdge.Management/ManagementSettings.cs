using System.Globalization;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Management;

/// <summary>
/// Site config <c>management: { listen: HOST:PORT, control-socket: PATH, certificate: PATH, key: PATH, metrics: auth|open }</c>.
/// <c>listen</c> is the dashboard's address: plain HTTP only on loopback, HTTPS (with the certificate first boot makes,
/// <c>DATA_DIR/keys/tls.crt</c> and <c>tls.key</c>) anywhere else; <c>control-socket</c> is the operator's local Unix
/// socket (<see cref="OperatorApi"/>); <c>metrics: open</c> serves /metrics without authentication.
/// </summary>
public sealed record ManagementSettings(string Listen, string ControlSocket)
{
    public string? Certificate { get; init; }

    public string? Key { get; init; }

    public bool MetricsOpen { get; init; }

    /// <summary>True when the config names the control socket; false when it is the instance's default.</summary>
    public bool ControlSocketNamed { get; init; }

    /// <summary>The program POST /api/update installs bundles with (the image's RAUC; tests name another).</summary>
    public string Rauc { get; init; } = Appliance.Update.BundleInstaller.DefaultRauc;

    /// <summary>Loopback addresses may serve plain HTTP: nothing leaves the appliance.</summary>
    public bool IsLoopback
    {
        get
        {
            var host = Listen[..Listen.LastIndexOf(':')].Trim('[', ']');
            return host == "localhost" || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
        }
    }

    public const string Section = "management";
    public const string DefaultListen = "127.0.0.1:8080";

    /// <summary>
    /// The service's control socket, where the CLI looks when it is given no config: systemd's RuntimeDirectory (the
    /// image's service: /run/kalki-edge), /run/kalki-edge for root, else the user's runtime directory, else a
    /// per-user directory in /tmp. So `sudo kalki-edge reset` finds the service.
    /// </summary>
    public static string DefaultControlSocket => ControlSocketEnvironment.Current.DefaultControlSocket;

    /// <summary>
    /// Reads the section (absent = defaults); every error, with its line, goes to <paramref name="diagnostics"/>.
    /// Without <c>control-socket</c>, the socket is the instance's (<see cref="ControlSocketEnvironment.ControlSocketFor"/>):
    /// under systemd the unit's, otherwise <c>DATA_DIR/control.sock</c>.
    /// </summary>
    public static ManagementSettings Read(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics, string dataDir = "")
    {
        ArgumentNullException.ThrowIfNull(sections);
        var keys = Path.Combine(dataDir, "keys");
        var instanceSocket = ControlSocketEnvironment.Current.ControlSocketFor(dataDir);
        var defaults = new ManagementSettings(DefaultListen, instanceSocket) { Certificate = Path.Combine(keys, "tls.crt"), Key = Path.Combine(keys, "tls.key") };
        if (!sections.TryGetValue(Section, out var node))
        {
            CheckSocketPath(instanceSocket, null, diagnostics);
            return defaults;
        }

        var args = ConfigSection.Args(Section, node, diagnostics);
        if (args is null)
        {
            return defaults;
        }

        var listen = args.String("listen", DefaultListen);
        var socket = args.String("control-socket", instanceSocket);
        var certificate = args.String("certificate", defaults.Certificate!);
        var key = args.String("key", defaults.Key!);
        var metricsOpen = args.Choice("metrics", "auth", "auth", "open") == "open";
        args.RejectUnknown();
        var colon = listen.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || (listen[..colon] is var host && host != "localhost" && !System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _)))
        {
            diagnostics.Error(args.Node("listen")?.At ?? node.At, $"management: 'listen' must be ADDRESS:PORT (e.g. {DefaultListen}), got '{listen}'");
        }

        CheckSocketPath(socket, args.Node("control-socket") is { } named ? named.At : null, diagnostics, node.At);
        return new ManagementSettings(listen, socket) { Certificate = certificate, Key = key, MetricsOpen = metricsOpen, ControlSocketNamed = args.Node("control-socket") is not null };
    }

    /// <summary>
    /// sun_path holds 108 bytes including the terminator; a relative path would depend on the working directory.
    /// <paramref name="named"/> is where the config names the socket, null when it is the instance's default.
    /// </summary>
    private static void CheckSocketPath(string socket, SourceSpan? named, DiagnosticBag diagnostics, SourceSpan? section = null)
    {
        if (Path.IsPathRooted(socket) && System.Text.Encoding.UTF8.GetByteCount(socket) <= 107)
        {
            return;
        }

        if (named is { } at)
        {
            diagnostics.Error(at, $"management: 'control-socket' must be an absolute path of at most 107 bytes, got '{socket}'");
        }
        else
        {
            diagnostics.Error(section ?? SourceSpan.None("site config"), $"management: the default control socket '{socket}' (in the data directory) is longer than a socket address's 107 bytes: set management.control-socket to a shorter absolute path");
        }
    }
}
