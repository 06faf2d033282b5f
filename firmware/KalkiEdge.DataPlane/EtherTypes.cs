using System.Buffers.Binary;

namespace KalkiEdge.DataPlane;

/// <summary>How reading a frame's EtherType (<see cref="EtherTypes.BehindVlans"/>) ended.</summary>
public enum EtherTypeRead : byte
{
    /// <summary>The EtherType and the offset of what it carries were read.</summary>
    Found,

    /// <summary>The frame is shorter than an Ethernet header (14 bytes).</summary>
    Runt,

    /// <summary>The frame ends inside a VLAN tag, or right after one with no EtherType behind it.</summary>
    TruncatedVlanTag,

    /// <summary>A third VLAN tag: the decoder walks at most <see cref="EtherTypes.MaxVlanTags"/>.</summary>
    TooManyVlanTags,
}

/// <summary>The EtherTypes the decoder knows, and the one walk over VLAN tags to a frame's own.</summary>
public static class EtherTypes
{
    public const ushort IPv4 = 0x0800;
    public const ushort Arp = 0x0806;
    public const ushort Vlan = 0x8100;
    public const ushort QinQ = 0x88A8;

    /// <summary>The pre-802.1ad TPID many switches still use for the outer tag of a stack.</summary>
    public const ushort QinQLegacy = 0x9100;
    public const ushort IPv6 = 0x86DD;
    public const ushort MplsUnicast = 0x8847;
    public const ushort MplsMulticast = 0x8848;
    public const ushort PppoeSession = 0x8864;

    /// <summary>VLAN tags walked before the EtherType (a single tag or a QinQ stack).</summary>
    public const int MaxVlanTags = 2;

    private const int EtherTypeOffset = 12;
    private const int VlanTag = 4;

    /// <summary>A VLAN tag (any TPID the decoder walks).</summary>
    public static bool IsVlanTag(ushort type) => type is Vlan or QinQ or QinQLegacy;

    /// <summary>Layer 2 encapsulations of IP that the decoder does not open: what they carry could not be checked.</summary>
    public static bool IsUnopenedEncapsulation(ushort type) => type is MplsUnicast or MplsMulticast or PppoeSession;

    /// <summary>
    /// The EtherType behind up to <see cref="MaxVlanTags"/> VLAN tags, read from the bytes alone, and the offset of
    /// what it carries (the layer 3 header); both 0 unless <see cref="EtherTypeRead.Found"/>. The decoder and the
    /// sharded reader (which looks before anything is decoded) walk the tags through this one method, so they cannot
    /// disagree about a frame. Allocates nothing.
    /// </summary>
    public static EtherTypeRead BehindVlans(ReadOnlySpan<byte> frame, out ushort etherType, out int payloadOffset)
    {
        etherType = 0;
        payloadOffset = 0;
        if (frame.Length < Frame.EthernetHeader)
        {
            return EtherTypeRead.Runt;
        }

        int offset = EtherTypeOffset;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        for (int tags = 0; IsVlanTag(type); tags++)
        {
            if (tags == MaxVlanTags)
            {
                return EtherTypeRead.TooManyVlanTags;
            }

            if (frame.Length < offset + VlanTag + 2)
            {
                return EtherTypeRead.TruncatedVlanTag;
            }

            offset += VlanTag;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }

        etherType = type;
        payloadOffset = offset + 2;
        return EtherTypeRead.Found;
    }
}
