using KalkiEdge.Appliance.Simulation;

namespace KalkiEdge.ReplayTests;

public class ReplayContractTests
{
    [Test]
    public void Replay_of_the_site_scenario_prints_alerts_and_a_summary_as_json_lines()
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        var timeline = SiteScenario.Build();
        timeline.WritePcap(pcap);

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--json");

        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Lines[^1].GetProperty("kind").GetString(), Is.EqualTo("summary"));
        Assert.That(r.Summary.GetProperty("frames").GetInt64(), Is.EqualTo(timeline.Count));
        var devices = r.Summary.GetProperty("devices");
        Assert.That(devices.EnumerateObject().Select(d => d.Name), Is.EquivalentTo(SiteScenario.Devices.Select(d => d.Name)));
        var spoof = r.OfKind("alert").Where(a => a.GetProperty("type").GetString() == "arp-spoof").ToList();
        Assert.That(spoof, Is.Not.Empty);
        Assert.That(spoof[0].GetProperty("device").GetString(), Is.EqualTo("dlink-camera"));
        Assert.That(spoof[0].GetProperty("frame").GetInt64(), Is.GreaterThan(0));
    }

    [Test]
    public void Forwarded_frames_can_be_written_to_a_capture()
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        SiteScenario.Build().WritePcap(pcap);
        var output = dir.File("forwarded.pcap");

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--json", "--write", output);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);

        var again = KalkiEdgeCli.Run("replay", "--pcap", output, "--json");
        var forwarded = r.Summary.GetProperty("forwarded").GetInt64() + r.Summary.GetProperty("replied").GetInt64();
        Assert.That(again.Summary.GetProperty("frames").GetInt64(), Is.EqualTo(forwarded));
    }

    [Test]
    public void A_missing_capture_is_a_clear_error()
    {
        var r = KalkiEdgeCli.Run("replay", "--pcap", "/nonexistent/x.pcap", "--json");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("/nonexistent/x.pcap").And.Contain("no such capture file"));
    }

    [Test]
    public void A_truncated_capture_is_reported_with_the_last_good_frame()
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        SiteScenario.Build().WritePcap(pcap);
        var bytes = File.ReadAllBytes(pcap);
        File.WriteAllBytes(pcap, bytes[..(bytes.Length / 2)]);

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain(pcap).And.Contain("truncated"));
    }

    [Test]
    public void Garbage_is_not_a_capture()
    {
        using var dir = new TempDir();
        var pcap = dir.File("garbage.pcap");
        File.WriteAllText(pcap, "this is not a capture file at all, just text");
        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain(pcap).And.Contain("not a readable pcap"));
    }

    [Test]
    public void Non_ethernet_link_types_are_refused_with_the_reason()
    {
        using var dir = new TempDir();
        var pcap = dir.File("rawip.pcap");
        // A pcap global header with link type 101 (raw IP) and no records.
        var header = new byte[24];
        BitConverter.GetBytes(0xA1B2C3D4u).CopyTo(header, 0);
        BitConverter.GetBytes((ushort)2).CopyTo(header, 4);
        BitConverter.GetBytes((ushort)4).CopyTo(header, 6);
        BitConverter.GetBytes(65535u).CopyTo(header, 16);
        BitConverter.GetBytes(101u).CopyTo(header, 20);
        File.WriteAllBytes(pcap, header);

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("link type").And.Contain("Ethernet"));
    }

    [Test]
    public void Malformed_frames_are_reported_counted_and_not_forwarded()
    {
        using var dir = new TempDir();
        var pcap = dir.File("malformed.pcap");
        var t = new Timeline();
        var good = PacketFactory.Udp(SiteScenario.Cloud, SiteScenario.Camera, 53, 5000, PacketFactory.Ascii("answer"));
        t.Add(1_000_000, good);
        t.Add(2_000_000, good[..30]);
        t.Add(3_000_000, good[..8]);
        t.WritePcap(pcap);
        var output = dir.File("out.pcap");

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--json", "--write", output);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Summary.GetProperty("malformed").GetInt64(), Is.EqualTo(2));
        Assert.That(r.Summary.GetProperty("forwarded").GetInt64(), Is.EqualTo(1));
        var malformed = r.OfKind("malformed").ToList();
        Assert.That(malformed, Has.Count.EqualTo(1), "runts are counted; decodable-but-bad frames also say why");
        Assert.That(malformed[0].GetProperty("frame").GetInt64(), Is.EqualTo(2));
        Assert.That(malformed[0].GetProperty("reason").GetString(), Does.Contain("truncated IPv4"));
    }
}
