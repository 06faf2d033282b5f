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
/// KalKi u2/u11: watches HTTP logins toward the device — requests (a TCP segment beginning with a request line,
/// and the requests pipelined after it in the same segment) carrying an <c>Authorization: Basic</c> or
/// <c>Digest</c> header, each head read from at most <c>max-head-bytes</c> (no reassembly: a header in a later
/// segment is not seen) — and the device's answers to them.
/// <para>
/// Every login attempt counts toward <c>max-logins</c> per source within <c>window</c> (sliding, frame time),
/// across keep-alive requests and connections: a credentialed request is an attempt unless it carries the
/// credentials the device last accepted (answered 2xx/3xx on the same connection) from that source — a browser resending accepted Basic
/// credentials, or a Digest client reusing the nonce it logged in with, is not guessing. A 401 answer to a
/// credentialed request not counted yet counts then: every failed login is evidence, whatever it carried
/// (a Digest challenge with <c>stale=true</c> is no failure: the nonce expired, the password was right).
/// More than <c>max-logins</c> raise <c>max-login-attempts</c>.
/// </para>
/// <para>
/// <c>default-login</c> is raised only for a default pair from <c>defaults</c>: Basic by decoding the
/// credentials, Digest by recomputing the response (MD5, SHA-256 and their "-sess" forms; qop auth or none;
/// userhash) for each listed pair of the user — a Digest login as <c>admin</c> with another password is an
/// attempt, not a default login. Default logins are aggregated once per source per <c>alert-window</c>
/// (default 100ms); <c>max-login-attempts</c> once per source per <c>window</c>. Counts tell how many occurrences
/// an alert stands for. With <c>block: true</c> default-credential requests, and logins of a source over the
/// limit, are dropped. Requests without credentials and segments that are not a request head pass. Alert info
/// names the user, never a password.
/// </para>
/// <code>http-auth-guard(ports: [80], defaults: ["admin:admin", "admin:"], max-logins: 5, window: 1min, alert-window: 100ms, block: true)</code>
/// </summary>
public sealed class HttpAuthGuard : Element
{
    /// <summary>Requests read from one segment at most (pipelining); the rest of a longer run passes unread.</summary>
    public const int MaxRequestsPerSegment = 16;

    private readonly HttpAuthGuardConfig _config;
    private readonly SlidingWindowDetector _logins;
    private readonly SlidingWindowDetector _defaultLogins;
    private readonly BoundedTable<FlowKey, PendingLogin> _pending;
    private SetAssociativeTable<UInt128, int>? _accepted; // made at the first accepted login (most devices see none)

    public HttpAuthGuard(HttpAuthGuardConfig config)
    {
        _config = config;
        _logins = new SlidingWindowDetector(config.MaxLogins + 1, config.WindowMicros, config.WindowMicros, config.MaxSources);
        _defaultLogins = new SlidingWindowDetector(1, config.AlertWindowMicros, config.AlertWindowMicros, config.MaxSources);
        _pending = new BoundedTable<FlowKey, PendingLogin>(config.MaxSources);
    }

    /// <summary>Logins whose credentials could not be read (counted as logins, never default ones).</summary>
    public long MalformedCredentials { get; private set; }

    /// <summary>Credentialed requests the device answered 401.</summary>
    public long FailedLogins { get; private set; }

    /// <summary>Sources (and unanswered logins) displaced from the full tables.</summary>
    public long Evictions => _logins.Evictions + _defaultLogins.Evictions + (_accepted?.Evictions ?? 0) + _pending.Evictions;

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

        if (!frame.IsTcp || frame.PayloadLength == 0 || !FlowKey.TryCreate(frame, out var flow))
        {
            return Verdict.Forward;
        }

        if (frame.Direction == Direction.FromDevice)
        {
            if (_config.Ports is null || _config.Ports.Contains(frame.SrcPort))
            {
                ObserveAnswer(frame, flow, context);
            }

            return Verdict.Forward;
        }

        if (_config.Ports is not null && !_config.Ports.Contains(frame.DstPort))
        {
            return Verdict.Forward;
        }

