using FsCheck;
using FsCheck.Fluent;

namespace KalkiEdge.UnitTests.Properties;

/// <summary>
/// Frames as an attacker would shape them: an Ethernet header, up to three VLAN tags, IPv4 (with options) or IPv6
/// (with a chain of extension headers), ARP or any EtherType, a TCP, UDP or ICMP header with any lengths, then cut
/// short at any point and with a few bytes overwritten. Structured, so the decoder's deep paths are reached, not
/// just its first length check.
/// </summary>
internal static class FrameGen
{
    private static readonly byte[] NextHeaders = [0, 43, 44, 60, 51, 50, 6, 17, 58, 59, 4, 41, 47, 135, 253];

    public static Arbitrary<byte[]> Frames => Arb.From(Frame(), Shrink);

    private static Gen<byte[]> Frame() =>
        from vlans in Gen.Choose(0, 3)
        from kind in Gen.Frequency((4, Gen.Constant(0x0800)), (4, Gen.Constant(0x86DD)), (1, Gen.Constant(0x0806)), (1, Gen.Choose(0, 0xFFFF)))
        from l3 in kind switch { 0x0800 => IPv4(), 0x86DD => IPv6(), _ => Bytes(0, 64) }
        from cut in Gen.Choose(0, 100)
        from damage in Gen.ListOf(Gen.Zip(Gen.Choose(0, 4096), Gen.Choose(0, 255)), 3)
        select Assemble(vlans, (ushort)kind, l3, cut, damage);

    private static byte[] Assemble(int vlans, ushort kind, byte[] l3, int cut, IEnumerable<(int At, int Value)> damage)
    {
        var frame = new List<byte>(new byte[12]);
        for (int i = 0; i < vlans; i++)
        {
            frame.AddRange([0x81, 0x00, 0x00, (byte)(i + 1)]);
        }

        frame.AddRange([(byte)(kind >> 8), (byte)kind]);
        frame.AddRange(l3);
        var bytes = frame.ToArray();
        foreach (var (at, value) in damage)
        {
            if (bytes.Length > 0)
            {
                bytes[at % bytes.Length] = (byte)value;
            }
        }

        // Most frames whole; the rest cut anywhere, down to nothing.
        return cut < 70 ? bytes : bytes[..(bytes.Length * (cut - 70) / 30)];
    }

    private static Gen<byte[]> IPv4() =>
        from ihl in Gen.Frequency((6, Gen.Constant(5)), (2, Gen.Choose(6, 15)), (1, Gen.Choose(0, 4)))
        from protocol in Gen.Elements<byte>(6, 17, 1, 4, 47, 50, 0)
        from flags in Gen.Choose(0, 0xFFFF)
        from totalDelta in Gen.Choose(-40, 40)
        from options in Bytes((ihl - 5) * 4, (ihl - 5) * 4)
        from l4 in L4(protocol)
        select IPv4Packet(ihl, protocol, (ushort)flags, totalDelta, options, l4);

    private static byte[] IPv4Packet(int ihl, byte protocol, ushort fragment, int totalDelta, byte[] options, byte[] l4)
    {
        var header = new byte[20];
        header[0] = (byte)(0x40 | ihl);
        int total = Math.Clamp(20 + options.Length + l4.Length + totalDelta, 0, 0xFFFF);
        header[2] = (byte)(total >> 8);
        header[3] = (byte)total;
        header[6] = (byte)(fragment >> 8 & 0x3F);
        header[7] = (byte)fragment;
        header[8] = 64;
        header[9] = protocol;
        header[12] = 198; header[13] = 51; header[14] = 100; header[15] = 7;
        header[16] = 192; header[17] = 0; header[18] = 2; header[19] = 10;
        return [.. header, .. options, .. l4];
    }

    private static Gen<byte[]> IPv6() =>
        from n in Gen.Choose(0, 5)
        from chain in Gen.ListOf(Gen.Zip(Gen.Elements(NextHeaders), Gen.Choose(0, 6)), n)
        from last in Gen.Elements<byte>(6, 17, 58, 59)
        from payloadDelta in Gen.Choose(-40, 40)
        from l4 in L4(last)
        select IPv6Packet([.. chain], last, payloadDelta, l4);

    private static byte[] IPv6Packet((byte Next, int Units)[] chain, byte last, int payloadDelta, byte[] l4)
    {
        var extensions = new List<byte>();
        for (int i = 0; i < chain.Length; i++)
        {
            byte next = i + 1 < chain.Length ? chain[i + 1].Next : last;
            // AH counts 4-byte units minus two; every other header 8-byte units minus one.
            int length = chain[i].Next == 51 ? (chain[i].Units + 2) * 4 : (chain[i].Units + 1) * 8;
            var header = new byte[length];
            header[0] = next;
            header[1] = (byte)chain[i].Units;
            extensions.AddRange(header);
        }

        byte first = chain.Length > 0 ? chain[0].Next : last;
        int payload = Math.Clamp(extensions.Count + l4.Length + payloadDelta, 0, 0xFFFF);
        var fixedHeader = new byte[40];
        fixedHeader[0] = 0x60;
        fixedHeader[4] = (byte)(payload >> 8);
        fixedHeader[5] = (byte)payload;
        fixedHeader[6] = first;
        fixedHeader[7] = 64;
        fixedHeader[8] = 0x20; fixedHeader[9] = 0x01; fixedHeader[10] = 0x0d; fixedHeader[11] = 0xb8; fixedHeader[23] = 0x66;
        fixedHeader[24] = 0x20; fixedHeader[25] = 0x01; fixedHeader[26] = 0x0d; fixedHeader[27] = 0xb8; fixedHeader[39] = 0x10;
        return [.. fixedHeader, .. extensions, .. l4];
    }

    private static Gen<byte[]> L4(byte protocol) =>
        from ports in Gen.Choose(0, 0xFFFF)
        from dataOffset in Gen.Choose(0, 15)
        from udpLengthDelta in Gen.Choose(-10, 10)
        from payload in Bytes(0, 40)
        select L4Header(protocol, ports, dataOffset, udpLengthDelta, payload);

    private static byte[] L4Header(byte protocol, int ports, int dataOffset, int udpLengthDelta, byte[] payload) => protocol switch
    {
        6 => [(byte)(ports >> 8), (byte)ports, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, (byte)(dataOffset << 4), 0x02, 0xFF, 0xFF, 0, 0, 0, 0, .. payload],
        17 => [(byte)(ports >> 8), (byte)ports, 0, 53, (byte)((8 + payload.Length + udpLengthDelta) >> 8), (byte)(8 + payload.Length + udpLengthDelta), 0, 0, .. payload],
        _ => [8, 0, 0, 0, .. payload],
    };

    private static Gen<byte[]> Bytes(int min, int max) =>
        Gen.Choose(min, Math.Max(min, max)).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));

    // Shorter prefixes first, then each byte zeroed: a failing frame shrinks to the bytes that matter.
    private static IEnumerable<byte[]> Shrink(byte[] frame)
    {
        for (int n = frame.Length / 2; n < frame.Length; n += Math.Max(1, (frame.Length - n) / 2))
        {
            yield return frame[..n];
        }
    }
}
