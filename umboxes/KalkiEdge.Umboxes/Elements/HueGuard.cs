using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Application;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated hue-guard arguments.</summary>
public sealed record HueGuardConfig(ushort Port, int Tokens, int TokenRequests, long WindowMicros, bool Restrict, string RestrictAlert, long AlertWindowMicros, int MaxHeadBytes, int MaxSources);

/// <summary>
/// KalKi u9/u10, the Philips Hue bridge's HTTP API (<c>/api/&lt;token&gt;/...</c>) toward the device's
/// <c>port</c>. Brute force — at least <c>tokens</c> distinct tokens, or at least <c>token-requests</c>
/// requests for a new token (<c>POST /api</c>, the bridge's user creation), from one source within
/// <c>window</c> (sliding, frame time) — raises <c>brute-force</c> (info says "Hue API"), once per source per
/// window. With <c>restrict: true</c> every request to the API other than GET is dropped and raises
/// <c>restrict-alert</c> (default <c>control-attempt</c>), once per source per <c>alert-window</c> (default 100ms).
/// <code>hue-guard(port: 80, tokens: 5, token-requests: 5, window: 10s, restrict: true, restrict-alert: control-attempt)</code>
/// </summary>
public sealed class HueGuard : Element
{
    private readonly HueGuardConfig _config;
    private readonly DistinctWindowDetector _tokens;
    private readonly SlidingWindowDetector _tokenRequests;
    private readonly SlidingWindowDetector _refused;

    public HueGuard(HueGuardConfig config)
    {
        _config = config;
        _tokens = new DistinctWindowDetector(config.Tokens, config.WindowMicros, config.MaxSources);
        _tokenRequests = new SlidingWindowDetector(config.TokenRequests, config.WindowMicros, config.WindowMicros, config.MaxSources);
        _refused = new SlidingWindowDetector(1, config.AlertWindowMicros, config.AlertWindowMicros, config.MaxSources);
    }

    /// <summary>Sources displaced from the full tables.</summary>
    public long Evictions => _tokens.Evictions + _tokenRequests.Evictions + _refused.Evictions;

    internal int TableCapacity => _tokens.Capacity;

    public static IElementSpec? Compile(ElementArgs args)
    {
        ushort port = (ushort)args.Int("port", 80, 1, 65535);
        int tokens = (int)args.Int("tokens", 5, 2, 1000);
        int tokenRequests = (int)args.Int("token-requests", 5, 1, 1000);
        long window = args.DurationMicros("window", 10_000_000);
        bool restrict = args.Bool("restrict", false);
        string alert = CommonArgs.AlertType(args, "restrict-alert", AlertTypes.ControlAttempt);
        if (!restrict && args.Has("restrict-alert"))
        {
            args.Error(args.Node("restrict-alert")!.At, "'restrict-alert' needs 'restrict: true'");
        }

        long alertWindow = CommonArgs.AlertWindowArg(args);
        if (!restrict && args.Has("alert-window"))
        {
            args.Error(args.Node("alert-window")!.At, "'alert-window' (of the restrict alerts) needs 'restrict: true'");
        }

        int maxHead = (int)args.Int("max-head-bytes", 8192, 256, 65535);
        int sources = CommonArgs.MaxSourcesArg(args);
        TableLimits.CheckEventMemory(args, sources, Math.Max(tokens, tokenRequests), "tokens / token-requests");
        var config = new HueGuardConfig(port, tokens, tokenRequests, window, restrict, alert, alertWindow, maxHead, sources);
        return new ElementSpec<HueGuardConfig>("hue-guard", config, static c => new HueGuard(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            return Verdict.Drop;
        }

        if (frame.Direction != Direction.ToDevice || !frame.IsTcp || frame.DstPort != _config.Port || frame.PayloadLength == 0
            || !HttpRequestHead.TryParse(frame.Payload, _config.MaxHeadBytes, out var head))
        {
            return Verdict.Forward;
        }

        var target = HueApiPath.Classify(head.Path(), out var token);
        if (target == HueApiTarget.Other)
        {
            return Verdict.Forward;
        }

        long now = frame.TimestampMicros;
        bool isGet = head.Method.SequenceEqual("GET"u8);
        if (target == HueApiTarget.Token)
        {
            var d = _tokens.Record(frame.SrcIp, token, now);
            if (d.AlertCount > 0)
            {
                context.Raise(AlertTypes.BruteForce, DescribeBruteForce(frame.SrcIp, $"{_config.Tokens} distinct API tokens", d.AlertCount), count: d.AlertCount);
            }
        }
        else if (head.Method.SequenceEqual("POST"u8))
        {
            var d = _tokenRequests.Record(frame.SrcIp, now);
            if (d.AlertCount > 0)
            {
                context.Raise(AlertTypes.BruteForce, DescribeBruteForce(frame.SrcIp, $"{_config.TokenRequests} requests for a new API token", d.AlertCount), count: d.AlertCount);
            }
        }

        if (!_config.Restrict || isGet)
        {
            return Verdict.Forward;
        }

        var refused = _refused.Record(frame.SrcIp, now);
        if (refused.AlertCount > 0)
        {
            // The method was validated as an upper-case token by the parser: safe to show.
            var method = System.Text.Encoding.ASCII.GetString(head.Method);
            context.Raise(_config.RestrictAlert, $"Hue API {method} request from {Ip.Format(frame.SrcIp)} dropped: the bridge is restricted to GET ({refused.AlertCount} in this report)", count: refused.AlertCount);
        }

        return Verdict.Drop;
    }

    private string DescribeBruteForce(UInt128 source, string what, int count) =>
        $"Hue API brute force from {Ip.Format(source)}: at least {what} within {Duration.Format(_config.WindowMicros)} ({count} over the threshold in this report)";
}
