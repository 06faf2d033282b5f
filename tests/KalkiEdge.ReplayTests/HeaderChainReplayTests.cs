using System.Buffers.Binary;
using KalkiEdge.Appliance.Simulation;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests;

/// <summary>
/// A capture of frames that hide their transport header (IPv6 extension headers) or lie about its length (UDP),
/// replayed through the real executable: the device's deny rule sees through the header, the liar is malformed.
/// </summary>
public class HeaderChainReplayTests
{
    private const string DeviceMac = "02:00:00:00:00:10";

    [Test]
    public void Tcp_behind_a_destination_options_header_meets_the_deny_rule_and_a_lying_udp_length_is_malformed()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, $"""
            devices:
              - name: cam
                mac: {DeviceMac}
                ip: 192.0.2.10
                chain: "firewall(default: allow, rules: [{"{"}action: deny, proto: tcp, lport: 80{"}"}])"
            """);
        var timeline = new Timeline();
        timeline.Add(1_000, TcpBehindDestinationOptions(dstPort: 80));
        timeline.Add(2_000, TcpBehindDestinationOptions(dstPort: 443));
        var udp = PacketFactory.Udp(new SimHost("attacker", "02:00:00:00:00:fe", "203.0.113.66"), new SimHost("cam", DeviceMac, "192.0.2.10"), 5000, 5000, "x"u8);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(14 + 20 + 4), 0xFFFF);
        timeline.Add(3_000, udp);
        var pcap = dir.File("hidden.pcap");
        timeline.WritePcap(pcap);
        var output = dir.File("forwarded.pcap");

        var r = KalkiEdgeCli.Run("replay", "--config", config, "--pcap", pcap, "--json", "--write", output);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Summary.GetProperty("forwarded").GetInt64(), Is.EqualTo(1), "only the port-443 frame");
        Assert.That(r.Summary.GetProperty("malformed").GetInt64(), Is.EqualTo(1));
        var malformed = r.OfKind("malformed").Single();
        Assert.That(malformed.GetProperty("frame").GetInt64(), Is.EqualTo(3));
        Assert.That(malformed.GetProperty("reason").GetString(), Does.Contain("bad UDP length 65535"));
        var again = KalkiEdgeCli.Run("replay", "--pcap", output, "--json");
        Assert.That(again.Summary.GetProperty("frames").GetInt64(), Is.EqualTo(1));
    }

    /// <summary>Ethernet + IPv6 (2001:db8::/32) + an 8-byte Destination Options header + a TCP SYN, as raw bytes.</summary>
    private static byte[] TcpBehindDestinationOptions(ushort dstPort)
    {
        var f = new byte[14 + 40 + 8 + 20];
        Convert.FromHexString(DeviceMac.Replace(":", "", StringComparison.Ordinal)).CopyTo(f, 0);
        Convert.FromHexString("0200000000fe").CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x86DD);
        var ip = f.AsSpan(14);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 8 + 20);
        ip[6] = 60; // Destination Options
        ip[7] = 64;
        Convert.FromHexString("20010db8000000000000000000000066").CopyTo(ip[8..]);
        Convert.FromHexString("20010db8000000000000000000000010").CopyTo(ip[24..]);
        var options = ip[40..];
        options[0] = 6; // next: TCP
        options[2] = 1; // PadN, 4 bytes
        options[3] = 4;
        var tcp = ip[48..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], dstPort);
        tcp[12] = 5 << 4;
        tcp[13] = 0x02; // SYN
        return f;
    }
}
