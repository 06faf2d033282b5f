using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// Reads a classic (libpcap 2.x) capture in 1 MiB reads and hands out each record's bytes from that buffer: libpcap
/// reads a savefile through stdio, two fread calls and a 4 KiB read(2) every few frames, which cost the replay path a
/// large share of its time before a chain ran. Positional reads, not a memory map: a file cut short while it is read
/// ends in a clear "truncated" error rather than SIGBUS. Records are interpreted as libpcap does (byte order and
/// nanosecond magic, records longer than the snapshot length cut to it, the swapped length fields of old writers), so a
/// replay gives the same frames either way; pcapng and anything unusual stay with libpcap (<see cref="TryOpen"/>).
/// </summary>
internal sealed class ClassicPcapReader : IDisposable
{
    /// <summary>libpcap's largest snapshot length for Ethernet (MAXIMUM_SNAPLEN): a longer record is corrupt.</summary>
    public const int MaximumSnapLength = 262_144;

    private const int FileHeaderSize = 24;
    private const int RecordHeaderSize = 16;
    private const int BufferSize = 1 << 20;
    private const uint MicrosMagic = 0xA1B2C3D4;
    private const uint NanosMagic = 0xA1B23C4D;

    private readonly SafeFileHandle _file;
    private readonly string _name;
    private readonly bool _swapped;
    private readonly bool _nanos;
    private readonly int _minorVersion;
    private readonly int _snapLength;
    private readonly byte[] _buffer = new byte[BufferSize];
    private long _fileOffset;
    private int _start;
    private int _end;

    private ClassicPcapReader(SafeFileHandle file, string name, bool swapped, bool nanos, int minorVersion, int snapLength, uint linkType)
    {
        _file = file;
        _name = name;
        _swapped = swapped;
        _nanos = nanos;
        _minorVersion = minorVersion;
        _snapLength = snapLength;
        LinkType = linkType;
        _fileOffset = FileHeaderSize;
    }

    /// <summary>The file header's link type (its low 16 bits, as libpcap reads it).</summary>
    public uint LinkType { get; }

    /// <summary>Opens <paramref name="path"/> if it is a classic version 2 capture; null for anything else (left to libpcap).</summary>
    public static ClassicPcapReader? TryOpen(string path)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        try
        {
            Span<byte> header = stackalloc byte[FileHeaderSize];
            if (RandomAccess.Read(file, header, 0) < FileHeaderSize)
            {
                file.Dispose();
                return null;
            }

            var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
            bool swapped = magic is 0xD4C3B2A1 or 0x4D3CB2A1;
            var native = swapped ? BinaryPrimitives.ReverseEndianness(magic) : magic;
            if (native is not (MicrosMagic or NanosMagic) || !BitConverter.IsLittleEndian)
            {
                file.Dispose();
                return null;
            }

            var versions = Word(header, 4, swapped);
            int major = (int)(swapped ? versions >> 16 : versions & 0xFFFF), minor = (int)(swapped ? versions & 0xFFFF : versions >> 16);
            if (major != 2)
            {
                file.Dispose();
                return null;
            }

            var snap = Word(header, 16, swapped);
            var snapLength = snap is 0 or > MaximumSnapLength ? MaximumSnapLength : (int)snap;
            return new ClassicPcapReader(file, path, swapped, native == NanosMagic, minor, snapLength, Word(header, 20, swapped) & 0xFFFF);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The next record's captured bytes (valid until the next call) and capture time. False at the end of the file,
    /// with <paramref name="error"/> null at a clean end and saying what is wrong for a cut or corrupt record.
    /// </summary>
    public bool TryRead(out ReadOnlySpan<byte> data, out long timestampMicros, out string? error)
    {
        data = default;
        timestampMicros = 0;
        error = null;
        var header = Fill(RecordHeaderSize);
        if (header < RecordHeaderSize)
        {
            error = header == 0 ? null : $"truncated dump file; tried to read {RecordHeaderSize} header bytes, only got {header}";
            return false;
        }

        var record = _buffer.AsSpan(_start, RecordHeaderSize);
        long seconds = Word(record, 0, _swapped), fraction = Word(record, 4, _swapped);
        uint captured = Word(record, 8, _swapped), wire = Word(record, 12, _swapped);
        // Writers before format 2.3 swapped the two lengths; in 2.3 files some did (libpcap's SWAPPED / MAYBE_SWAPPED).
        if (_minorVersion < 3 || (_minorVersion == 3 && captured > wire))
        {
            (captured, wire) = (wire, captured);
        }

        if (captured > MaximumSnapLength)
        {
            error = $"invalid packet capture length {captured}, bigger than maximum of {MaximumSnapLength}";
            return false;
        }

        var total = RecordHeaderSize + (int)captured;
        var got = Fill(total);
        if (got < total)
        {
            error = $"truncated dump file; tried to read {captured} captured bytes, only got {got - RecordHeaderSize}";
            return false;
        }

        data = _buffer.AsSpan(_start + RecordHeaderSize, Math.Min((int)captured, _snapLength));
        timestampMicros = (seconds * 1_000_000) + (_nanos ? fraction / 1_000 : fraction);
        _start += total;
        return true;
    }

    public void Dispose() => _file.Dispose();

    private static uint Word(ReadOnlySpan<byte> bytes, int at, bool swapped) =>
        swapped ? BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);

    /// <summary>Makes up to <paramref name="count"/> bytes available from <see cref="_start"/>; returns how many are.</summary>
    private int Fill(int count)
    {
        if (_end - _start >= count)
        {
            return count;
        }

        // Move the unread tail to the front, then read as much as fits: one system call per MiB of capture.
        var left = _end - _start;
        _buffer.AsSpan(_start, left).CopyTo(_buffer);
        _start = 0;
        _end = left;
        while (_end < count)
        {
            int n;
            try
            {
                n = RandomAccess.Read(_file, _buffer.AsSpan(_end), _fileOffset);
            }
            catch (IOException e)
            {
                throw new FrameSourceException($"{_name}: cannot read: {e.Message}", e);
            }

            if (n == 0)
            {
                break;
            }

            _end += n;
            _fileOffset += n;
        }

        return Math.Min(_end, count);
    }
}
