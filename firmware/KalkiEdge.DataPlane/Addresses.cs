using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KalkiEdge.DataPlane;

/// <summary>MAC addresses as 48-bit integers: cheap to hash and compare on the hot path.</summary>
public static class Mac
{
    public const ulong Broadcast = 0xFFFF_FFFF_FFFF;

    public static ulong Read(ReadOnlySpan<byte> six) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(six) << 32) | BinaryPrimitives.ReadUInt32BigEndian(six[2..]);

    public static void Write(ulong mac, Span<byte> six)
    {
        BinaryPrimitives.WriteUInt16BigEndian(six, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(six[2..], (uint)mac);
    }

    /// <summary>Group bit set: broadcast or multicast.</summary>
    public static bool IsGroup(ulong mac) => (mac & 0x0100_0000_0000) != 0;

    public static bool TryParse(string text, out ulong mac)
    {
        mac = 0;
        var parts = text.Trim().Split(':', '-');
        if (parts.Length != 6)
        {
            return false;
        }

        foreach (var p in parts)
        {
            if (p.Length is < 1 or > 2 || !byte.TryParse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                return false;
            }

            mac = (mac << 8) | b;
        }

        return true;
    }

    public static string Format(ulong mac) => string.Create(17, mac, static (span, m) =>
    {
        for (int i = 0; i < 6; i++)
        {
            var b = (byte)(m >> (40 - (8 * i)));
            b.TryFormat(span[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
            if (i < 5)
            {
                span[(i * 3) + 2] = ':';
            }
        }
    });
}

/// <summary>
/// IP addresses as 128-bit integers; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so one type and one CIDR
/// matcher serve both families without allocation.
/// </summary>
public static class Ip
{
    private static readonly UInt128 V4Prefix = (UInt128)0xFFFF << 32;

    public static UInt128 FromV4(uint v4) => V4Prefix | v4;

    public static UInt128 ReadV4(ReadOnlySpan<byte> four) => FromV4(BinaryPrimitives.ReadUInt32BigEndian(four));

    public static UInt128 ReadV6(ReadOnlySpan<byte> sixteen) => BinaryPrimitives.ReadUInt128BigEndian(sixteen);

    public static bool IsV4(UInt128 ip) => (ip >> 32) == 0xFFFF;

    public static bool TryParse(string text, out UInt128 ip)
    {
        ip = 0;
        if (!IPAddress.TryParse(text.Trim(), out var a))
        {
            return false;
        }

        ip = From(a);
        return true;
    }

    public static UInt128 From(IPAddress a)
    {
        Span<byte> b = stackalloc byte[16];
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            a.TryWriteBytes(b, out _);
            return ReadV4(b);
        }

        a.TryWriteBytes(b, out _);
        return ReadV6(b);
    }

    public static string Format(UInt128 ip)
    {
        if (IsV4(ip))
        {
            var v = (uint)ip;
            return $"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}";
        }

        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, ip);
        return new IPAddress(b).ToString();
    }
}

/// <summary>An address block (CIDR). "any" matches everything.</summary>
public readonly record struct IpNetwork(UInt128 Prefix, int Bits)
{
    public static readonly IpNetwork Any = new(0, 0);

    public UInt128 Mask => Bits == 0 ? 0 : UInt128.MaxValue << (128 - Bits);

    public bool Contains(UInt128 ip) => (ip & Mask) == Prefix;

    public static bool TryParse(string text, out IpNetwork net)
    {
        net = Any;
        var t = text.Trim();
        if (t is "any" or "*")
        {
            return true;
        }

        var slash = t.IndexOf('/', StringComparison.Ordinal);
        var addrText = slash < 0 ? t : t[..slash];
        if (!Ip.TryParse(addrText, out var ip))
        {
            return false;
        }

        int full = Ip.IsV4(ip) ? 32 : 128;
        int bits = full;
        if (slash >= 0 && (!int.TryParse(t[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > full))
        {
            return false;
        }

        int bits128 = Ip.IsV4(ip) ? bits + 96 : bits;
        var mask = bits128 == 0 ? 0 : UInt128.MaxValue << (128 - bits128);
        net = new IpNetwork(ip & mask, bits128);
        return true;
    }

    public override string ToString()
    {
        if (Bits == 0)
        {
            return "any";
        }

        return Ip.IsV4(Prefix) && Bits >= 96 ? $"{Ip.Format(Prefix)}/{Bits - 96}" : $"{Ip.Format(Prefix)}/{Bits}";
    }
}
