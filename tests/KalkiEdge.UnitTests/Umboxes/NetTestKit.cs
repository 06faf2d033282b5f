using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using KalkiEdge.Core;
using KalkiEdge.UnitTests.Support;
using PacketDotNet;

namespace KalkiEdge.UnitTests.Umboxes;

/// <summary>
/// Helpers shared by the network element tests: in-place edits of real (PacketDotNet-built) IPv4 frames so
/// that floods of distinct flows or sources need no per-frame packet building, and diagnostics lookup.
/// Offsets assume Ethernet II + a 20-byte IPv4 header, which is what <see cref="Frames"/> builds.
/// </summary>
internal static class NetTestKit
{
    private const int IpOffset = 14;
    private const int L4Offset = IpOffset + 20;

    public static byte[] WithSrcPort(this byte[] frame, ushort port)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(L4Offset), port);
        return frame;
    }

    public static byte[] WithDstPort(this byte[] frame, ushort port)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(L4Offset + 2), port);
        return frame;
    }

    /// <summary>Sets the IPv4 source address to 203.0.113.0/24-style value a.b.c.d given as a 32-bit number.</summary>
    public static byte[] WithSrcIp(this byte[] frame, uint ip)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(IpOffset + 12), ip);
        return frame;
    }

    public static byte[] WithDstIp(this byte[] frame, uint ip)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(IpOffset + 16), ip);
        return frame;
    }

    public static uint V4(string dotted)
    {
        var p = dotted.Split('.').Select(byte.Parse).ToArray();
        return (uint)((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]);
    }

    /// <summary>Cuts a TCP frame so its IPv4 header claims (and the capture holds) only <paramref name="tcpBytes"/> of TCP.</summary>
    public static byte[] TruncateTcp(byte[] frame, int tcpBytes)
    {
        var cut = frame.AsSpan(0, L4Offset + tcpBytes).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(IpOffset + 2), (ushort)(20 + tcpBytes));
        return cut;
    }

    /// <summary>An IPv6 UDP frame (documentation prefix 2001:db8::/32 addresses only).</summary>
    public static byte[] Udp6(string srcIp, ushort srcPort, string dstIp, ushort dstPort)
    {
        var udp = new UdpPacket(srcPort, dstPort) { PayloadData = [1, 2, 3] };
        var ip = new IPv6Packet(IPAddress.Parse(srcIp), IPAddress.Parse(dstIp)) { PayloadPacket = udp, HopLimit = 64 };
        udp.UpdateUdpChecksum();
        var eth = new EthernetPacket(PhysicalAddress.Parse("02-00-00-00-00-FE"), PhysicalAddress.Parse("02-00-00-00-00-01"), EthernetType.IPv6) { PayloadPacket = ip };
        return eth.Bytes;
    }

    /// <summary>A frame of an ethertype that is neither IP nor ARP (LLDP).</summary>
    public static byte[] Lldp()
    {
        var f = new byte[60];
        f[0] = 0x01; f[1] = 0x80; f[2] = 0xC2; f[5] = 0x0E;
        f[6] = 0x02; f[11] = 0xFE;
        f[12] = 0x88; f[13] = 0xCC;
        return f;
    }

    /// <summary>The single diagnostic mentioning <paramref name="text"/>, for position checks.</summary>
    public static Diagnostic ErrorMentioning(this IReadOnlyList<Diagnostic> errors, string text)
    {
        var matches = errors.Where(e => e.Message.Contains(text, StringComparison.Ordinal)).ToList();
        Assert.That(matches, Has.Count.EqualTo(1), $"expected one error mentioning '{text}', got:\n{string.Join("\n", errors)}");
        return matches[0];
    }

    /// <summary>1-based line and column of the first occurrence of <paramref name="needle"/> in chain text.</summary>
    public static (int Line, int Column) PositionOf(string text, string needle)
    {
        int index = text.IndexOf(needle, StringComparison.Ordinal);
        Assert.That(index, Is.GreaterThanOrEqualTo(0), $"'{needle}' not in the text");
        int line = 1 + text[..index].Count(c => c == '\n');
        int lineStart = index == 0 ? 0 : text.LastIndexOf('\n', index - 1) + 1;
        int column = index - lineStart + 1;
        return (line, column);
    }
}