        Span<byte> scratch = stackalloc byte[HttpAuthorization.MaxDecodedBytes];
        var payload = frame.Payload;
        bool drop = false;
        for (int i = 0; i < MaxRequestsPerSegment && HttpRequestHead.TryParse(payload, _config.MaxHeadBytes, out var head); i++)
        {
            if (head.TryGetHeader("Authorization"u8, out var value) && HttpAuthorization.TryRead(value, scratch, out var auth))
            {
                drop |= ObserveLogin(frame, flow, head.Method, auth, context);
            }

            if (!head.TryNextPipelined(out payload))
            {
                break;
            }
        }

        return drop ? Verdict.Drop : Verdict.Forward;
    }

    /// <summary>Counts one credentialed request; true when it is to be dropped.</summary>
    private bool ObserveLogin(Frame frame, in FlowKey flow, ReadOnlySpan<byte> method, scoped in HttpAuthorization auth, ElementContext context)
    {
        if (auth.Malformed)
        {
            MalformedCredentials++;
        }

        long now = frame.TimestampMicros;
        int fingerprint = auth.Fingerprint();
        int accepted = _accepted?.Find(frame.SrcIp, now) ?? -1;
        bool isAttempt = accepted < 0 || _accepted![accepted] != fingerprint;
        _pending.GetOrAdd(flow, now, out _) = new PendingLogin(fingerprint, Counted: isAttempt);

        bool drop = isAttempt
            ? RecordAttempt(frame.SrcIp, now, context)
            : _config.Block && _logins.IsOver(frame.SrcIp, now); // accepted credentials of a source over the limit are as offending

        var user = _config.Defaults.Match(auth, method);
        if (user is not null)
        {
            var defaults = _defaultLogins.Record(frame.SrcIp, now);
            if (defaults.AlertCount > 0)
            {
                context.Raise(AlertTypes.DefaultLogin, DescribeDefault(auth.Scheme, user, frame.SrcIp, defaults.AlertCount), count: defaults.AlertCount);
            }

            drop |= _config.Block;
        }

        return drop;
    }

    /// <summary>
    /// Reads the status of the device's answer to the flow's last credentialed request: 2xx/3xx makes its
    /// credentials the source's accepted ones; 401 is a failed login, counted if the request was not.
    /// </summary>
    private void ObserveAnswer(Frame frame, in FlowKey flow, ElementContext context)
    {
        long now = frame.TimestampMicros;
        ref var pending = ref _pending.Find(flow, now, out bool found);
        if (!found || !HttpStatus.TryRead(frame.Payload, out int status))
        {
            return;
        }

        var login = pending;
        _pending.Remove(flow);
        var source = flow.RemoteIp;
        if (status == 401 && !HttpStatus.IsStaleChallenge(frame.Payload))
        {
            FailedLogins++;
            if (!login.Counted)
            {
                RecordAttempt(source, now, context);
            }
        }
        else if (status is >= 200 and < 400)
        {
            _accepted ??= new SetAssociativeTable<UInt128, int>(TableHash.Address, _config.MaxSources, _config.WindowMicros);
            int slot = _accepted.Acquire(source, now, out _);
            _accepted[slot] = login.Fingerprint;
        }
    }

    /// <summary>Records one login attempt of <paramref name="source"/>; true when the source is over the limit and blocked.</summary>
    private bool RecordAttempt(UInt128 source, long now, ElementContext context)
    {
        var logins = _logins.Record(source, now);
        if (logins.AlertCount > 0)
        {
            context.Raise(AlertTypes.MaxLoginAttempts, DescribeLogins(source, logins.AlertCount), count: logins.AlertCount);
        }

        return _config.Block && logins.Over;
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
            : $"HTTP Digest login with the default credentials of user '{user}' (response recomputed)";
        var action = _config.Block ? "dropped" : "forwarded";
        return $"{how} from {Ip.Format(source)} ({count} in this report, {action})";
    }

    /// <summary>The last credentialed request of a flow still waiting for the device's answer.</summary>
    private readonly record struct PendingLogin(int Fingerprint, bool Counted);
}
