using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Export.Events;

namespace KalkiEdge.Export.Eve;

/// <summary>
/// Writes events as EVE JSON, Suricata's event format, one object per line. Alerts are <c>event_type: alert</c>
/// with Suricata's fields; the appliance's other events use documented custom types (<see cref="TransitionType"/>).
/// Everything Suricata has no field for goes into a <c>kalki</c> object. Strings from the network or a config are
/// escaped by the JSON writer (control characters become <c>\uXXXX</c>) and cut to a bounded length, so one line
/// stays bounded whatever an element put in an alert.
/// </summary>
public static class EveFormat
{
    public const string AlertType = "alert";
    public const string TransitionType = "kalki_transition";
    public const string PairingType = "kalki_pairing";

    /// <summary>Longest alert text (<c>kalki.info</c>, an IPS rule's message) kept, in characters.</summary>
    public const int MaxInfoChars = 1024;

    /// <summary>Longest name (device, pack, state, chain, element, rule, interface) kept, in characters.</summary>
    public const int MaxNameChars = 256;

    private const string Cut = "…[cut]";

    // Relaxed: non-ASCII stays readable in a SIEM; quotes, backslashes and every control character are still escaped.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Appends one event as a JSON object and a newline.</summary>
    public static void WriteLine(ApplianceEvent e, IBufferWriter<byte> output)
    {
        WriteObject(e, output);
        output.Write("\n"u8);
    }

    /// <summary>
    /// Appends one event and a newline through a writer the caller keeps (made by <see cref="CreateWriter"/>), so a
    /// sink writing many events allocates no JSON writer per event.
    /// </summary>
    public static void WriteLine(ApplianceEvent e, Utf8JsonWriter reused, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(reused);
        reused.Reset(output);
        Write(e, reused);
        reused.Flush();
        output.Write("\n"u8);
    }

