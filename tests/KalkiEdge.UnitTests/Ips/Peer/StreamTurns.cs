using PacketDotNet;

namespace KalkiEdge.UnitTests.Ips.Peer;

/// <summary>
/// Names the turn each data segment of a TCP session belongs to, read from the capture independently of the ips
/// element: a session is a flow whose SYN was seen; a turn of a direction starts with its first data segment after
/// data from the other direction. Packets outside sessions, or without data, have no turn.
/// </summary>
public static class StreamTurns
{
    public static string?[] Of(PeerCapture capture)
    {
        var result = new string?[capture.Packets.Count + 1];
        var sessions = new Dictionary<string, (int Turn, string? LastData)>();
        for (int i = 0; i < capture.Packets.Count; i++)
        {
            var ip = Packet.ParsePacket(LinkLayers.Ethernet, capture.Packets[i].Bytes).Extract<IPv4Packet>();
            var tcp = ip?.Extract<TcpPacket>();
            if (ip is null || tcp is null)
            {
                continue;
            }

            string from = $"{ip.SourceAddress}:{tcp.SourcePort}", to = $"{ip.DestinationAddress}:{tcp.DestinationPort}";
            string flow = string.CompareOrdinal(from, to) < 0 ? from + "|" + to : to + "|" + from;
            if (tcp.Synchronize && !tcp.Acknowledgment && !sessions.ContainsKey(flow))
            {
                sessions[flow] = (0, null);
            }

            if (tcp.PayloadData is not { Length: > 0 } || tcp.Synchronize || !sessions.TryGetValue(flow, out var s))
            {
                continue;
            }

            if (s.LastData != from)
            {
                s.Turn++;
                s.LastData = from;
                sessions[flow] = s;
            }

            result[i + 1] = $"{flow}>{from}#{s.Turn}";
        }

        return result;
    }

    /// <summary>The first alert of each (sid, turn); alerts on packets without a turn are all kept.</summary>
    public static List<PeerAlert> FirstPerTurn(List<PeerAlert> alerts, string?[] turns)
    {
        var seen = new HashSet<(long, string)>();
        return [.. alerts.Where(a => turns[a.Packet] is not { } turn || seen.Add((a.Sid, turn)))];
    }
}
