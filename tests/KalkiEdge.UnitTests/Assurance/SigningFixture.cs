using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;
using PacketDotNet;

namespace KalkiEdge.UnitTests.Assurance;

/// <summary>What the signing stage tests share: a camera with a chain in force, its packets, and where they go.</summary>
public abstract class SigningFixture : AssuranceFixture
{
    private readonly Frame _frame = new();

    protected RecordingSink Egress { get; private set; } = null!;

    protected RecordingAlertSink Alerts { get; private set; } = null!;

    protected DeviceSlot Camera { get; private set; } = null!;

    /// <summary>Capture time of the next submitted frame (µs); each submit advances it by one.</summary>
    protected long Now { get; set; } = 1_700_000_000_000_000;

    [SetUp]
    public void CreateDevice()
    {
        Egress = new RecordingSink();
        Alerts = new RecordingAlertSink();
        Assert.That(Mac.TryParse(Frames.DeviceMac, out var mac), Is.True);
        Camera = new DeviceSlot("camera", mac, []);
        Camera.Swap(Compile("firewall(default: allow)").Instantiate());
    }

    [TearDown]
    public void DisposeSink() => Egress.Dispose();

    protected static byte[] Packet(int i) =>
        Frames.Tcp(Frames.DeviceIp, (ushort)(40000 + i), Frames.CloudIp, 443, new TcpFlagsBuilder { Ack = true, Psh = true }, $"payload {i}", srcMac: Frames.DeviceMac, dstMac: Frames.GatewayMac);

    /// <summary>Packet <paramref name="i"/> as frame number <paramref name="i"/>, from <paramref name="device"/> (default: the camera).</summary>
    protected void Submit(SigningStage stage, int i, DeviceSlot? device = null)
    {
        _frame.Load(Packet(i), Now++, Direction.FromDevice);
        _frame.Number = i;
        stage.Submit(_frame, ChainRun.InForce(device ?? Camera));
    }

    /// <summary>5,200 frames through a stage of <paramref name="mode"/>; returns the bytes the last 5,000 allocated.</summary>
    protected long AllocatedBySteadyState(SigningMode mode, CountingSink egress)
    {
        using var stage = new SigningStage(Shim, new SigningOptions { Mode = mode }, egress, Alerts, new ChainMeasurements());
        var bytes = Packet(1);
        for (int i = 0; i < 200; i++)
        {
            _frame.Load(bytes, Now++, Direction.FromDevice);
            stage.Submit(_frame, ChainRun.InForce(Camera)); // warm-up: JIT, measurement cache, key
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5_000; i++)
        {
            _frame.Load(bytes, Now++, Direction.FromDevice);
            stage.Submit(_frame, ChainRun.InForce(Camera));
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
