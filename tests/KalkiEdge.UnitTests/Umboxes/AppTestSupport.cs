using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Umboxes;

/// <summary>Frames and helpers shared by the application-layer element tests (TEST-NET / 2001:db8:: only).</summary>
internal static class AppTestSupport
{
    public const long Second = 1_000_000;

    public static byte[] Syn(string srcIp, ushort dstPort = 22, ushort srcPort = 40000) =>
        Frames.Tcp(srcIp, srcPort, Frames.DeviceIp, dstPort, TcpFlagsBuilder.SynOnly);

    /// <summary>An IPv6 TCP SYN from 2001:db8::/32 (the IPv6 documentation prefix) toward the device.</summary>
    public static byte[] SynV6(string srcIp, ushort dstPort = 22)
    {
        var tcp = new TcpPacket(40000, dstPort) { Synchronize = true, SequenceNumber = 1, WindowSize = 64240 };
        var ip = new IPv6Packet(IPAddress.Parse(srcIp), IPAddress.Parse("2001:db8::10")) { PayloadPacket = tcp, HopLimit = 64 };
        tcp.UpdateTcpChecksum();
        var eth = new EthernetPacket(PhysicalAddress.Parse("02-00-00-00-00-FE"), PhysicalAddress.Parse("02-00-00-00-00-01"), EthernetType.IPv6) { PayloadPacket = ip };
        return eth.Bytes;
    }

    /// <summary>
    /// Sends <paramref name="count"/> frames made from <paramref name="template"/> (an IPv6 frame), each with a
    /// distinct source address 2001:db8:&lt;n&gt;:: written in place, one microsecond apart. Returns the bytes
    /// allocated by the test thread meanwhile (the elements must allocate nothing per frame).
    /// </summary>
    public static long FloodFromDistinctV6Sources(ChainHarness h, byte[] template, int count)
    {
        var frame = (byte[])template.Clone();
        const int srcOffset = 14 + 8;
        h.Run(frame);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            frame[srcOffset + 4] = (byte)(i >> 24);
            frame[srcOffset + 5] = (byte)(i >> 16);
            frame[srcOffset + 6] = (byte)(i >> 8);
            frame[srcOffset + 7] = (byte)i;
            h.NowMicros++;
            h.Run(frame);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static T Element<T>(ChainHarness h, int index = 0)
        where T : Element => (T)h.Chain.Elements[index];
}
