using System.Buffers;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Export.Eve;

namespace KalkiEdge.Export.Fleet;

/// <summary>The JSON of the fleet's own messages (status, health, device inventory, telemetry summary); events are EVE lines.</summary>
internal static class FleetPayloads
{
    public static byte[] Status(string applianceId, bool online, long nowMicros) => Json(w =>
    {
        w.WriteString("appliance", applianceId);
        w.WriteString("status", online ? "online" : "offline");
        if (online)
        {
            w.WriteString("version", FirmwareVersion.Text);
            WriteTime(w, nowMicros);
        }
    });

    public static byte[] Devices(string applianceId, IReadOnlyList<FleetDevice> devices, long nowMicros) => Json(w =>
    {
        w.WriteString("appliance", applianceId);
        WriteTime(w, nowMicros);
        w.WriteStartArray("devices");
        foreach (var d in devices)
        {
            w.WriteStartObject();
            w.WriteString("device", EveFormat.Bounded(d.Name, EveFormat.MaxNameChars));
            WriteOptional(w, "pack", d.Pack);
            WriteOptional(w, "state", d.State);
            WriteOptional(w, "chain", d.Chain);
            w.WriteBoolean("fail_closed", d.FailClosed);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    public static byte[] Health(string applianceId, IReadOnlyList<FleetDevice> devices, FleetCounters counters, int queued, long nowMicros) => Json(w =>
    {
        w.WriteString("appliance", applianceId);
        w.WriteString("status", "online");
        w.WriteString("version", FirmwareVersion.Text);
        WriteTime(w, nowMicros);
        w.WriteNumber("devices", devices.Count);
        w.WriteNumber("fail_closed", devices.Count(d => d.FailClosed));
        w.WriteStartObject("states");
        foreach (var g in devices.Where(d => d.State is not null).GroupBy(d => d.State!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            w.WriteNumber(EveFormat.Bounded(g.Key, EveFormat.MaxNameChars), g.Count());
        }

        w.WriteEndObject();
        w.WriteStartObject("fleet");
        w.WriteNumber("queued", queued);
        w.WriteNumber("published", counters.Published);
        w.WriteNumber("dropped", counters.Dropped);
        w.WriteNumber("lost", counters.Lost);
        w.WriteNumber("refused_by_broker", counters.RefusedByBroker);
        w.WriteNumber("commands", counters.Commands);
        w.WriteNumber("commands_refused", counters.CommandsRefused);
        w.WriteEndObject();
    });

    /// <summary>Traffic per device and alerts per type since the previous summary.</summary>
    public static byte[] Telemetry(string applianceId, long fromMicros, long toMicros, IReadOnlyList<(FleetDevice Device, long Forwarded, long Dropped, long Replied)> traffic, IReadOnlyDictionary<string, long> alerts) => Json(w =>
    {
        w.WriteString("appliance", applianceId);
        WriteTime(w, toMicros);
        w.WriteNumber("interval_s", Math.Round((toMicros - fromMicros) / 1e6, 3));
        w.WriteStartArray("devices");
        foreach (var (device, forwarded, dropped, replied) in traffic)
        {
            w.WriteStartObject();
            w.WriteString("device", EveFormat.Bounded(device.Name, EveFormat.MaxNameChars));
            WriteOptional(w, "state", device.State);
            w.WriteNumber("forwarded", forwarded);
            w.WriteNumber("dropped", dropped);
            w.WriteNumber("replied", replied);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("alerts");
        foreach (var (type, count) in alerts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            w.WriteNumber(EveFormat.Bounded(type, EveFormat.MaxNameChars), count);
        }

        w.WriteEndObject();
    });

    private static void WriteTime(Utf8JsonWriter w, long micros)
    {
        Span<char> text = stackalloc char[EveTimestamp.Length];
        w.WriteString("timestamp", text[..EveTimestamp.Format(micros, text)]);
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, EveFormat.Bounded(value, EveFormat.MaxNameChars));
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
