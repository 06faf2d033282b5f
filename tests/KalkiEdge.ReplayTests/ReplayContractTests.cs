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
    public void A_truncated_capture_keeps_the_summary_of_what_was_read_and_says_where_it_stopped()
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        var timeline = SiteScenario.Build();
        timeline.WritePcap(pcap);
        var bytes = File.ReadAllBytes(pcap);
        File.WriteAllBytes(pcap, bytes[..(bytes.Length / 2)]);

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--json");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        var frames = r.Summary.GetProperty("frames").GetInt64();
        Assert.That(frames, Is.GreaterThan(0).And.LessThan(timeline.Count), "the frames before the cut were processed and counted");
        var stopped = r.Summary.GetProperty("stopped").GetString();
        Assert.That(stopped, Does.StartWith($"{pcap}: corrupt or truncated after frame {frames}: ").And.Contain("truncated"));
        Assert.That(r.Stderr, Does.Contain(stopped).And.Contain($"the counts above cover the {frames} frames read before it"));
    }

    [Test]
    public void A_truncated_capture_in_text_mode_prints_its_counts_then_the_error()
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        SiteScenario.Build().WritePcap(pcap);
        var bytes = File.ReadAllBytes(pcap);
        File.WriteAllBytes(pcap, bytes[..(bytes.Length - 7)]);

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stdout, Does.Match(@"\d+ frames: \d+ forwarded"));
        Assert.That(r.Stderr, Does.Contain("corrupt or truncated after frame"));
    }

    [Test]
    public void A_write_error_fails_the_replay_with_the_file_and_the_reason()
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        SiteScenario.Build().WritePcap(pcap);

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--json", "--write", "/dev/full");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout);
        Assert.That(r.Stderr, Does.Contain("/dev/full: cannot write capture file").And.Contain("No space left on device"));
    }

    [Test]
    public void A_write_into_a_missing_directory_is_a_clear_error()
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        SiteScenario.Build().WritePcap(pcap);

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--write", dir.File("no/such/dir/out.pcap"));
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("out.pcap: cannot write capture file"));
    }

    [TestCase("same path")]
    [TestCase("symbolic link")]
    [TestCase("hard link")]
    public void Replay_refuses_to_write_over_the_capture_it_reads(string how)
    {
        using var dir = new TempDir();
        var pcap = dir.File("site.pcap");
        SiteScenario.Build().WritePcap(pcap);
        var before = File.ReadAllBytes(pcap);
        var target = how switch
        {
            "same path" => Path.Combine(dir.Path, ".", "site.pcap"),
            "symbolic link" => File.CreateSymbolicLink(dir.File("link.pcap"), pcap).FullName,
            _ => HardLink(pcap, dir.File("hard.pcap")),
        };

        var r = KalkiEdgeCli.Run("replay", "--pcap", pcap, "--write", target);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain($"--write {target} is the capture being read (--pcap {pcap}); refusing to overwrite it"));
        Assert.That(File.ReadAllBytes(pcap), Is.EqualTo(before));
    }

    private static string HardLink(string existing, string link)
    {
        BoundedProcess.Output(TimeSpan.FromSeconds(10), "ln", existing, link);
        return link;
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
        Assert.That(malformed, Has.Count.EqualTo(2), "every malformed frame says why, a runt too");
        Assert.That(malformed[0].GetProperty("frame").GetInt64(), Is.EqualTo(2));
        Assert.That(malformed[0].GetProperty("reason").GetString(), Does.Contain("truncated IPv4"));
        Assert.That(malformed[1].GetProperty("frame").GetInt64(), Is.EqualTo(3));
        Assert.That(malformed[1].GetProperty("reason").GetString(), Is.EqualTo("runt frame: shorter than an Ethernet header (14 bytes)"));
    }
}
