using System.Buffers.Binary;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using SharpPcap;
using SharpPcap.LibPcap;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>
/// Classic pcap files are read in large blocks by the appliance's own reader; every variant libpcap accepts must come
/// out as libpcap gives it (libpcap, through SharpPcap, is the reference here), and every cut or corrupt file must
/// stop with the frame it stopped after.
/// </summary>
public class ClassicPcapReaderTests
{
    private const long Start = 1_767_225_600_123_456;
    private string _dir = "";

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("kalki-classic-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    [TestCase(false, false, 65_535, 4)]
    [TestCase(true, false, 65_535, 4)]
    [TestCase(false, true, 65_535, 4)]
    [TestCase(true, true, 65_535, 4)]
    [TestCase(false, false, 100, 4)]
    [TestCase(false, false, 0, 4)]
    [TestCase(false, false, 65_535, 2)]
    [TestCase(true, false, 65_535, 2)]
    [TestCase(false, false, 65_535, 3)]
    public void Every_variant_reads_as_libpcap_reads_it(bool bigEndian, bool nanos, int snapLength, int minorVersion)
    {
        var frames = Enumerable.Range(0, 300).Select(i => Bytes(60 + ((i * 37) % 1400), i)).ToList();
        var path = Write(bigEndian, nanos, (uint)snapLength, (ushort)minorVersion, frames, swapLengths: minorVersion <= 3);

        var expected = ReadWithLibpcap(path);
        var actual = new List<(byte[] Data, long Micros)>();
        using (var source = new PcapFileSource(path))
        {
            var frame = new Frame();
            while (source.TryRead(frame))
            {
                actual.Add((frame.Data.ToArray(), frame.TimestampMicros));
            }
        }

        Assert.That(actual, Has.Count.EqualTo(frames.Count));
        Assert.That(actual.Select(a => a.Micros), Is.EqualTo(expected.Select(e => e.Micros)), "capture times");
        Assert.That(actual.Select(a => Convert.ToHexString(a.Data)), Is.EqualTo(expected.Select(e => Convert.ToHexString(e.Data))), "bytes, cut to the snapshot length as libpcap cuts them");
    }

    [TestCase(7, "truncated")]
    [TestCase(20, "truncated")]
    public void A_cut_file_stops_after_the_last_whole_frame(int cut, string reason)
    {
        var frames = Enumerable.Range(0, 10).Select(i => Bytes(100, i)).ToList();
        var path = Write(false, false, 65_535, 4, frames, swapLengths: false);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^cut]);

        using var source = new PcapFileSource(path);
        var frame = new Frame();
        int read = 0;
        var error = Assert.Throws<FrameSourceException>(() =>
        {
            while (source.TryRead(frame))
            {
                read++;
            }
        });
        Assert.That(read, Is.EqualTo(9));
        Assert.That(error!.Message, Does.StartWith($"{path}: corrupt or truncated after frame 9: ").And.Contain(reason));
    }

    [Test]
    public void Records_up_to_the_largest_snapshot_read_whole_as_libpcap_reads_them()
    {
        List<byte[]> frames = [Bytes(60, 0), Bytes(200_000, 1), Bytes(70, 2), Bytes(ClassicPcapReader.MaximumSnapLength, 3), Bytes(1_400, 4)];
        var path = Write(false, false, ClassicPcapReader.MaximumSnapLength, 4, frames, swapLengths: false);

        var expected = ReadWithLibpcap(path);
        var actual = new List<string>();
        using (var source = new PcapFileSource(path))
        {
            while (source.TryNext(out var data, out _))
            {
                actual.Add(Convert.ToHexString(data));
            }
        }

        Assert.That(actual.Select(a => a.Length / 2), Is.EqualTo(frames.Select(f => f.Length)), "lengths");
        Assert.That(actual, Is.EqualTo(expected.Select(e => Convert.ToHexString(e.Data))), "bytes, as libpcap gives them");
    }

    [Test]
    public void A_record_longer_than_any_snapshot_is_corrupt_and_nothing_is_allocated_for_it()
    {
        var path = Write(false, false, 65_535, 4, [Bytes(64, 0)], swapLengths: false);
        using (var file = File.Open(path, FileMode.Append))
        {
            var header = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), uint.MaxValue);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), uint.MaxValue);
            file.Write(header);
        }

        using var source = new PcapFileSource(path);
        var frame = new Frame();
        Assert.That(source.TryRead(frame), Is.True);
        var error = Assert.Throws<FrameSourceException>(() => source.TryRead(frame));
        Assert.That(error!.Message, Does.Contain("after frame 1").And.Contain($"bigger than maximum of {ClassicPcapReader.MaximumSnapLength}"));
    }

    [Test]
    public void A_classic_file_with_another_link_type_is_refused()
    {
        var path = Write(false, false, 65_535, 4, [Bytes(64, 0)], swapLengths: false, linkType: 101);
        var error = Assert.Throws<FrameSourceException>(() => new PcapFileSource(path).Dispose());
        Assert.That(error!.Message, Does.Contain("link type").And.Contain("Ethernet (link type 1) only"));
    }

    private static byte[] Bytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>A classic capture as another tool might write it: either byte order, µs or ns, any snapshot length.</summary>
    private string Write(bool bigEndian, bool nanos, uint snapLength, ushort minorVersion, List<byte[]> frames, bool swapLengths, uint linkType = 1)
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.pcap");
        using var file = File.Create(path);
        var header = new byte[24];
        Put(header, 0, nanos ? 0xA1B23C4Du : 0xA1B2C3D4u, bigEndian);
        Put16(header, 4, 2, bigEndian);
        Put16(header, 6, minorVersion, bigEndian);
        Put(header, 16, snapLength, bigEndian);
        Put(header, 20, linkType, bigEndian);
        file.Write(header);
        for (int i = 0; i < frames.Count; i++)
        {
            long micros = Start + (i * 1_001);
            var captured = (uint)frames[i].Length;
            var wire = captured + (uint)(i % 3); // some frames longer on the wire than captured
            var record = new byte[16];
            Put(record, 0, (uint)(micros / 1_000_000), bigEndian);
            Put(record, 4, (uint)(micros % 1_000_000 * (nanos ? 1_000 : 1) + (nanos ? (uint)(i % 1_000) : 0)), bigEndian);
            Put(record, 8, swapLengths ? wire : captured, bigEndian);
            Put(record, 12, swapLengths ? captured : wire, bigEndian);
            file.Write(record);
            file.Write(frames[i]);
        }

        return path;
    }

    private static void Put(byte[] b, int at, uint v, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
        }
    }

    private static void Put16(byte[] b, int at, ushort v, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
        }
    }

    private static List<(byte[] Data, long Micros)> ReadWithLibpcap(string path)
    {
        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        var result = new List<(byte[], long)>();
        while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
        {
            var raw = capture.GetPacket();
            result.Add((raw.Data, ((long)raw.Timeval.Seconds * 1_000_000) + (long)raw.Timeval.MicroSeconds));
        }

        return result;
    }
}
