using SharpPcap;
using SharpPcap.LibPcap;

namespace KalkiEdge.DataPlane.Io;

/// <summary>Writes frames to a pcap file (e.g. what replay forwarded), keeping their timestamps.</summary>
public sealed class PcapFileSink : IFrameSink
{
    private readonly CaptureFileWriterDevice _device;

    public PcapFileSink(string path)
    {
        Name = path;
        _device = new CaptureFileWriterDevice(path);
        try
        {
            _device.Open(new DeviceConfiguration { LinkLayerType = PacketDotNet.LinkLayers.Ethernet, Snaplen = 65535 });
        }
        catch (PcapException e)
        {
            _device.Dispose();
            throw new FrameSourceException($"{path}: cannot write capture file: {e.Message}", e);
        }
    }

    public string Name { get; }

    public void Send(Frame frame)
    {
        var seconds = frame.TimestampMicros / 1_000_000;
        var micros = frame.TimestampMicros % 1_000_000;
        var header = new PcapHeader((uint)seconds, (uint)micros, (uint)frame.Length, (uint)frame.Length);
        _device.Write(frame.Data, ref header);
    }

    public void Dispose() => _device.Dispose();
}
