using KalkiEdge.Store;

namespace KalkiEdge.Export.Fleet;

/// <summary>One MQTT message made of consecutive outbox rows <c>[Start, Start + Rows)</c> on one topic, carrying <c>Events</c> events.</summary>
public readonly record struct FleetBatch(string Topic, int Start, int Rows, int Bytes, int Events);

/// <summary>
/// Groups events into MQTT messages, twice with the same rules: queued events into outbox rows (one insert per
/// batch), then the outbox's oldest rows into messages (rows written in small batches, or one by one by an older
/// firmware, travel together). Consecutive events on one EVE topic (alerts, transitions, pairing) travel together
/// as JSON lines, each line one EVE object ended by a newline, as in an EVE file: under an alert storm the broker
/// acknowledges one message per batch instead of one per alert. A batch never reorders rows and never mixes
/// topics; it holds at most <see cref="MaxLines"/> lines and <see cref="MaxBytes"/> bytes (a single larger line or
/// row travels alone). Other topics (telemetry summaries) keep one JSON document per message.
/// </summary>
public static class FleetBatches
{
    public const int MaxLines = 256;

    /// <summary>Below the packet limits brokers commonly configure (AWS IoT: 128 KiB), far above one EVE line.</summary>
    public const int MaxBytes = 32 * 1024;

    public static List<FleetBatch> Group(IReadOnlyList<OutboxMessage> rows, FleetTopics topics)
    {
        var batches = new List<FleetBatch>();
        for (int i = 0; i < rows.Count;)
        {
            var topic = rows[i].Topic;
            int bytes = LineLength(rows[i].Payload), n = 1, events = rows[i].Events;
            if (IsEve(topic, topics))
            {
                while (i + n < rows.Count && rows[i + n].Topic == topic && events + rows[i + n].Events <= MaxLines && bytes + LineLength(rows[i + n].Payload) <= MaxBytes)
                {
                    bytes += LineLength(rows[i + n].Payload);
                    events += rows[i + n].Events;
                    n++;
                }
            }
            else
            {
                bytes = rows[i].Payload.Length;
            }

            batches.Add(new FleetBatch(topic, i, n, bytes, events));
            i += n;
        }

        return batches;
    }

    /// <summary>
    /// The batch's payload: the rows' lines, each ended by exactly one newline (rows queued by an older firmware
    /// carry none). A one-row batch whose payload is already a line is sent as it is, without a copy.
    /// </summary>
    public static byte[] Payload(FleetBatch batch, IReadOnlyList<OutboxMessage> rows)
    {
        var first = rows[batch.Start].Payload;
        if (batch.Rows == 1 && (batch.Bytes == first.Length))
        {
            return first;
        }

        var payload = new byte[batch.Bytes];
        int at = 0;
        for (int r = batch.Start; r < batch.Start + batch.Rows; r++)
        {
            var line = rows[r].Payload;
            line.CopyTo(payload, at);
            at += line.Length;
            if (line.Length == 0 || line[^1] != (byte)'\n')
            {
                payload[at++] = (byte)'\n';
            }
        }

        return payload;
    }

    /// <summary>Topics whose messages are EVE JSON lines (content type <c>application/x-ndjson</c>).</summary>
    public static bool IsEve(string topic, FleetTopics topics) =>
        topic == topics.Alerts || topic == topics.Transitions || topic == topics.Pairing;

    private static int LineLength(byte[] payload) => payload.Length + (payload.Length > 0 && payload[^1] == (byte)'\n' ? 0 : 1);
}
