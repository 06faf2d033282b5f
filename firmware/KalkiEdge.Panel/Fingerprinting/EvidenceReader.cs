using System.Text;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Panel.Fingerprinting;

/// <summary>
/// Reads what a candidate's frame says about the device: DHCP options 12/60/55/161, mDNS service types, SSDP headers,
/// an HTTP Server banner, the MUD URL of an LLDP frame. Every offset is bounds-checked; a malformed or hostile payload yields nothing, never an
/// exception. Runs only on frames of pairing candidates.
/// </summary>
public static class EvidenceReader
{
    private const int BootpFixed = 236;
    private const int MaxTextScan = 1500;
    private const ushort Lldp = 0x88CC;

    public static void Read(Frame frame, Evidence evidence)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(evidence);
        if (!frame.Decode() || frame.IsLaterFragment)
        {
            return;
        }

        if (frame.EtherType == Lldp)
        {
            LldpMud(frame.Data[frame.L3Offset..], evidence);
            return;
        }

        var payload = frame.Payload;
        if (frame.IsUdp)
        {
            if (frame.SrcPort == 68 && frame.DstPort == 67)
            {
                Dhcp(payload, evidence);
            }
            else if (frame.SrcPort == 5353 || frame.DstPort == 5353)
            {
                Mdns(payload, evidence);
            }
            else if (frame.SrcPort == 1900 || frame.DstPort == 1900)
            {
                Headers(payload, evidence, ssdp: true);
            }
        }
        else if (frame.IsTcp && payload.StartsWith("HTTP/1."u8))
        {
            Headers(payload, evidence, ssdp: false);
        }
    }

    private static void Dhcp(ReadOnlySpan<byte> p, Evidence evidence)
    {
        if (p.Length < BootpFixed + 4 || p[0] != 1 || !p.Slice(BootpFixed, 4).SequenceEqual((ReadOnlySpan<byte>)[99, 130, 83, 99]))
        {
            return;
        }

        string? host = null, vendor = null, parameters = null;
        var i = BootpFixed + 4;
        while (i < p.Length && p[i] != 255)
        {
            if (p[i] == 0)
            {
                i++;
                continue;
            }

            if (i + 1 >= p.Length || i + 2 + p[i + 1] > p.Length)
            {
                break; // truncated option: what came before stands
            }

            var value = p.Slice(i + 2, p[i + 1]);
            switch (p[i])
            {
                case 12: host = Encoding.ASCII.GetString(value); break;
                case 60: vendor = Encoding.ASCII.GetString(value); break;
                case 55: parameters = string.Join(",", value.ToArray()); break;
                case 161: evidence.SetMudUrl(Encoding.ASCII.GetString(value)); break;
            }

            i += 2 + value.Length;
        }

        evidence.SetDhcp(host, vendor, parameters);
    }

    /// <summary>
    /// LLDP TLVs (7-bit type, 9-bit length): RFC 8520 section 11 carries the MUD URL in an organizationally specific
    /// TLV (type 127) with the IANA OUI 00-00-5E and subtype 1. The walk ends at the End TLV or the first TLV that
    /// does not fit.
    /// </summary>
    private static void LldpMud(ReadOnlySpan<byte> p, Evidence evidence)
    {
        var i = 0;
        while (i + 2 <= p.Length)
        {
            var type = p[i] >> 1;
            var length = ((p[i] & 1) << 8) | p[i + 1];
            if (type == 0 || i + 2 + length > p.Length)
            {
                return;
            }

            var value = p.Slice(i + 2, length);
            if (type == 127 && length > 4 && value[..4].SequenceEqual((ReadOnlySpan<byte>)[0x00, 0x00, 0x5E, 0x01]))
            {
                evidence.SetMudUrl(Encoding.ASCII.GetString(value[4..]));
            }

            i += 2 + length;
        }
    }

    /// <summary>
    /// DNS-SD service types appear as a label "_name" followed by "_tcp" or "_udp" in questions and records alike;
    /// scanning the labels finds them without following compression pointers (which a hostile packet could loop).
    /// </summary>
    private static void Mdns(ReadOnlySpan<byte> p, Evidence evidence)
    {
        for (var i = 12; i + 1 < p.Length; i++)
        {
            int len = p[i];
            if (len is < 2 or > 63 || p[i + 1] != (byte)'_' || i + 1 + len + 5 > p.Length)
            {
                continue;
            }

            var next = i + 1 + len;
            var proto = p.Slice(next, 5);
            if (proto[0] == 4 && (proto[1..].SequenceEqual("_tcp"u8) || proto[1..].SequenceEqual("_udp"u8)) && IsLabel(p.Slice(i + 1, len)))
            {
                evidence.AddService(Encoding.ASCII.GetString(p.Slice(i + 1, len)) + "." + Encoding.ASCII.GetString(proto[1..]));
                i = next + 4;
            }
        }
    }

    private static bool IsLabel(ReadOnlySpan<byte> label)
    {
        foreach (var b in label)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>SSDP (NOTIFY, M-SEARCH responses) and HTTP responses share the header syntax.</summary>
    private static void Headers(ReadOnlySpan<byte> p, Evidence evidence, bool ssdp)
    {
        var text = Encoding.ASCII.GetString(p[..Math.Min(p.Length, MaxTextScan)]);
        foreach (var line in text.Split("\r\n").Skip(1))
        {
            if (line.Length == 0)
            {
                break; // end of headers
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (value.Length == 0)
            {
                continue;
            }

            if (!ssdp && name.Equals("Server", StringComparison.OrdinalIgnoreCase))
            {
                evidence.SetHttpServer(value);
            }
            else if (ssdp && (name.Equals("NT", StringComparison.OrdinalIgnoreCase) || name.Equals("ST", StringComparison.OrdinalIgnoreCase)
                || name.Equals("USN", StringComparison.OrdinalIgnoreCase) || name.Equals("SERVER", StringComparison.OrdinalIgnoreCase)))
            {
                evidence.AddSsdp(value);
            }
        }
    }
}
