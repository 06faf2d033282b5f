using System.Diagnostics;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Assurance;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Live;

/// <summary>One device (hue, behind dev0) talking to the cloud (beyond up0) through an engine with allow-all chains: the live signing tests' world.</summary>
public abstract class LiveSigningFixture : AssuranceFixture
{
    protected const string Hue = "02:4b:45:01:00:10";
    protected const string Cloud = "02:4b:45:02:00:64";
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    protected RecordingAlertSink Alerts { get; private set; } = null!;

    protected PacketEngine Engine { get; private set; } = null!;

    protected DeviceSlot HueSlot { get; private set; } = null!;

    private protected FakePort Dev0 { get; private set; } = null!;

    private protected FakePort Up0 { get; private set; } = null!;

    [SetUp]
    public void CreateWorld()
    {
        Alerts = new RecordingAlertSink();
        Engine = new PacketEngine(Alerts);
        Engine.Network.Swap(Compile("firewall(default: allow)", image: null).Instantiate());
        HueSlot = new DeviceSlot("hue", M(Hue), [IpOf("192.0.2.10")]);
        HueSlot.Swap(Compile("firewall(default: allow)").Instantiate());
        Engine.Devices.Add(HueSlot);
        Dev0 = new FakePort("dev0", 0x024b45000001);
        Up0 = new FakePort("up0", 0x024b45000002);
    }

    [TearDown]
    public void DisposePorts()
    {
        Dev0.Dispose();
        Up0.Dispose();
    }

    protected static bool WaitUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > Patience)
            {
                return false;
            }

            Thread.Sleep(2);
        }

        return true;
    }

    protected static byte[] ToCloud(int i) => Frames.Udp("192.0.2.10", (ushort)(40000 + i), "192.0.2.100", 7, $"up {i}", srcMac: Hue, dstMac: Cloud);

    protected static byte[] ToHue(int i) => Frames.Udp("192.0.2.100", 7, "192.0.2.10", (ushort)(40000 + i), $"down {i}", srcMac: Cloud, dstMac: Hue);

    protected static ulong M(string mac) => Mac.TryParse(mac, out var m) ? m : throw new ArgumentException(mac, nameof(mac));

    private static UInt128 IpOf(string ip) => Ip.TryParse(ip, out var a) ? a : throw new ArgumentException(ip, nameof(ip));
}
