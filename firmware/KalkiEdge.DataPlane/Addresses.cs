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

    /// <summary>
    /// Six groups of exactly two hex digits, all separated by ':' or all by '-'. <paramref name="mac"/> stays 0
    /// unless the whole text parses.
    /// </summary>
    public static bool TryParse(string text, out ulong mac)
    {
        mac = 0;
        var t = text.Trim();
        if (t.Length != 17)
        {
            return false;
        }

        char separator = t[2];
        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            if ((i < 5 && (t[(i * 3) + 2] != separator || separator is not (':' or '-')))
                || !byte.TryParse(t.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                return false;
            }

            value = (value << 8) | b;
        }

        mac = value;
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

    /// <summary>
    /// An IPv4 address as a dotted quad (no "1.2.3", "2130706433", "0x7f000001" or leading zeros: the forms
    /// inet_aton accepts and humans misread) or an IPv6 address without a zone ("%eth0").
    /// </summary>
    public static bool TryParse(string text, out UInt128 ip)
    {
        ip = 0;
        var t = text.Trim();
        if (!IPAddress.TryParse(t, out var a)
            || (a.AddressFamily == AddressFamily.InterNetwork && a.ToString() != t)
            || (a.AddressFamily == AddressFamily.InterNetworkV6 && (t.Contains('%', StringComparison.Ordinal) || t.Contains('[', StringComparison.Ordinal))))
        {
            return false;
        }

        ip = From(a);
        return true;
    }

    /// <summary>
    /// True for an address one device can own: not unspecified, loopback, multicast or the IPv4 broadcast.
    /// </summary>
    public static bool IsUnicast(UInt128 ip)
    {
        if (IsV4(ip))
        {
            var v = (uint)ip;
            return v != 0 && v != uint.MaxValue && (v >> 24) != 127 && (v >> 28) != 0xE;
        }

        return ip != 0 && ip != 1 && (ip >> 120) != 0xFF;
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
