namespace KalkiEdge.DataPlane;

/// <summary>
/// The IP extension headers <see cref="Frame"/> walks to reach the transport header. IPv6 (RFC 8200, RFC 7045):
/// Hop-by-Hop, Routing, Fragment, Destination Options, AH, and Mobility/HIP/Shim6/experimental headers in the
/// RFC 6564 uniform format; IPv4: AH only. ESP is not walked: its contents are encrypted, so ESP is the protocol.
/// </summary>
public static class IpExtensionHeaders
{
    public const byte HopByHop = 0;
    public const byte Routing = 43;
    public const byte Fragment = 44;
    public const byte DestinationOptions = 60;

    /// <summary>
    /// More headers than a legitimate packet carries (RFC 8200 §4.1 orders at most seven kinds, one Destination
    /// Options header twice), so the walk is bounded whatever a frame claims.
    /// </summary>
    public const int MaxCount = 8;

    public static bool IsExtension(byte protocol, bool ipv6) => ipv6
        ? protocol is HopByHop or Routing or Fragment or DestinationOptions or IpProtocols.Ah or 135 or 139 or 140 or 253 or 254
        : protocol == IpProtocols.Ah;

    /// <summary>The header's length in bytes from its first 8 bytes (always ≥ 8).</summary>
    public static int Length(byte protocol, ReadOnlySpan<byte> header) => protocol switch
    {
        Fragment => 8,
        IpProtocols.Ah => (header[1] + 2) * 4,
        _ => (header[1] + 1) * 8,
    };
}