    /// <summary>A JSON writer with the EVE options, for <see cref="WriteLine(ApplianceEvent, Utf8JsonWriter, IBufferWriter{byte})"/>.</summary>
    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> output) => new(output, Options);

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Json)? _lineWriter;

    /// <summary>
    /// One event as a new array holding its JSON object and a newline, written through this thread's reused buffer
    /// and JSON writer (the only allocation is the result). Sinks read it through the event's cached line.
    /// </summary>
    internal static byte[] Line(ApplianceEvent e)
    {
        if (_lineWriter is not { } lw)
        {
            var buffer = new ArrayBufferWriter<byte>(1024);
            lw = (buffer, CreateWriter(buffer));
            _lineWriter = lw;
        }

        lw.Buffer.ResetWrittenCount();
        WriteLine(e, lw.Json, lw.Buffer);
        var line = lw.Buffer.WrittenSpan.ToArray();
        if (lw.Buffer.Capacity > 64 * 1024)
        {
            _lineWriter = null; // one huge event does not pin its buffer to the thread
        }

        return line;
    }

    /// <summary>Appends one event as a JSON object (no newline).</summary>
    public static void WriteObject(ApplianceEvent e, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, Options);
        Write(e, w);
    }

    /// <summary>Writes one event as a JSON object (the dashboard's event stream uses this too).</summary>
    public static void Write(ApplianceEvent e, Utf8JsonWriter w)
    {
        switch (e)
        {
            case AlertEvent a:
                WriteAlert(a, w);
                break;
            case TransitionOccurred t:
                WriteTransition(t, w);
                break;
            case PairingOccurred p:
                WritePairing(p, w);
                break;
            default:
                throw new ArgumentException($"no EVE form for {e.GetType().Name}", nameof(e));
        }
    }

    private static void WriteAlert(AlertEvent e, Utf8JsonWriter w)
    {
        var alert = e.Alert;
        w.WriteStartObject();
        WriteTimestamp(w, alert.TimeMicros);
        if (alert.Flow is { } flow)
        {
            w.WriteNumber("flow_id", flow.Id);
        }

        if (alert.FrameNumber is { } n)
        {
            w.WriteNumber("pcap_cnt", n);
        }

        if (alert.Interface is { } iface)
        {
            w.WriteString("in_iface", Bounded(iface, MaxNameChars));
        }

        w.WriteString("event_type", AlertType);
        if (alert.Flow is { } f)
        {
            WriteAddresses(w, f);
        }

        var signature = AlertSignatures.For(alert);
        w.WriteStartObject("alert");
        if (alert.Action != AlertAction.None)
        {
            w.WriteString("action", alert.Action == AlertAction.Blocked ? "blocked" : "allowed");
        }

        w.WriteNumber("gid", signature.Gid);
        w.WriteNumber("signature_id", signature.SignatureId);
        w.WriteNumber("rev", signature.Rev);
        w.WriteString("signature", Bounded(signature.Signature, MaxInfoChars));
        if (signature.Category is { } category)
        {
            w.WriteString("category", Bounded(category, MaxNameChars));
        }

        w.WriteNumber("severity", signature.Severity);
        w.WriteEndObject();

        w.WriteStartObject("kalki");
        WriteDevice(w, alert.Device, e.Context);
        WriteOptional(w, "element", alert.Element);
        w.WriteNumber("count", alert.Count);
        w.WriteString("type", Bounded(alert.Type, MaxNameChars));
        w.WriteString("source", SourceName(alert.Source));
        w.WriteString("info", Bounded(alert.Info, MaxInfoChars));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteTransition(TransitionOccurred e, Utf8JsonWriter w)
    {
        var t = e.Transition;
        w.WriteStartObject();
        WriteTimestamp(w, t.StimulusMicros);
        w.WriteString("event_type", TransitionType);
        w.WriteStartObject("kalki");
        WriteDevice(w, t.Device, e.Context with { State = t.To, Chain = t.Image });
        w.WriteString("from", Bounded(t.From, MaxNameChars));
        w.WriteString("to", Bounded(t.To, MaxNameChars));
        w.WriteString("rule", Bounded(t.Rule, MaxNameChars));
        w.WriteString("alert_type", Bounded(t.AlertType, MaxNameChars));
        w.WriteBoolean("fail_closed", t.FailClosed);
        w.WriteNumber("reaction_us", t.ReactionMicros);
        w.WriteStages(t);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WritePairing(PairingOccurred e, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteTimestamp(w, e.TimeMicros);
        w.WriteString("event_type", PairingType);
        w.WriteStartObject("kalki");
        if (e.Device.Length > 0)
        {
            WriteDevice(w, e.Device, e.Context);
        }

        w.WriteString("result", e.Outcome switch { PairingOutcome.Accepted => "accepted", PairingOutcome.Rejected => "rejected", _ => "cancelled" });
        WriteOptional(w, "mac", e.Mac);
        if (e.Outcome != PairingOutcome.Cancelled)
        {
            w.WriteNumber("confidence", e.Confidence);
            w.WriteBoolean("needs_review", e.NeedsReview);
        }

        w.WriteString("detail", Bounded(e.Detail, MaxInfoChars));
        if (e.Evidence is not null)
        {
            w.WriteString("evidence", Bounded(e.Evidence, MaxInfoChars));
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteTimestamp(Utf8JsonWriter w, long micros)
    {
        Span<char> text = stackalloc char[EveTimestamp.Length];
        w.WriteString("timestamp", text[..EveTimestamp.Format(micros, text)]);
    }

    private static void WriteAddresses(Utf8JsonWriter w, FlowTuple flow)
    {
        WriteIp(w, "src_ip", flow.SourceIp);
        if (flow.HasPorts)
        {
            w.WriteNumber("src_port", flow.SourcePort);
        }

        WriteIp(w, "dest_ip", flow.DestinationIp);
        if (flow.HasPorts)
        {
            w.WriteNumber("dest_port", flow.DestinationPort);
        }

        w.WriteString("proto", ProtocolName(flow.Protocol));
    }

    /// <summary>An address as text; IPv4 (the common case) without allocating.</summary>
    private static void WriteIp(Utf8JsonWriter w, string name, UInt128 ip)
    {
        if (!Ip.IsV4(ip))
        {
            w.WriteString(name, Ip.Format(ip));
            return;
        }

        var v = (uint)ip;
        Span<char> text = stackalloc char[15];
        int n = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            ((v >> shift) & 255).TryFormat(text[n..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            n += written;
            if (shift > 0)
            {
                text[n++] = '.';
            }
        }

        w.WriteString(name, text[..n]);
    }

    private static void WriteDevice(Utf8JsonWriter w, string device, DeviceContext context)
    {
        w.WriteString("device", Bounded(device, MaxNameChars));
        WriteOptional(w, "pack", context.Pack);
        WriteOptional(w, "state", context.State);
        WriteOptional(w, "chain", context.Chain);
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, Bounded(value, MaxNameChars));
        }
    }

    /// <summary>Suricata's protocol names (IANA keywords, upper case); others as their number.</summary>
    public static string ProtocolName(byte protocol) => protocol switch
    {
        1 => "ICMP",
        2 => "IGMP",
        6 => "TCP",
        17 => "UDP",
        47 => "GRE",
        50 => "ESP",
        58 => "IPv6-ICMP",
        132 => "SCTP",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string SourceName(AlertSource source) => source switch
    {
        AlertSource.Umbox => "umbox",
        AlertSource.Telemetry => "telemetry",
        AlertSource.Platform => "platform",
        _ => "operator",
    };

    /// <summary>
    /// The text, or its first <paramref name="max"/> characters (never half a surrogate pair) and a cut mark; a lone
    /// surrogate (not text, and refused by the JSON writer) becomes U+FFFD. Allocates only when it changes something.
    /// </summary>
    internal static ReadOnlySpan<char> Bounded(string text, int max)
    {
        var kept = text.AsSpan();
        string? suffix = null;
        if (kept.Length > max)
        {
            int keep = max - Cut.Length;
            kept = kept[..(char.IsHighSurrogate(kept[keep - 1]) ? keep - 1 : keep)];
            suffix = Cut;
        }

        return HasLoneSurrogate(kept) ? string.Concat(Repaired(kept), suffix) : suffix is null ? kept : string.Concat(kept, suffix);
    }

    private static bool HasLoneSurrogate(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static string Repaired(ReadOnlySpan<char> text)
    {
        var chars = text.ToArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
