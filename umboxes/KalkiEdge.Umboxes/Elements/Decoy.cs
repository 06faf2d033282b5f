using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Application;

namespace KalkiEdge.Umboxes.Elements;

/// <summary>Validated decoy arguments.</summary>
public sealed record DecoyConfig(string Protocol, ushort Port, string Path, bool Answer, int InitialState, long AlertWindowMicros, string Alert, int MaxHeadBytes, int MaxSources)
{
    internal byte[] PathBytes { get; } = System.Text.Encoding.ASCII.GetBytes(Path);
}

/// <summary>
/// KalKi u8: answers the device's control protocol itself, from a simulated state, so control requests never
/// reach the device. <c>protocol: wemo</c> — Belkin WeMo UPnP basicevent: an HTTP POST toward the device's
/// <c>port</c> and <c>path</c> carrying SetBinaryState (changes the simulated BinaryState, starting at
/// <c>state</c>) or GetBinaryState is answered with the plug's SOAP reply; any other action on that path with a
/// UPnP fault (401 Invalid Action; 402 Invalid Args for a SetBinaryState without a 0/1 BinaryState in the
/// segment). The reply is a complete frame (<see cref="Verdict.Reply"/>). Set and unknown actions raise
/// <c>alert</c> (default <c>control-attempt</c>) once per source per <c>alert-window</c> (default 100ms), the
/// count telling how many attempts each alert stands for; Get is answered silently. All other traffic passes.
/// The TCP handshake still reaches the device: the decoy answers the request segment in the device's place
/// (its sequence numbers), so the device never sees the request. With <c>answer: false</c> the decoy only
/// reports: control requests reach the device and raise the alert (the Normal-state watch before the decoy
/// is deployed).
/// <code>decoy(protocol: wemo, port: 49153, path: /upnp/control/basicevent1, answer: true, state: 0, alert-window: 100ms)</code>
/// </summary>
public sealed class Decoy : Element
{
    private readonly DecoyConfig _config;
    private readonly SlidingWindowDetector _attempts;
    private int _state;

    public Decoy(DecoyConfig config)
    {
        _config = config;
        _state = config.InitialState;
        _attempts = new SlidingWindowDetector(1, config.AlertWindowMicros, config.AlertWindowMicros, config.MaxSources);
    }

    /// <summary>Sources displaced from the full alert-aggregation table.</summary>
    public long Evictions => _attempts.Evictions;

    internal int TableCapacity => _attempts.Table.Capacity;

    /// <summary>The simulated BinaryState the decoy reports.</summary>
    public int SimulatedState => _state;

    public static IElementSpec? Compile(ElementArgs args)
    {
        var protocol = args.Choice("protocol", "wemo", "wemo");
        ushort port = (ushort)args.Int("port", 49153, 1, 65535);
        var path = args.String("path", "/upnp/control/basicevent1");
        if (path.Length == 0 || path[0] != '/' || path.Length > 256 || !System.Text.Ascii.IsValid(path) || path.Any(c => c <= ' '))
        {
            args.Error(args.Node("path")?.At ?? args.At, $"'path' must be an absolute HTTP path like /upnp/control/basicevent1 (printable ASCII, at most 256 characters), got '{path}'");
        }

        bool answer = args.Bool("answer", true);
        int state = (int)args.Int("state", 0, 0, 1);
        if (!answer && args.Has("state"))
        {
            args.Error(args.Node("state")!.At, "'state' (the simulated state) needs 'answer: true'");
        }

        long alertWindow = CommonArgs.AlertWindowArg(args);
        string alert = CommonArgs.AlertType(args, "alert", AlertTypes.ControlAttempt);
        int maxHead = (int)args.Int("max-head-bytes", 8192, 256, 65535);
        int sources = CommonArgs.MaxSourcesArg(args);
        var config = new DecoyConfig(protocol, port, path, answer, state, alertWindow, alert, maxHead, sources);
        return new ElementSpec<DecoyConfig>("decoy", config, static c => new Decoy(c));
    }

