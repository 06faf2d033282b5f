using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Bench;

/// <summary>
/// A generated multi-device traffic mix for offline benchmarks: every device exchanges TCP/443, UDP/53 and
/// ICMP with cloud peers, both directions, mixed frame sizes. Frames are templates (a few per device) played
/// in a shuffled order, so a million frames need little memory. Device addresses come from 198.18.0.0/15,
/// the range reserved for benchmarking (RFC 2544), because TEST-NET has too few for 10,000 devices; nothing
/// here is ever sent on a network.
/// </summary>
public sealed class TrafficMix
{
    /// <summary>Capture time of the first frame (2026-01-01T00:00:00Z); frames follow one microsecond apart.</summary>
    public const long Start = 1_767_225_600_000_000;

    private static readonly int[] Sizes = [64, 64, 128, 256, 512, 1400, 1400, 90];

    private TrafficMix(IReadOnlyList<Host> devices, byte[][] templates, int[] order)
    {
        Devices = devices;
        Templates = templates;
        Order = order;
    }

    public IReadOnlyList<Host> Devices { get; }

    public byte[][] Templates { get; }

    /// <summary>Template index of each frame, in play order.</summary>
    public int[] Order { get; }

    public double AverageFrameBytes => Order.Average(i => (double)Templates[i].Length);

    public static Host Cloud(int i) => new($"cloud{i}", $"02:fe:00:00:00:{i:x2}", $"203.0.113.{10 + i}");

    public static TrafficMix Build(int deviceCount, int frames, int seed = 42)
    {
        var devices = Enumerable.Range(0, deviceCount).Select(DeviceHost).ToList();
        var templates = new List<byte[]>();
        foreach (var (d, i) in devices.Select((d, i) => (d, i)))
        {
            var cloud = Cloud(i % 4);
            foreach (var size in Sizes)
            {
                templates.Add(Sized(d, cloud, size, toDevice: false, i));
                templates.Add(Sized(d, cloud, size, toDevice: true, i));
            }
        }

        var rng = new Random(seed);
        var order = new int[frames];
        for (int f = 0; f < frames; f++)
        {
            order[f] = rng.Next(templates.Count);
        }

        return new TrafficMix(devices, [.. templates], order);
    }

    /// <summary>Device i: a locally administered MAC and an address in 198.18.0.0/15.</summary>
    public static Host DeviceHost(int i) => new($"dev{i}", $"02:00:{(i >> 16) & 0xFF:x2}:{(i >> 8) & 0xFF:x2}:{i & 0xFF:x2}:01", $"198.{18 + ((i + 1) >> 16)}.{((i + 1) >> 8) & 0xFF}.{(i + 1) & 0xFF}");

    /// <summary>
    /// Plays the mix through the product's per-frame path (<see cref="FramePipeline"/>), each frame copied into
    /// one pooled <see cref="Frame"/> as a capture would.
    /// </summary>
    public void Play(FramePipeline pipeline) => Play(pipeline, null);

    /// <summary>
    /// Plays the mix with each frame stamped by <paramref name="clock"/> (microseconds) instead of one microsecond apart
    /// from <see cref="Start"/>: for appliances whose own threads (device monitors) run on the control clock, which must
    /// then move on in real time, never back to <see cref="Start"/> at every play.
    /// </summary>
    public void Play(FramePipeline pipeline, Func<long>? clock)
    {
        var frame = new Frame();
        long t = Start;
        foreach (var i in Order)
        {
            frame.Load(Templates[i], clock?.Invoke() ?? t++, Direction.FromDevice);
            pipeline.Process(frame);
        }

        pipeline.Finish();
    }

    /// <summary>Writes the mix as a pcap (microsecond spacing) for Suricata and the file-reading path.</summary>
    public void WritePcap(string path, int? limit = null)
    {
        using var sink = new KalkiEdge.DataPlane.Io.PcapFileSink(path);
        var frame = new Frame();
        long t = Start;
        int n = limit ?? Order.Length;
        for (int i = 0; i < n; i++)
        {
            frame.Load(Templates[Order[i]], t += 1, Direction.FromDevice);
            sink.Send(frame);
        }
    }

    private static byte[] Sized(Host device, Host cloud, int size, bool toDevice, int i)
    {
        var (from, to) = toDevice ? (cloud, device) : (device, cloud);
        ushort devicePort = (ushort)(20000 + (i % 40000));
        return (size % 3) switch
        {
            _ when size == 90 => PacketFactory.IcmpEcho(from, to, (ushort)i, reply: toDevice),
            _ when size == 128 => PacketFactory.Udp(from, to, toDevice ? (ushort)53 : devicePort, toDevice ? devicePort : (ushort)53, new byte[Math.Max(0, size - 42)]),
            _ => PacketFactory.Tcp(from, to, toDevice ? (ushort)443 : devicePort, toDevice ? devicePort : (ushort)443, syn: false, ack: true, fin: false, 1, 1, new byte[Math.Max(0, size - 54)], psh: true),
        };
    }
}
