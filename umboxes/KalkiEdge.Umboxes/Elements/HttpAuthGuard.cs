using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Application;
using KalkiEdge.Umboxes.Common;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated http-auth-guard arguments.</summary>
public sealed record HttpAuthGuardConfig(PortSet? Ports, int MaxLogins, long WindowMicros, long AlertWindowMicros, bool Block, int MaxHeadBytes, int MaxSources)
{
    internal DefaultCredentials Defaults { get; init; } = new([]);
}

/// <summary>
/// KalKi u2/u11: watches HTTP logins toward the device — requests (a TCP segment beginning with a request line)
/// carrying an <c>Authorization: Basic</c> or <c>Digest</c> header, read from the first
/// <c>max-head-bytes</c> of the segment only (no reassembly). A login with factory-default credentials raises
/// <c>default-login</c> (Basic: user and password; Digest: user name only, as Digest never sends the
/// password); more than <c>max-logins</c> logins from one source within <c>window</c> (sliding, frame time)
/// raise <c>max-login-attempts</c>. A login is a request whose Authorization header differs from the previous
/// one of the same source: browsers resend the same Basic credentials with every request, and those are not
/// new attempts (Digest headers change with every request, so each Digest request counts). Alerts are raised, once per source per <c>window</c>; default logins are aggregated once per
/// source per <c>alert-window</c> (default 100ms). Counts tell how many occurrences an alert stands for. With
/// <c>block: true</c> default-credential requests, and logins of a source over the limit, are dropped. Requests without
/// credentials and segments that are not a request head pass. Alert info names the user, never a password.
/// <code>http-auth-guard(ports: [80], defaults: ["admin:admin", "admin:"], max-logins: 5, window: 1min, alert-window: 100ms, block: true)</code>
/// </summary>
public sealed class HttpAuthGuard : Element
{
    private readonly HttpAuthGuardConfig _config;
    private readonly SlidingWindowDetector _logins;
    private readonly SlidingWindowDetector _defaultLogins;
    private readonly SourceTable<int> _lastCredentials;

    public HttpAuthGuard(HttpAuthGuardConfig config)
    {
        _config = config;
        _logins = new SlidingWindowDetector(config.MaxLogins + 1, config.WindowMicros, config.WindowMicros, config.MaxSources);
        _defaultLogins = new SlidingWindowDetector(1, config.AlertWindowMicros, config.AlertWindowMicros, config.MaxSources);
        _lastCredentials = new SourceTable<int>(config.MaxSources, config.WindowMicros);
    }

    /// <summary>Logins whose credentials could not be read (counted as logins, never default ones).</summary>
    public long MalformedCredentials { get; private set; }

    /// <summary>Sources displaced from the full tables.</summary>
    public long Evictions => _logins.Table.Evictions + _defaultLogins.Table.Evictions + _lastCredentials.Evictions;

    internal int TableCapacity => _logins.Table.Capacity;

    public static IElementSpec? Compile(ElementArgs args)
    {
        var ports = MatchArgs.Ports(args, "ports");
        var defaultsNode = args.Node("defaults", "list of user:password");
        var defaults = DefaultCredentials.Parse(args, defaultsNode?.AsList());
        int maxLogins = (int)args.Int("max-logins", 5, 1, 1000);
        long window = args.DurationMicros("window", 60_000_000);
        long alertWindow = CommonArgs.AlertWindowArg(args);
        bool block = args.Bool("block", false);
        int maxHead = (int)args.Int("max-head-bytes", 8192, 256, 65535);
        int sources = CommonArgs.MaxSourcesArg(args);
        TableLimits.CheckEventMemory(args, sources, maxLogins + 1, "max-logins + 1");
        var config = new HttpAuthGuardConfig(ports, maxLogins, window, alertWindow, block, maxHead, sources) { Defaults = defaults };
        return new ElementSpec<HttpAuthGuardConfig>("http-auth-guard", config, static c => new HttpAuthGuard(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            return Verdict.Drop;
        }

        if (frame.Direction != Direction.ToDevice || !frame.IsTcp || frame.PayloadLength == 0
            || (_config.Ports is not null && !_config.Ports.Contains(frame.DstPort))
            || !HttpRequestHead.TryParse(frame.Payload, _config.MaxHeadBytes, out var head)
            || !head.TryGetHeader("Authorization"u8, out var value))
        {
            return Verdict.Forward;
        }

        Span<byte> scratch = stackalloc byte[HttpAuthorization.MaxDecodedBytes];
        if (!HttpAuthorization.TryRead(value, scratch, out var auth))
        {
            return Verdict.Forward;
        }

        if (auth.Malformed)
        {
            MalformedCredentials++;
        }

        long now = frame.TimestampMicros;
        bool drop = false;
        if (IsNewAttempt(frame.SrcIp, value, now))
        {
            var logins = _logins.Record(frame.SrcIp, now);
            if (logins.AlertCount > 0)
            {
                context.Raise(AlertTypes.MaxLoginAttempts, DescribeLogins(frame.SrcIp, logins.AlertCount), count: logins.AlertCount);
            }

            drop |= _config.Block && logins.Over;
        }
        else
        {
            // A repeated login from a source over the limit is as offending as a new one.
            drop |= _config.Block && _logins.IsOver(frame.SrcIp, now);
        }

        var user = auth.Malformed ? null : _config.Defaults.Match(auth.Scheme, auth.User, auth.Password);
        if (user is not null)
        {
            var defaults = _defaultLogins.Record(frame.SrcIp, now);
            if (defaults.AlertCount > 0)
            {
                context.Raise(AlertTypes.DefaultLogin, DescribeDefault(auth.Scheme, user, frame.SrcIp, defaults.AlertCount), count: defaults.AlertCount);
            }

            drop |= _config.Block;
        }

        return drop ? Verdict.Drop : Verdict.Forward;
    }

    /// <summary>Remembers a hash of the source's last Authorization value (per-process seed: not forgeable).</summary>
    private bool IsNewAttempt(UInt128 source, ReadOnlySpan<byte> authorization, long now)
    {
        var hash = new HashCode();
        hash.AddBytes(authorization);
        int h = hash.ToHashCode();
        int slot = _lastCredentials.Acquire(source, now, out bool created);
        bool isNew = created || _lastCredentials[slot] != h;
        _lastCredentials[slot] = h;
        return isNew;
    }

    private string DescribeLogins(UInt128 source, int count)
    {
        var action = _config.Block ? "; further logins dropped" : "";
        return $"more than {_config.MaxLogins} HTTP logins within {Duration.Format(_config.WindowMicros)} from {Ip.Format(source)} ({count} over the limit in this report){action}";
    }

    private string DescribeDefault(HttpAuthScheme scheme, string user, UInt128 source, int count)
    {
        var how = scheme == HttpAuthScheme.Basic
            ? $"HTTP Basic login with the default credentials of user '{user}'"
            : $"HTTP Digest login as default user '{user}' (Digest hides the password: only the user name is checked)";
        var action = _config.Block ? "dropped" : "forwarded";
        return $"{how} from {Ip.Format(source)} ({count} in this report, {action})";
    }
}
