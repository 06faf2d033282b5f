using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Appliance.Output;

/// <summary>
/// Writes the replay contract (docs/json-lines.md): one JSON object per line — alerts, transitions, malformed
/// frames, μmbox logs — and a final summary. Field names are a contract: change them only with that document.
/// </summary>
public sealed class JsonLinesObserver(TextWriter output, int maxMalformedLines = 100) : IApplianceObserver
{
    private const int StreamChunkBytes = 16 * 1024;

    private long _malformedLines;

    public void OnAlert(Alert alert) => Line(w =>
    {
        w.WriteString("kind", "alert");
        w.WriteString("type", alert.Type);
        w.WriteString("device", alert.Device);
        w.WriteString("source", alert.Source.ToString().ToLowerInvariant());
        w.WriteString("time", Time.Iso(alert.TimeMicros));
        w.WriteNumber("timeMicros", alert.TimeMicros);
        w.WriteString("info", alert.Info);
        if (alert.Element is { } e)
        {
            w.WriteString("element", e);
        }

        if (alert.Sid is { } sid)
        {
            w.WriteNumber("sid", sid);
        }

        if (alert.FrameNumber is { } n)
        {
            w.WriteNumber("frame", n);
        }

        w.WriteNumber("count", alert.Count);
    });

    public void OnTransition(TransitionEvent transition) => Line(w =>
    {
        w.WriteString("kind", "transition");
        w.WriteString("device", transition.Device);
        w.WriteString("from", transition.From);
        w.WriteString("to", transition.To);
        w.WriteString("rule", transition.Rule);
        if (transition.Image is { } image)
        {
            w.WriteString("image", image);
        }

        w.WriteString("time", Time.Iso(transition.StimulusMicros));
        w.WriteNumber("reactionMicros", transition.ReactionMicros);
        w.WriteStages(transition);
    });

    public void OnMalformed(long frameNumber, string device, string reason)
    {
        if (++_malformedLines > maxMalformedLines)
        {
            return; // the summary carries the total; the first lines say why
        }

        Line(w =>
        {
            w.WriteString("kind", "malformed");
            w.WriteNumber("frame", frameNumber);
            w.WriteString("device", device);
            w.WriteString("reason", reason);
        });
    }

    public void OnUmboxLog(string device, string element, long timeMicros, string message) => Line(w =>
    {
        w.WriteString("kind", "log");
        w.WriteString("device", device);
        w.WriteString("element", element);
        w.WriteString("time", Time.Iso(timeMicros));
        w.WriteString("message", message);
    });

    /// <summary>A pairing result: <c>{"kind":"paired","device","mac","pack","confidence","needsReview","admitted","detail","evidence"}</c>.</summary>
    public void OnPaired(AdmissionResult result) => Line(w =>
    {
        ArgumentNullException.ThrowIfNull(result);
        var v = result.Verdict;
        w.WriteString("kind", "paired");
        w.WriteString("device", v.DeviceName);
        w.WriteString("mac", Mac.Format(v.Mac));
        w.WriteString("pack", v.Pack);
        w.WriteNumber("confidence", v.Confidence);
        w.WriteBoolean("needsReview", v.NeedsReview);
        w.WriteBoolean("admitted", result.Admitted);
        w.WriteString("detail", result.Detail);
        w.WriteString("evidence", v.Evidence);
    });

    /// <summary>
    /// The closing line: totals and, per device, state and counts. Streamed in chunks: with 10,000 devices the line
    /// is over a megabyte, which must not be held whole (as bytes, then as a string) at the end of a run.
    /// </summary>
    public void Summary(Replay.ReplayResult result, PacketEngine engine, Func<DeviceSlot, string?> stateOf) => StreamedLine(w =>
    {
        w.WriteString("kind", "summary");
        w.WriteNumber("frames", result.Frames);
        w.WriteNumber("forwarded", result.Forwarded);
        w.WriteNumber("dropped", result.Dropped);
        w.WriteNumber("replied", result.Replied);
        w.WriteNumber("malformed", result.Malformed);
        w.WriteNumber("unknownDevice", engine.Counters.UnknownDevice);
        w.WriteNumber("spoofed", engine.Counters.Spoofed);
        w.WriteNumber("suppressedAlerts", engine.SuppressedAlerts);
        if (result.Stopped is { } stopped)
        {
            w.WriteString("stopped", stopped);
        }

        if (result.Signing is { } signing)
        {
            w.WriteStartObject("signing");
            w.WriteNumber("released", signing.Released);
            w.WriteNumber("signCalls", signing.SignCalls);
            w.WriteNumber("verifyCalls", signing.VerifyCalls);
            w.WriteNumber("missingTag", signing.MissingTag);
            w.WriteNumber("stale", signing.Stale);
            w.WriteNumber("invalid", signing.Invalid);
            w.WriteEndObject();
        }

        w.WriteStartObject("devices");
        foreach (var d in engine.Devices.All.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            w.WriteStartObject(d.Name);
            if (stateOf(d) is { } state)
            {
                w.WriteString("state", state);
            }

            w.WriteNumber("forwarded", d.Counters.Forwarded);
            w.WriteNumber("dropped", d.Counters.Dropped);
            w.WriteNumber("replied", d.Counters.Replied);
            w.WriteNumber("malformed", d.Counters.Malformed);
            w.WriteNumber("spoofed", d.Counters.Spoofed);
            w.WriteString("chain", d.Chain?.Definition.Image ?? d.Chain?.Definition.Text ?? "");
            w.WriteEndObject();
            if (w.BytesPending >= StreamChunkBytes)
            {
                w.Flush();
            }
        }

        w.WriteEndObject();
    });

    /// <summary>Like <see cref="Line"/>, but the writer may flush to the output while the line is written.</summary>
    private void StreamedLine(Action<Utf8JsonWriter> write)
    {
        lock (output)
        {
            using var stream = new TextWriterStream(output);
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                write(w);
                w.WriteEndObject();
            }

            output.WriteLine();
            output.Flush();
        }
    }

    private void Line(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        lock (output)
        {
            output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            output.Flush();
        }
    }
}

/// <summary>Formats microsecond timestamps.</summary>
public static class Time
{
    public static string Iso(long micros) =>
        DateTimeOffset.UnixEpoch.AddTicks(micros * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