    public override Verdict Process(Frame frame, ElementContext context)
    {
        if (!frame.Decode())
        {
            return Verdict.Drop;
        }

        if (frame.Direction != Direction.ToDevice || !frame.IsTcp || frame.DstPort != _config.Port || frame.PayloadLength == 0
            || !HttpRequestHead.TryParse(frame.Payload, _config.MaxHeadBytes, out var head)
            || !head.Method.SequenceEqual("POST"u8) || !Ascii.EqualsIgnoreCase(head.Path(), _config.PathBytes))
        {
            return Verdict.Forward;
        }

        var action = WemoBasicEvent.Identify(head);
        if (!_config.Answer)
        {
            if (action != WemoAction.GetBinaryState)
            {
                Report(context, frame.SrcIp, frame.TimestampMicros, action, WemoBasicEvent.RequestedState(head.Body));
            }

            return Verdict.Forward;
        }

        int fault = 0;
        int previous = _state;
        switch (action)
        {
            case WemoAction.SetBinaryState:
                int requested = WemoBasicEvent.RequestedState(head.Body);
                if (requested < 0)
                {
                    fault = WemoBasicEvent.InvalidArgs;
                }
                else
                {
                    _state = requested;
                }

                break;
            case WemoAction.Unknown:
                fault = WemoBasicEvent.InvalidAction;
                break;
        }

        if (!WriteReply(frame, context.Reply, action, fault))
        {
            return Verdict.Drop; // cannot happen with the bounded replies above; never forward to the device
        }

        if (action != WemoAction.GetBinaryState)
        {
            var d = _attempts.Record(frame.SrcIp, frame.TimestampMicros);
            if (d.AlertCount > 0)
            {
                context.Raise(_config.Alert, DescribeAnswered(frame.SrcIp, action, fault, previous, d.AlertCount), count: d.AlertCount);
            }
        }

        return Verdict.Reply;
    }

    private bool WriteReply(Frame request, Frame reply, WemoAction action, int fault)
    {
        Span<byte> http = stackalloc byte[1024];
        var w = new ByteWriter(http);
        WemoBasicEvent.WriteResponse(ref w, action, _state, fault);
        int headers = TcpReplyWriter.HeaderLength(request);
        if (w.Overflowed)
        {
            return false;
        }

        var back = request.Direction == Direction.ToDevice ? Direction.FromDevice : Direction.ToDevice;
        var bytes = reply.Prepare(headers + w.Length, request.TimestampMicros, back);
        w.Written.CopyTo(bytes[headers..]);
        TcpReplyWriter.WriteHeaders(request, bytes, w.Length);
        return true;
    }

    private void Report(ElementContext context, UInt128 source, long now, WemoAction action, int requested)
    {
        var d = _attempts.Record(source, now);
        if (d.AlertCount > 0)
        {
            var what = action == WemoAction.SetBinaryState
                ? (requested >= 0 ? $"WeMo SetBinaryState({requested})" : "WeMo SetBinaryState")
                : "unknown WeMo basicevent action";
            context.Raise(_config.Alert, $"{what} from {Ip.Format(source)} reached the device (decoy reporting only; {d.AlertCount} in this report)", count: d.AlertCount);
        }
    }

    private string DescribeAnswered(UInt128 source, WemoAction action, int fault, int previous, int count)
    {
        var what = action switch
        {
            WemoAction.SetBinaryState when fault == 0 => $"WeMo SetBinaryState({_state}) answered by the decoy (simulated BinaryState {previous} -> {_state})",
            WemoAction.SetBinaryState => "WeMo SetBinaryState without a valid BinaryState refused by the decoy (UPnP fault 402)",
            _ => "unknown WeMo basicevent action refused by the decoy (UPnP fault 401)",
        };
        return $"{what}; from {Ip.Format(source)}, the device was not reached ({count} in this report)";
    }
}
