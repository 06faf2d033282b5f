using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Umboxes;
using KalkiEdge.Umboxes.Elements;
using KalkiEdge.UnitTests.Support;
using static KalkiEdge.TestKit.Micros;
using static KalkiEdge.UnitTests.Umboxes.NetTestKit;

namespace KalkiEdge.UnitTests.Umboxes;

public class LogStatsTests
{
    private const string Device = Frames.DeviceIp;

    private sealed class LogCapture : IUmboxLogSink
    {
        public List<(string Device, string Element, long Time, string Message)> Records { get; } = [];

        public void Log(string device, string element, long timeMicros, string message) => Records.Add((device, element, timeMicros, message));
    }

    /// <summary>Runs frames through a compiled chain with a μmbox log sink attached (the shared harness has none).</summary>
    private sealed class LoggingHarness
    {
        private readonly Frame _frame = new();
        private readonly ElementContext _context;

        public LoggingHarness(string text)
        {
            var diagnostics = new DiagnosticBag();
            var compiler = new ChainCompiler(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(RepoPaths.Rules));
            Chain = (compiler.Compile(text, new SourceSpan("test", 1, 1), diagnostics) ?? throw new ConfigurationException(diagnostics.Items)).Instantiate();
            Assert.That(Mac.TryParse(Frames.DeviceMac, out var mac), Is.True);
            _context = new ElementContext(new RecordingAlertSink(), Logs) { Device = new DeviceSlot("cam", mac, []) };
        }

        public Chain Chain { get; }

        public LogCapture Logs { get; } = new();

        public long NowMicros { get; set; } = 1_700_000_000_000_000;

        public Verdict Run(byte[] bytes, Direction direction = Direction.ToDevice)
        {
            _frame.Load(bytes, NowMicros, direction);
            return Chain.Process(_frame, _context);
        }
    }

    private static byte[] InTcp() => Frames.Tcp(Frames.CloudIp, 443, Device, 40000, TcpFlagsBuilder.PshAck, "hello");

    private static byte[] OutUdp() => Frames.Udp(Device, 5000, Frames.CloudIp, 53, "q", Frames.DeviceMac, Frames.GatewayMac);

    [Test]
    public void Writes_one_line_per_interval_with_counts_per_direction_and_protocol()
    {
        var h = new LoggingHarness("log-stats(interval: 10s)");
        var tcp = InTcp();
        var udp = OutUdp();
        var arp = Frames.ArpReply(Frames.GatewayMac, "192.0.2.1", Frames.DeviceMac, Device);
        long start = h.NowMicros;
        Assert.That(h.Run(tcp), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(tcp), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(arp), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Run(udp, Direction.FromDevice), Is.EqualTo(Verdict.Forward));
        h.NowMicros = start + (10 * Second) - 1;
        Assert.That(h.Run(Frames.IcmpEcho(Frames.CloudIp, Device)), Is.EqualTo(Verdict.Forward));
        Assert.That(h.Logs.Records, Is.Empty, "the interval has not elapsed");

        h.NowMicros = start + (10 * Second);
        h.Run(udp, Direction.FromDevice);
        var record = h.Logs.Records.Single();
        int icmpLength = Frames.IcmpEcho(Frames.CloudIp, Device).Length;
        long inBytes = (2L * tcp.Length) + arp.Length + icmpLength;
        Assert.That(record.Message, Is.EqualTo(
            $"10s: in 4 frames {inBytes} bytes (tcp 2/{2 * tcp.Length}, icmp 1/{icmpLength}, arp 1/{arp.Length}); out 1 frames {udp.Length} bytes (udp 1/{udp.Length})"));
        Assert.That(record.Device, Is.EqualTo("cam"));
        Assert.That(record.Element, Is.EqualTo("log-stats"));
        Assert.That(record.Time, Is.EqualTo(start + (10 * Second)));
    }

    [Test]
    public void Each_line_covers_only_what_came_since_the_previous_one()
    {
        var h = new LoggingHarness("log-stats(interval: 1s)");
        var udp = OutUdp();
        long start = h.NowMicros;
        for (int second = 0; second < 4; second++)
        {
            h.NowMicros = start + (second * Second);
            for (int i = 0; i <= second; i++)
            {
                h.Run(udp, Direction.FromDevice);
            }
        }

        Assert.That(h.Logs.Records.Select(r => r.Message), Is.EqualTo(new[]
        {
            $"1s: in 0 frames 0 bytes; out 1 frames {udp.Length} bytes (udp 1/{udp.Length})",
            $"1s: in 0 frames 0 bytes; out 2 frames {2 * udp.Length} bytes (udp 2/{2 * udp.Length})",
            $"1s: in 0 frames 0 bytes; out 3 frames {3 * udp.Length} bytes (udp 3/{3 * udp.Length})",
        }));
    }

    [Test]
    public void A_quiet_gap_yields_one_line_and_keeps_the_interval_grid()
    {
        var h = new LoggingHarness("log-stats(interval: 10s)");
        var tcp = InTcp();
        long start = h.NowMicros;
        h.Run(tcp);
        h.NowMicros = start + (35 * Second);
        h.Run(tcp);
        Assert.That(h.Logs.Records.Single().Message, Does.StartWith("30s: in 1 frames"));
        h.NowMicros = start + (39 * Second);
        h.Run(tcp);
        Assert.That(h.Logs.Records, Has.Count.EqualTo(1), "the period started at 30 s on the grid, not at 35 s");
        h.NowMicros = start + (40 * Second);
        h.Run(tcp);
        Assert.That(h.Logs.Records[1].Message, Does.StartWith("10s: in 2 frames"));
        Assert.That(((LogStats)h.Chain.Elements[0]).Lines, Is.EqualTo(2));
    }

    [Test]
    public void Malformed_frames_are_counted_and_not_forwarded()
    {
        var h = new LoggingHarness("log-stats(interval: 1s)");
        Assert.That(h.Run(TruncateTcp(InTcp(), 4)), Is.EqualTo(Verdict.Drop));
        Assert.That(h.Run(Lldp()), Is.EqualTo(Verdict.Forward));
        h.NowMicros += Second;
        h.Run(Lldp());
        Assert.That(h.Logs.Records.Single().Message, Is.EqualTo("1s: in 1 frames 60 bytes (other 1/60); out 0 frames 0 bytes; malformed 1"));
    }

    [Test]
    public void Counting_does_not_allocate_between_lines()
    {
        var h = new LoggingHarness("log-stats(interval: 1h)");
        var tcp = InTcp();
        h.Run(tcp);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            h.NowMicros++;
            h.Run(tcp);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [TestCase("log-stats(interval: 10)", "duration '10' has no unit")]
    [TestCase("log-stats(interval: 0s)", "'interval' must be at least 1ms")]
    [TestCase("log-stats(every: 10s)", "unknown argument 'every'")]
    public void Rejects_bad_arguments(string text, string message)
    {
        ChainHarness.AssertRejects(text, message);
    }

    [Test]
    public void Errors_carry_line_and_column()
    {
        const string text = "pass -> log-stats(\n   interval: ten)";
        var e = ChainHarness.Errors(text).ErrorMentioning("'interval'");
        Assert.That((e.Line, e.Column), Is.EqualTo(PositionOf(text, "ten")));
    }
}
