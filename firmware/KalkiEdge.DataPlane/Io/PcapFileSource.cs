using SharpPcap;
using SharpPcap.LibPcap;

namespace KalkiEdge.DataPlane.Io;

/// <summary>Reads Ethernet frames from a pcap/pcapng file through libpcap (SharpPcap), without per-frame allocation.</summary>
public sealed class PcapFileSource : IFrameSource
{
    private const int LinkTypeEthernet = 1;
    private readonly CaptureFileReaderDevice _device;
    private long _number;

    public PcapFileSource(string path)
    {
        Name = path;
        if (!File.Exists(path))
        {
            throw new FrameSourceException($"{path}: no such capture file");
        }

        _device = new CaptureFileReaderDevice(path);
        try
        {
            _device.Open();
        }
        catch (Exception e) when (e is PcapException or DllNotFoundException or IOException)
        {
            _device.Dispose();
            throw new FrameSourceException($"{path}: not a readable pcap/pcapng file: {Describe(e)}", e);
        }

        if ((int)_device.LinkType != LinkTypeEthernet)
        {
            var linkType = _device.LinkType;
            _device.Dispose();
            throw new FrameSourceException($"{path}: link type {linkType} is not supported; KalkiEdge bridges Ethernet (link type 1) only");
        }
    }

    public string Name { get; }

    /// <summary>Frames read so far.</summary>
    public long FramesRead => _number;

    public bool TryRead(Frame frame)
    {
        GetPacketStatus status;
        PacketCapture capture;
        try
        {
            status = _device.GetNextPacket(out capture);
        }
        catch (PcapException e)
        {
            throw new FrameSourceException($"{Name}: corrupt after frame {_number}: {e.Message}", e);
        }

        switch (status)
        {
            case GetPacketStatus.PacketRead:
                var header = capture.Header;
                var tv = header.Timeval;
                frame.Load(capture.Data, ((long)tv.Seconds * 1_000_000) + (long)tv.MicroSeconds, Direction.FromDevice);
                frame.Number = ++_number;
                return true;
            case GetPacketStatus.NoRemainingPackets:
                return false;
            default:
                throw new FrameSourceException($"{Name}: corrupt or truncated after frame {_number}: {_device.LastError}");
        }
    }

    public void Dispose() => _device.Dispose();

    private static string Describe(Exception e) => e is DllNotFoundException
        ? "libpcap is not installed (apt-get install libpcap0.8)"
        : e.Message;
}
