using KalkiEdge.DataPlane.Pcap;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// Reads Ethernet frames from a capture file without per-frame allocation. A classic pcap file is read in large
/// blocks by <see cref="ClassicPcapReader"/>; pcapng and anything else goes through libpcap: SharpPcap opens the
/// file, frames are read with pcap_next_ex directly (SharpPcap's GetNextPacket allocates a header object per frame).
/// </summary>
public sealed class PcapFileSource : IRewalkableFrameSource, IFrameWalk
{
    private const int LinkTypeEthernet = 1;
    private readonly ClassicPcapReader? _classic;
    private readonly CaptureFileReaderDevice? _device;
    private readonly nint _handle;
    private long _number;

    public PcapFileSource(string path)
    {
        Name = path;
        if (!File.Exists(path))
        {
            throw new FrameSourceException($"{path}: no such capture file");
        }

        _classic = OpenClassic(path);
        if (_classic is not null)
        {
            if (_classic.LinkType != LinkTypeEthernet)
            {
                _classic.Dispose();
                throw NotEthernet(path, (LinkLayers)_classic.LinkType);
            }

            return;
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
            throw NotEthernet(path, linkType);
        }

        _handle = _device.Handle.DangerousGetHandle();
    }

    public string Name { get; }

    /// <summary>Frames read so far.</summary>
    public long FramesRead => _number;

    public bool TryRead(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!TryNext(out var data, out var timestampMicros))
        {
            return false;
        }

        frame.Load(data, timestampMicros, Direction.FromDevice);
        frame.Number = _number;
        return true;
    }

    /// <summary>The same file opened again: its own reads, from the first frame (a file changed meanwhile is read as it is then).</summary>
    public IFrameWalk OpenWalk() => new PcapFileSource(Name);

    public unsafe bool TryNext(out ReadOnlySpan<byte> data, out long timestampMicros)
    {
        if (_classic is not null)
        {
            return TryReadClassic(_classic, out data, out timestampMicros);
        }

        nint header;
        byte* bytes;
        switch (LibPcap.pcap_next_ex(_handle, &header, &bytes))
        {
            case LibPcap.NextPacket:
                var h = PcapPacketHeader.Read(header);
                data = new ReadOnlySpan<byte>(bytes, h.CaptureLength);
                timestampMicros = h.TimestampMicros;
                _number++;
                return true;
            case LibPcap.NextBreak:
                data = default;
                timestampMicros = 0;
                return false; // a savefile reports its end as PCAP_ERROR_BREAK
            default:
                throw new FrameSourceException($"{Name}: corrupt or truncated after frame {_number}: {LibPcap.LastError(_handle)}");
        }
    }

    public void Dispose()
    {
        _classic?.Dispose();
        _device?.Dispose();
    }

    private bool TryReadClassic(ClassicPcapReader reader, out ReadOnlySpan<byte> data, out long timestampMicros)
    {
        if (reader.TryRead(out data, out timestampMicros, out var error))
        {
            _number++;
            return true;
        }

        return error is null ? false : throw new FrameSourceException($"{Name}: corrupt or truncated after frame {_number}: {error}");
    }

    private static ClassicPcapReader? OpenClassic(string path)
    {
        try
        {
            return ClassicPcapReader.TryOpen(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FrameSourceException($"{path}: not a readable pcap/pcapng file: {e.Message}", e);
        }
    }

    private static FrameSourceException NotEthernet(string path, LinkLayers linkType) =>
        new($"{path}: link type {linkType} is not supported; KalkiEdge bridges Ethernet (link type 1) only");

    private static string Describe(Exception e) => e is DllNotFoundException
        ? "libpcap is not installed (apt-get install libpcap0.8)"
        : e.Message;
}
