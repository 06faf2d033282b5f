using System.Text.RegularExpressions;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Net;

namespace KalkiEdge.Export.Fleet;

/// <summary>
/// The site config's <c>fleet:</c> section: the site's MQTT broker and how this appliance speaks to it.
/// <c>{ broker: "mqtt.site:8883", appliance-id: gw-3, topic-root: kalki, ca: ca.pem, certificate: gw-3.crt,
/// key: gw-3.key, operators: [alice], queue-limit: 100000, summary-interval: 60s }</c>.
/// </summary>
public sealed partial record FleetSettings(string Host, int Port, string ApplianceId)
{
    public const string Section = "fleet";
    public const int DefaultQueueLimit = 100_000;

    public string TopicRoot { get; init; } = "kalki";

    /// <summary>TLS to the broker (the default; plain MQTT is allowed only to a loopback broker).</summary>
    public bool Tls { get; init; } = true;

    /// <summary>PEM file of the CA that signed the broker's certificate; null = the system's trust store.</summary>
    public string? CaFile { get; init; }

    /// <summary>The appliance's client certificate and its private key (PEM), when the broker asks for one.</summary>
    public string? CertificateFile { get; init; }

    public string? KeyFile { get; init; }

    public string? Username { get; init; }

    /// <summary>A file holding the broker password (never the password itself in kalki.yaml).</summary>
    public string? PasswordFile { get; init; }

    /// <summary>Operator identities whose commands this appliance carries out; empty = it takes no commands.</summary>
    public IReadOnlyList<string> Operators { get; init; } = [];

    /// <summary>Messages kept on disk while the broker is away; beyond, the oldest are dropped and counted.</summary>
    public int QueueLimit { get; init; } = DefaultQueueLimit;

    /// <summary>How often health (retained) and a telemetry summary are published.</summary>
    public TimeSpan SummaryInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Parses the section (null node = no fleet); null when any error was reported. Relative paths are taken from <paramref name="baseDir"/>.</summary>
    public static FleetSettings? FromSection(ArgNode? section, string baseDir, DiagnosticBag diagnostics)
    {
        if (section is null || ConfigSection.Args(Section, section, diagnostics) is not { } args)
        {
            return null;
        }

        int before = diagnostics.Items.Count;
        (string Host, int Port)? broker = null;
        if (args.Required("broker", "HOST:PORT") is { } b && args.ScalarText(b) is { } text && (broker = HostPort.Split(text)) is null)
        {
            args.Error(b.At, $"'broker' must be HOST:PORT (e.g. {HostPort.Example}), got '{text}'");
        }

        var id = Name(args, "appliance-id", DefaultApplianceId(), "a letter or digit and up to 63 letters, digits, '.', '_' or '-'");
        var root = args.String("topic-root", "kalki");
        if (!TopicRootPattern().IsMatch(root))
        {
            args.Error(args.Node("topic-root")!.At, $"'topic-root' must be topic levels of letters, digits, '.', '_' or '-' joined by '/' (no wildcards, no leading or trailing '/'), got '{root}'");
        }

        var tls = args.Bool("tls", true);
        if (!tls && broker is { } plain && !HostPort.IsLoopback(plain.Host))
        {
            args.Error(args.Node("tls")!.At, $"plain MQTT is allowed only to a broker on this machine (loopback); '{plain.Host}' needs 'tls: true'");
        }

        var ca = ExistingFile(args, baseDir, "ca");
        var certificate = ExistingFile(args, baseDir, "certificate");
        var key = ExistingFile(args, baseDir, "key");
        if ((certificate is null) != (key is null) && args.Node(certificate is null ? "key" : "certificate") is { } lone)
        {
            args.Error(lone.At, "'certificate' and 'key' go together: the client certificate and its private key");
        }

        if (!tls && (ca ?? certificate) is not null)
        {
            args.Error(args.Node("tls")!.At, "'ca', 'certificate' and 'key' need 'tls: true'");
        }

        var username = args.Node("username") is { } u ? args.ScalarText(u) : null;
        var password = ExistingFile(args, baseDir, "password-file");
        if (password is not null && username is null)
        {
            args.Error(args.Node("password-file")!.At, "'password-file' needs 'username'");
        }

        var operators = new List<string>();
        foreach (var node in args.List("operators"))
        {
            if (args.ScalarText(node) is { } op)
            {
                if (!NamePattern().IsMatch(op))
                {
                    args.Error(node.At, $"an operator identity is a letter or digit and up to 63 letters, digits, '.', '_' or '-' (the broker user name), got '{op}'");
                }
                else if (!operators.Contains(op, StringComparer.Ordinal))
                {
                    operators.Add(op);
                }
            }
        }

        var limit = (int)args.Int("queue-limit", DefaultQueueLimit, 1, 10_000_000);
        var interval = args.DurationMicros("summary-interval", 60_000_000, 1_000_000);
        args.RejectUnknown();
        if (diagnostics.Items.Count > before || broker is not { } endpoint)
        {
            return null;
        }

        return new FleetSettings(endpoint.Host, endpoint.Port, id)
        {
            TopicRoot = root,
            Tls = tls,
            CaFile = ca,
            CertificateFile = certificate,
            KeyFile = key,
            Username = username,
            PasswordFile = password,
            Operators = operators,
            QueueLimit = limit,
            SummaryInterval = TimeSpan.FromMicroseconds(interval),
        };
    }

    /// <summary>The host name, when it is a usable identity (else a name must be configured).</summary>
    private static string DefaultApplianceId() => NamePattern().IsMatch(Environment.MachineName) ? Environment.MachineName : "";

    private static string Name(ElementArgs args, string key, string fallback, string rule)
    {
        var value = args.String(key, fallback);
        if (!NamePattern().IsMatch(value))
        {
            args.Error(args.Node(key)?.At ?? args.At, value.Length == 0 ? $"'{key}' is required: the host name is not usable as one ({rule})" : $"'{key}' must be {rule}, got '{value}'");
        }

        return value;
    }

    private static string? ExistingFile(ElementArgs args, string baseDir, string key)
    {
        if (args.Path(key, null) is not { } path)
        {
            return null;
        }

        var full = System.IO.Path.Combine(baseDir, path);
        if (!File.Exists(full))
        {
            args.Error(args.Node(key)!.At, $"'{key}': file '{full}' does not exist");
            return null;
        }

        return full;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+){0,7}$")]
    private static partial Regex TopicRootPattern();
}
