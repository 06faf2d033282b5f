using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// Reads a decoded frame from the device's point of view: "local" is the device's side, "remote" the other
/// end, whichever way the frame travels. Rules written this way ("remote 198.51.100.0/24, lport 80") mean
/// the same thing for requests and replies. Call <see cref="Frame.Decode"/> first.
/// </summary>
public static class Endpoints
{
    public static bool IsInbound(this Frame frame) => frame.Direction == Direction.ToDevice;

    /// <summary>The far end's address: IP source of inbound / destination of outbound packets; for ARP the
    /// sender of inbound / the target of outbound messages; 0 for other frames.</summary>
    public static UInt128 RemoteIp(this Frame frame)
    {
        if (frame.IsArp)
        {
            return frame.IsInbound() ? frame.ArpSenderIp : frame.ArpTargetIp;
        }

        return frame.IsInbound() ? frame.SrcIp : frame.DstIp;
    }

    /// <summary>The device's own address in the frame (see <see cref="RemoteIp"/>).</summary>
    public static UInt128 LocalIp(this Frame frame)
    {
        if (frame.IsArp)
        {
            return frame.IsInbound() ? frame.ArpTargetIp : frame.ArpSenderIp;
        }

        return frame.IsInbound() ? frame.DstIp : frame.SrcIp;
    }

    /// <summary>The device-side TCP/UDP port (0 when the frame has none).</summary>
    public static ushort LocalPort(this Frame frame) => frame.IsInbound() ? frame.DstPort : frame.SrcPort;

    /// <summary>The far end's TCP/UDP port (0 when the frame has none).</summary>
    public static ushort RemotePort(this Frame frame) => frame.IsInbound() ? frame.SrcPort : frame.DstPort;

    /// <summary>True for TCP and UDP packets whose header (and so whose ports) was decoded.</summary>
    public static bool HasPorts(this Frame frame) => frame.IsTcp || frame.IsUdp;
}

/// <summary>
/// Aggregates addresses into blocks for per-source accounting (KalKi u1 counts per /32): IPv4 addresses are
/// cut to <see cref="V4Bits"/>, IPv6 ones to <see cref="V6Bits"/> (a /64 is one host's usual allocation).
/// </summary>
public readonly record struct SourcePrefix(int V4Bits, int V6Bits)
{
    public static readonly SourcePrefix Host = new(32, 128);

    public UInt128 Apply(UInt128 ip)
    {
        int bits = Ip.IsV4(ip) ? V4Bits + 96 : V6Bits;
        return bits >= 128 ? ip : bits <= 0 ? 0 : ip & (UInt128.MaxValue << (128 - bits));
    }

    /// <summary>Formats a source block for alert text: "203.0.113.66" for a host, "203.0.113.0/24" otherwise.</summary>
    public string Format(UInt128 block)
    {
        int bits = Ip.IsV4(block) ? V4Bits : V6Bits;
        int full = Ip.IsV4(block) ? 32 : 128;
        return bits >= full ? Ip.Format(block) : $"{Ip.Format(block)}/{bits}";
    }
}
