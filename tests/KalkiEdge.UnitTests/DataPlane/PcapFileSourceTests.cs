using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>Replay reads captures frame by frame without allocating, exactly as written.</summary>
public class PcapFileSourceTests
{
    private string _path = "";

    [SetUp]
    public void CreateCapture() => _path = Path.Combine(Path.GetTempPath(), $"kalki-source-{Guid.NewGuid():N}.pcap");

    [TearDown]
    public void DeleteCapture() => File.Delete(_path);

    [Test]
    public void Frames_come_back_with_their_bytes_time_and_number_and_reading_allocates_nothing()
    {
        var bytes = new[]
        {
            Frames.Tcp("198.51.100.7", 40000, "192.0.2.10", 80, TcpFlagsBuilder.SynOnly),
            Frames.Udp("192.0.2.10", 5353, "198.51.100.7", 53, "query"),
        };
        const long start = 1_767_225_600_123_456;
        using (var sink = new PcapFileSink(_path))
        {
            var frame = new Frame();
            for (int i = 0; i < 1_000; i++)
            {
                frame.Load(bytes[i % 2], start + (i * 1_001), Direction.FromDevice);
                sink.Send(frame);
            }
        }

        using var source = new PcapFileSource(_path);
        var read = new Frame();
        Assert.That(source.TryRead(read), Is.True); // first read warms up the path
        long before = GC.GetAllocatedBytesForCurrentThread();
        int n = 1, wrong = 0;
        while (source.TryRead(read))
        {
            // Counted, not asserted, inside the loop: assertions allocate.
            bool same = read.Data.SequenceEqual(bytes[n % 2]) && read.TimestampMicros == start + (n * 1_001) && read.Number == n + 1;
            wrong += same ? 0 : 1;
            n++;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero, "no allocation per frame");
        Assert.That(wrong, Is.Zero, "bytes, capture time and number of every frame as written");
        Assert.That((n, source.FramesRead), Is.EqualTo((1_000, 1_000L)));
        Assert.That(source.TryRead(read), Is.False, "the end stays the end");
    }
}
