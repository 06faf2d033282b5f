using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes.Common;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Umboxes.Common;

public class MatchHelpersTests
{
    [TestCase("443", 443, 443)]
    [TestCase("0", 0, 0)]
    [TestCase("65535", 65535, 65535)]
    [TestCase("8000-8080", 8000, 8080)]
    [TestCase(" 10 - 20 ", 10, 20)]
    public void Parses_ports_and_ranges(string text, int low, int high)
    {
        Assert.That(MatchArgs.TryParsePortRange(text, out var range), Is.True);
        Assert.That(range, Is.EqualTo(((ushort)low, (ushort)high)));
    }

    [TestCase("65536")]
    [TestCase("-1")]
    [TestCase("80-")]
    [TestCase("90-80")]
    [TestCase("http")]
    [TestCase("1e3")]
    [TestCase("")]
    public void Rejects_bad_ports(string text) => Assert.That(MatchArgs.TryParsePortRange(text, out _), Is.False);

    [Test]
    public void Port_set_checks_every_range()
    {
        var set = new PortSet([(22, 22), (8000, 8080)]);
        Assert.That(set.Contains(22), Is.True);
        Assert.That(set.Contains(23), Is.False);
        Assert.That(set.Contains(8080), Is.True);
        Assert.That(set.ToString(), Is.EqualTo("22,8000-8080"));
    }

    [Test]
    public void Address_set_small_and_grouped_forms_agree()
    {
        var nets = Enumerable.Range(0, 20).Select(i => Net($"198.51.100.{i * 8}/29")).Append(Net("2001:db8::/32")).Append(Net("203.0.113.7")).ToList();
        var grouped = new AddressSet(nets);
        var smallNets = nets.Skip(18).ToList(); // 198.51.100.144/29, .152/29, 2001:db8::/32, 203.0.113.7: scanned
        var small = new AddressSet(smallNets);
        var probes = new[] { "198.51.100.0", "198.51.100.159", "198.51.100.160", "203.0.113.7", "203.0.113.8", "2001:db8::1", "2001:db9::1" };
        foreach (var p in probes)
        {
            Assert.That(Ip.TryParse(p, out var ip), Is.True);
            bool expected = nets.Any(n => n.Contains(ip));
            Assert.That(grouped.Contains(ip), Is.EqualTo(expected), p);
            Assert.That(small.Contains(ip), Is.EqualTo(smallNets.Any(n => n.Contains(ip))), p);
        }
    }

    [Test]
    public void Source_prefix_cuts_v4_and_v6_separately()
    {
        var prefix = new SourcePrefix(24, 64);
        Assert.That(Ip.TryParse("203.0.113.66", out var v4), Is.True);
        Assert.That(Ip.TryParse("2001:db8:1:2:3:4:5:6", out var v6), Is.True);
        Assert.That(prefix.Format(prefix.Apply(v4)), Is.EqualTo("203.0.113.0/24"));
        Assert.That(prefix.Format(prefix.Apply(v6)), Is.EqualTo("2001:db8:1:2::/64"));
        Assert.That(SourcePrefix.Host.Format(SourcePrefix.Host.Apply(v4)), Is.EqualTo("203.0.113.66"));
    }

    [Test]
    public void Endpoints_read_the_device_side_whichever_way_the_frame_goes()
    {
        var frame = new Frame();
        frame.Load(Frames.Tcp(Frames.CloudIp, 443, Frames.DeviceIp, 40000, TcpFlagsBuilder.SynAck), 0, Direction.ToDevice);
        Assert.That(frame.Decode(), Is.True);
        Assert.That(Ip.Format(frame.RemoteIp()), Is.EqualTo(Frames.CloudIp));
        Assert.That(Ip.Format(frame.LocalIp()), Is.EqualTo(Frames.DeviceIp));
        Assert.That((frame.LocalPort(), frame.RemotePort()), Is.EqualTo(((ushort)40000, (ushort)443)));

        frame.Load(Frames.Tcp(Frames.DeviceIp, 40000, Frames.CloudIp, 443, TcpFlagsBuilder.SynOnly), 0, Direction.FromDevice);
        Assert.That(frame.Decode(), Is.True);
        Assert.That(Ip.Format(frame.RemoteIp()), Is.EqualTo(Frames.CloudIp));
        Assert.That((frame.LocalPort(), frame.RemotePort()), Is.EqualTo(((ushort)40000, (ushort)443)));
        Assert.That(FlowKey.TryCreate(frame, out var outKey), Is.True);
        frame.Load(Frames.Tcp(Frames.CloudIp, 443, Frames.DeviceIp, 40000, TcpFlagsBuilder.SynAck), 0, Direction.ToDevice);
        frame.Decode();
        Assert.That(FlowKey.TryCreate(frame, out var inKey), Is.True);
        Assert.That(inKey, Is.EqualTo(outKey), "request and reply share one flow key");
    }

    [Test]
    public void Distinct_counter_counts_distinct_values_up_to_its_cap()
    {
        var d = default(DistinctCounter);
        Assert.That(d.Add(80, 3), Is.True);
        Assert.That(d.Add(80, 3), Is.False);
        Assert.That(d.Add(443, 3), Is.True);
        Assert.That(d.Add(0, 3), Is.True);
        Assert.That(d.Add(22, 3), Is.False, "over the cap: not remembered");
        Assert.That(d.Count, Is.EqualTo(3));
        Assert.That(d.Contains(0) && d.Contains(80) && !d.Contains(22), Is.True);
        d.Reset();
        Assert.That(d.Count, Is.Zero);
        Assert.That(d.Contains(80), Is.False);
        for (uint p = 1000; p < 2000; p++)
        {
            d.Add(p, 1024);
        }

        Assert.That(d.Count, Is.EqualTo(1000));
    }

    private static IpNetwork Net(string text)
    {
        Assert.That(IpNetwork.TryParse(text, out var n), Is.True, text);
        return n;
    }
}
