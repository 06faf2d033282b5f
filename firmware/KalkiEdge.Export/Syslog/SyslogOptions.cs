using KalkiEdge.DataPlane;
using KalkiEdge.Export.Net;

namespace KalkiEdge.Export.Syslog;

/// <summary>How EVE events reach a remote syslog collector (RFC 5424 messages).</summary>
public enum SyslogTransport
{
    /// <summary>One message per datagram (RFC 5426).</summary>
    Udp,

    /// <summary>Octet-counted frames over TCP (RFC 6587), unencrypted.</summary>
    Tcp,

    /// <summary>Octet-counted frames over TLS (RFC 5425).</summary>
    Tls,
}

/// <summary>
/// The <c>eve.syslog</c> settings:
/// <c>{ server: 192.0.2.10:6514, transport: tls, ca: /etc/kalki-edge/syslog-ca.pem, facility: local0 }</c>.
/// </summary>
public sealed record SyslogOptions(string Host, int Port, SyslogTransport Transport)
{
    public static readonly string[] Facilities =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
        "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    /// <summary>PEM file of the CA that signed the collector's certificate (TLS); null = the system's trust store.</summary>
    public string? CaFile { get; init; }

    /// <summary>RFC 5424 facility number (default local0 = 16).</summary>
    public int Facility { get; init; } = 16;

    /// <summary>Messages waiting to be sent beyond which new ones are dropped (and counted).</summary>
    public int QueueCapacity { get; init; } = 16_384;

    internal static SyslogOptions? Parse(ElementArgs parent, ArgNode node)
    {
        if (parent.Map(node, "syslog") is not { } args)
        {
            return null;
        }

        int before = args.Diagnostics.Items.Count;
        var server = args.Required("server") is { } s ? args.ScalarText(s) : null;
        var transport = args.Choice("transport", "udp", "udp", "tcp", "tls") switch
        {
            "tcp" => SyslogTransport.Tcp,
            "tls" => SyslogTransport.Tls,
            _ => SyslogTransport.Udp,
        };
        var facility = Array.IndexOf(Facilities, args.Choice("facility", "local0", Facilities));
        string? ca = null;
        if (args.Node("ca") is { } caNode && args.ScalarText(caNode) is { } caPath)
        {
            if (transport != SyslogTransport.Tls)
            {
                args.Error(caNode.At, "'ca' applies only to 'transport: tls'");
            }
            else if (!File.Exists(caPath))
            {
                args.Error(caNode.At, $"CA file '{caPath}' does not exist");
            }

            ca = caPath;
        }

        (string Host, int Port)? endpoint = null;
        if (server is not null)
        {
            endpoint = HostPort.Split(server);
            if (endpoint is null)
            {
                args.Error(args.Node("server")!.At, $"'server' must be HOST:PORT (e.g. {HostPort.Example}), got '{server}'");
            }
        }

        args.RejectUnknown();
        return args.Diagnostics.Items.Count > before || endpoint is not { } e
            ? null
            : new SyslogOptions(e.Host, e.Port, transport) { CaFile = ca, Facility = facility < 0 ? 16 : facility };
    }
}
