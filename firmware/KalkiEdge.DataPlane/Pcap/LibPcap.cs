using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Pcap;

/// <summary>
/// The few libpcap calls SharpPcap does not expose (pcap_setdirection) or wraps with per-frame allocation
/// and exceptions (pcap_next_ex, pcap_sendpacket). Handles are the raw pcap_t* of an open SharpPcap device;
/// the caller keeps the device open for as long as it uses them.
/// </summary>
internal static partial class LibPcap
{
    /// <summary>Debian's runtime package libpcap0.8 ships this soname (there is no plain libpcap.so without -dev).</summary>
    public const string Library = "libpcap.so.0.8";

    /// <summary>pcap_direction_t: capture only frames received by the interface, not the ones we send.</summary>
    public const int DirectionIn = 1;

    /// <summary>pcap_next_ex: a frame was read / the timeout expired / error / pcap_breakloop was called.</summary>
    public const int NextPacket = 1;
    public const int NextTimeout = 0;
    public const int NextError = -1;
    public const int NextBreak = -2;

    [LibraryImport(Library)]
    public static partial int pcap_setdirection(nint handle, int direction);

    [LibraryImport(Library)]
    public static unsafe partial int pcap_next_ex(nint handle, nint* header, byte** data);

    [LibraryImport(Library)]
    public static unsafe partial int pcap_sendpacket(nint handle, byte* data, int length);

    [LibraryImport(Library)]
    public static partial void pcap_breakloop(nint handle);

    /// <summary>Non-blocking mode: pcap_next_ex returns <see cref="NextTimeout"/> at once when no frame is waiting.</summary>
    [LibraryImport(Library)]
    public static unsafe partial int pcap_setnonblock(nint handle, int nonblock, byte* errorBuffer);

    /// <summary>The fd to poll(2) for readability (on Linux: the packet socket, readable when the ring has frames).</summary>
    [LibraryImport(Library)]
    public static partial int pcap_get_selectable_fd(nint handle);

    /// <summary>The capture's packet socket (the one pcap_sendpacket sends with).</summary>
    [LibraryImport(Library)]
    public static partial int pcap_fileno(nint handle);

    /// <summary>PCAP_ERRBUF_SIZE.</summary>
    public const int ErrorBufferSize = 256;

    /// <summary>struct pcap_stat on Linux: three u_int (ps_recv, ps_drop, ps_ifdrop). Called directly because
    /// SharpPcap 6.3.1 marshals it with pointer-sized fields on Unix, so its DroppedPackets is really ps_ifdrop
    /// and ring drops read as 0: the "silent loss" in docs/platform.md.</summary>
    [LibraryImport(Library)]
    public static unsafe partial int pcap_stats(nint handle, uint* stats);

    [LibraryImport(Library)]
    public static partial nint pcap_geterr(nint handle);

    /// <summary>True if the runtime can load libpcap (checked before anything else touches SharpPcap).</summary>
    public static bool IsInstalled()
    {
        if (!NativeLibrary.TryLoad(Library, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }

    public static string LastError(nint handle) => Marshal.PtrToStringUTF8(pcap_geterr(handle)) ?? "unknown libpcap error";
}

/// <summary>
/// struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; }. timeval's two fields are
/// C longs: pointer-sized on the Linux targets we ship (x64, arm64), as SharpPcap's own PcapHeader assumes.
/// </summary>
internal readonly struct PcapPacketHeader
{
    public readonly long Seconds;
    public readonly long Micros;
    public readonly int CaptureLength;
    public readonly int WireLength;

    private PcapPacketHeader(long seconds, long micros, int captureLength, int wireLength)
    {
        Seconds = seconds;
        Micros = micros;
        CaptureLength = captureLength;
        WireLength = wireLength;
    }

    public long TimestampMicros => (Seconds * 1_000_000) + Micros;

    public static unsafe PcapPacketHeader Read(nint header)
    {
        var p = (byte*)header;
        return IntPtr.Size == 8
            ? new PcapPacketHeader(*(long*)p, *(long*)(p + 8), *(int*)(p + 16), *(int*)(p + 20))
            : new PcapPacketHeader(*(int*)p, *(int*)(p + 4), *(int*)(p + 8), *(int*)(p + 12));
    }
}
