using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// A <see cref="LivePort"/>'s transmit batch: frames are copied into native slots and put on the wire with one
/// sendmmsg(2) on the capture's own packet socket, instead of one pcap_sendpacket (one send(2)) per frame. Same
/// socket, same semantics: the frames go out exactly as libpcap would send them, and the port's own capture never
/// reads them back. A frame larger than a slot flushes the batch and goes alone (order kept). A frame the kernel
/// refuses (ENOBUFS or EAGAIN under a burst, link down) is counted as a send error and lost, as on a wire; the
/// rest of the batch still goes.
/// </summary>
internal sealed unsafe partial class PacketSocketBatch : ITransmitBatch
{
    private const int Eintr = 4;
    private readonly LivePort _port;
    private readonly int _fd;
    private readonly int _capacity;
    private readonly int _slotBytes;
    private readonly byte* _slots;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _messages;
    private bool _disposed;

    public PacketSocketBatch(LivePort port, int fd, int capacity, int slotBytes)
    {
        _port = port;
        _fd = fd;
        _capacity = capacity;
        _slotBytes = slotBytes;
        _slots = (byte*)NativeMemory.Alloc((nuint)capacity, (nuint)slotBytes);
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
        for (int i = 0; i < capacity; i++)
        {
            _iov[i].Base = _slots + ((nint)i * slotBytes);
            _messages[i].Header.Iov = &_iov[i];
            _messages[i].Header.IovLength = 1;
        }
    }

    public string Name => _port.Name;

    public int Count { get; private set; }

    public void Send(Frame frame)
    {
        var data = frame.Data;
        if (data.Length > _slotBytes)
        {
            Flush();
            _port.Send(frame);
            return;
        }

        data.CopyTo(new Span<byte>(_iov[Count].Base, _slotBytes));
        _iov[Count].Length = (nuint)data.Length;
        if (++Count == _capacity)
        {
            Flush();
        }
    }

    public void Flush()
    {
        int next = 0, sent = 0, refused = 0;
        while (next < Count)
        {
            int rc = sendmmsg(_fd, _messages + next, (uint)(Count - next), 0);
            if (rc > 0)
            {
                next += rc;
                sent += rc;
            }
            else if (Marshal.GetLastPInvokeError() != Eintr)
            {
                // The first frame left was refused: it is lost, the ones after it are tried again.
                next++;
                refused++;
            }
        }

        Count = 0;
        if (sent > 0)
        {
            Interlocked.Add(ref _port.Counters.Sent, sent);
        }

        if (refused > 0)
        {
            Interlocked.Add(ref _port.Counters.SendErrors, refused);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_slots);
    }

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (glibc; socklen_t is 32 bits, the rest pointer-sized).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);
}
