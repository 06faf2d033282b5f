using System.Buffers.Binary;

namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// Writes frames to a pcap file (e.g. what replay forwarded), keeping their timestamps. Written directly rather
/// than through libpcap's pcap_dump, which buffers in stdio and drops write errors: a full disk or a failing
/// device here is a <see cref="FrameSinkException"/>, never a silently short file.
/// </summary>
public sealed class PcapFileSink : IFrameSink
{
    private const int SnapLength = 262_144; // libpcap's maximum for Ethernet
    private readonly FileStream _file;
    private readonly byte[] _record = new byte[16];
    private long _written;
    private bool _failed;

    public PcapFileSink(string path)
    {
        Name = path;
        try
        {
            _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
            Span<byte> header = stackalloc byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4); // microsecond timestamps
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // LINKTYPE_ETHERNET
            _file.Write(header);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            _file?.Dispose();
            throw new FrameSinkException($"{path}: cannot write capture file: {e.Message}", e);
        }
    }

    public string Name { get; }

    public void Send(Frame frame)
    {
        var length = Math.Min(frame.Length, SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(_record, (uint)(frame.TimestampMicros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(_record.AsSpan(4), (uint)(frame.TimestampMicros % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(_record.AsSpan(8), (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(_record.AsSpan(12), (uint)frame.Length);
        try
        {
            _file.Write(_record);
            _file.Write(frame.Data[..length]);
        }
        catch (IOException e)
        {
            throw Failed(e);
        }

        _written++;
    }

    /// <summary>Writes out what is buffered; a failure is a <see cref="FrameSinkException"/>.</summary>
    public void Complete()
    {
        if (_failed)
        {
            return;
        }

        try
        {
            _file.Flush(flushToDisk: false);
        }
        catch (IOException e)
        {
            throw Failed(e);
        }
    }

    /// <summary>Completes (reporting a write failure) unless a failure was already reported, then closes.</summary>
    public void Dispose()
    {
        try
        {
            Complete();
        }
        finally
        {
            try
            {
                _file.Dispose();
            }
            catch (IOException)
            {
                // The buffer that could not be written was reported already.
            }
        }
    }

    private FrameSinkException Failed(IOException e)
    {
        _failed = true;
        return new FrameSinkException($"{Name}: cannot write capture file after {_written} frames: {e.Message}", e);
    }
}
