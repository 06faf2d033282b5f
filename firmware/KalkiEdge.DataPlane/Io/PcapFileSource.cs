using KalkiEdge.DataPlane.Pcap;
using SharpPcap;
using SharpPcap.LibPcap;

namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// Reads Ethernet frames from a pcap/pcapng file through libpcap, without per-frame allocation: SharpPcap opens the
/// file, frames are read with pcap_next_ex directly (SharpPcap's GetNextPacket allocates a header object per frame).
/// </summary>
public sealed class PcapFileSource : IFrameSource
{
    private const int LinkTypeEthernet = 1;
    private readonly CaptureFileReaderDevice _device;
    private readonly nint _handle;
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

        _handle = _device.Handle.DangerousGetHandle();
    }

    public string Name { get; }

    /// <summary>Frames read so far.</summary>
    public long FramesRead => _number;

    public unsafe bool TryRead(Frame frame)
    {
        nint header;
        byte* data;
        switch (LibPcap.pcap_next_ex(_handle, &header, &data))
        {
            case LibPcap.NextPacket:
                var h = PcapPacketHeader.Read(header);
                frame.Load(new ReadOnlySpan<byte>(data, h.CaptureLength), h.TimestampMicros, Direction.FromDevice);
                frame.Number = ++_number;
                return true;
            case LibPcap.NextBreak:
                return false; // a savefile reports its end as PCAP_ERROR_BREAK
            default:
                throw new FrameSourceException($"{Name}: corrupt or truncated after frame {_number}: {LibPcap.LastError(_handle)}");
        }
    }

    public void Dispose() => _device.Dispose();

    private static string Describe(Exception e) => e is DllNotFoundException
        ? "libpcap is not installed (apt-get install libpcap0.8)"
        : e.Message;
}
