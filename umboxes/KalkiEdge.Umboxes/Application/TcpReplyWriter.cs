using System.Buffers.Binary;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Application;

/// <summary>
/// Builds, in the context's reply frame, a TCP segment answering a decoded request segment as its receiver
/// would: Ethernet addresses, IP addresses and ports swapped (VLAN tags kept), sequence number = the request's
/// acknowledgment number, acknowledgment = the request's sequence number plus what it occupied, PSH+ACK,
/// valid IPv4 header and TCP checksums. IPv4 (no options) and IPv6 (no extension headers).
/// </summary>
internal static class TcpReplyWriter
{
    public const int Ipv4HeaderLength = 20;
    public const int Ipv6HeaderLength = 40;
    public const int TcpHeaderLength = 20;
    private const ushort Window = 29200;

    /// <summary>Space left for the payload after the headers of a reply to <paramref name="request"/>.</summary>
    public static int HeaderLength(Frame request) =>
        request.L3Offset + (request.IsIPv4 ? Ipv4HeaderLength : Ipv6HeaderLength) + TcpHeaderLength;

    /// <summary>
    /// Writes the reply headers around a payload the caller has already placed at <see cref="HeaderLength"/>
    /// in <paramref name="reply"/>'s buffer (<see cref="Frame.Prepare"/> must have been called with the total).
    /// </summary>
    public static void WriteHeaders(Frame request, Span<byte> reply, int payloadLength)
    {
        var req = request.Data;
        int l3 = request.L3Offset;
        int ipLength = request.IsIPv4 ? Ipv4HeaderLength : Ipv6HeaderLength;
        int l4 = l3 + ipLength;

        // Layer 2: the request's header (with any VLAN tags), MAC addresses swapped.
        req[..l3].CopyTo(reply);
        req.Slice(6, 6).CopyTo(reply);
        req[..6].CopyTo(reply[6..]);

        var tcp = reply.Slice(l4, TcpHeaderLength + payloadLength);
        var reqTcp = req[request.L4Offset..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, request.DstPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], request.SrcPort);
        uint reqSeq = BinaryPrimitives.ReadUInt32BigEndian(reqTcp[4..]);
        uint reqAck = BinaryPrimitives.ReadUInt32BigEndian(reqTcp[8..]);
        uint occupied = (uint)request.PayloadLength + ((request.TcpFlags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((request.TcpFlags & TcpFlags.Fin) != 0 ? 1u : 0u);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], reqAck);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], unchecked(reqSeq + occupied));
        tcp[12] = (TcpHeaderLength / 4) << 4;
        tcp[13] = (byte)(TcpFlags.Psh | TcpFlags.Ack);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], Window);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[16..], 0); // checksum (filled below) and urgent pointer

        var ip = reply.Slice(l3, ipLength);
        var reqIp = req[l3..];
        ulong pseudo;
        if (request.IsIPv4)
        {
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipLength + tcp.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // don't fragment
            ip[8] = 64;
            ip[9] = IpProtocols.Tcp;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
            reqIp.Slice(16, 4).CopyTo(ip[12..]);
            reqIp.Slice(12, 4).CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));
            pseudo = InternetChecksum.Add(0, ip.Slice(12, 8));
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000);
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)tcp.Length);
            ip[6] = IpProtocols.Tcp;
            ip[7] = 64;
            reqIp.Slice(24, 16).CopyTo(ip[8..]);
            reqIp.Slice(8, 16).CopyTo(ip[24..]);
            pseudo = InternetChecksum.Add(0, ip.Slice(8, 32));
        }

        pseudo += IpProtocols.Tcp + (ulong)tcp.Length;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(pseudo, tcp)));
    }
}
