using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Umboxes;

/// <summary>Frames and helpers shared by the application-layer element tests (TEST-NET / 2001:db8:: only).</summary>
internal static class AppTestSupport
{
    public static byte[] Syn(string srcIp, ushort dstPort = 22, ushort srcPort = 40000) =>
        Frames.Tcp(srcIp, srcPort, Frames.DeviceIp, dstPort, TcpFlagsBuilder.SynOnly);

    /// <summary>An IPv6 TCP SYN from 2001:db8::/32 (the IPv6 documentation prefix) toward the device.</summary>
    public static byte[] SynV6(string srcIp, ushort dstPort = 22) => TcpV6(srcIp, "2001:db8::10", dstPort, "02-00-00-00-00-FE", "02-00-00-00-00-01");

    /// <summary>An IPv6 TCP SYN from the device (2001:db8::10) to <paramref name="dstIp"/>.</summary>
    public static byte[] SynV6FromDevice(string dstIp, ushort dstPort) => TcpV6("2001:db8::10", dstIp, dstPort, "02-00-00-00-00-01", "02-00-00-00-00-FE");

    /// <summary>An IPv6 TCP segment with an HTTP request as payload, from <paramref name="srcIp"/> to the device.</summary>
    public static byte[] HttpV6(string srcIp, ushort dstPort, string request) =>
        TcpV6(srcIp, "2001:db8::10", dstPort, "02-00-00-00-00-FE", "02-00-00-00-00-01", System.Text.Encoding.ASCII.GetBytes(request));

    /// <summary>A request head with the given extra header lines (each ending in \r\n).</summary>
    public static string Request(string method, string path, string headers = "", string body = "") =>
        $"{method} {path} HTTP/1.1\r\nHost: {Frames.DeviceIp}\r\n{headers}Content-Length: {body.Length}\r\n\r\n{body}";

    /// <summary>An HTTP request toward the device as one TCP segment (IPv4).</summary>
    public static byte[] Http(string srcIp, ushort dstPort, string request) =>
        Frames.Tcp(srcIp, 40000, Frames.DeviceIp, dstPort, TcpFlagsBuilder.PshAck, request);

    public static string Basic(string userColonPassword) =>
        "Authorization: Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(userColonPassword)) + "\r\n";

    private static byte[] TcpV6(string srcIp, string dstIp, ushort dstPort, string srcMac, string dstMac, byte[]? payload = null)
    {
        var tcp = new TcpPacket(40000, dstPort) { Synchronize = payload is null, Acknowledgment = payload is not null, SequenceNumber = 1, WindowSize = 64240, PayloadData = payload ?? [] };
        var ip = new IPv6Packet(IPAddress.Parse(srcIp), IPAddress.Parse(dstIp)) { PayloadPacket = tcp, HopLimit = 64 };
        tcp.UpdateTcpChecksum();
        var eth = new EthernetPacket(PhysicalAddress.Parse(srcMac), PhysicalAddress.Parse(dstMac), EthernetType.IPv6) { PayloadPacket = ip };
        return eth.Bytes;
    }

    /// <summary>
    /// Sends <paramref name="count"/> frames made from <paramref name="template"/> (an IPv6 frame), each with a
    /// distinct source address 2001:db8:&lt;n&gt;:: written in place, one microsecond apart. Returns the bytes
    /// allocated by the test thread meanwhile (the elements must allocate nothing per frame).
    /// </summary>
    public static long FloodFromDistinctV6Sources(ChainHarness h, byte[] template, int count) =>
        FloodDistinctV6(h, template, count, 14 + 8, Direction.ToDevice);

    /// <summary>As <see cref="FloodFromDistinctV6Sources"/>, device-originated, to distinct destinations.</summary>
    public static long FloodToDistinctV6Destinations(ChainHarness h, byte[] template, int count) =>
        FloodDistinctV6(h, template, count, 14 + 24, Direction.FromDevice);

    private static long FloodDistinctV6(ChainHarness h, byte[] template, int count, int srcOffset, Direction direction)
    {
        var frame = (byte[])template.Clone();
        h.Run(frame, direction);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            frame[srcOffset + 4] = (byte)(i >> 24);
            frame[srcOffset + 5] = (byte)(i >> 16);
            frame[srcOffset + 6] = (byte)(i >> 8);
            frame[srcOffset + 7] = (byte)i;
            h.NowMicros++;
            h.Run(frame, direction);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static T Element<T>(ChainHarness h, int index = 0)
        where T : Element => (T)h.Chain.Elements[index];
}
