using System.Globalization;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Host.Management;

/// <summary>
/// Site config <c>management: { listen: HOST:PORT, control-socket: PATH }</c>. <c>listen</c> is the HTTP address
/// (GET /health); <c>control-socket</c> is the operator's local Unix socket (<see cref="OperatorApi"/>).
/// </summary>
public sealed record ManagementSettings(string Listen, string ControlSocket)
{
    public const string Section = "management";
    public const string DefaultListen = "127.0.0.1:8080";

    /// <summary>
    /// Where the control socket lives when the config does not say: systemd's RuntimeDirectory (the image's
    /// service: /run/kalki-edge), /run/kalki-edge for root, else the user's runtime directory, else a per-user
    /// directory in /tmp. The CLI resolves it the same way, so `sudo kalki-edge reset` finds the service.
    /// </summary>
    public static string DefaultControlSocket => ControlSocketEnvironment.Current.DefaultControlSocket;

    /// <summary>Reads the section (absent = defaults); every error, with its line, goes to <paramref name="diagnostics"/>.</summary>
    public static ManagementSettings Read(IReadOnlyDictionary<string, ArgNode> sections, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (!sections.TryGetValue(Section, out var node))
        {
            return new ManagementSettings(DefaultListen, DefaultControlSocket);
        }

        var args = ConfigSection.Args(Section, node, diagnostics);
        if (args is null)
        {
            return new ManagementSettings(DefaultListen, DefaultControlSocket);
        }

        var listen = args.String("listen", DefaultListen);
        var socket = args.String("control-socket", DefaultControlSocket);
        args.RejectUnknown();
        var colon = listen.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _)
            || (listen[..colon] is var host && host != "localhost" && !System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _)))
        {
            diagnostics.Error(args.Node("listen")?.At ?? node.At, $"management: 'listen' must be ADDRESS:PORT (e.g. {DefaultListen}), got '{listen}'");
        }

        // sun_path holds 108 bytes including the terminator; a relative path would depend on the working directory.
        if (!Path.IsPathRooted(socket) || System.Text.Encoding.UTF8.GetByteCount(socket) > 107)
        {
            diagnostics.Error(args.Node("control-socket")?.At ?? node.At, $"management: 'control-socket' must be an absolute path of at most 107 bytes, got '{socket}'");
        }

        return new ManagementSettings(listen, socket);
    }
}
