using System.Runtime.InteropServices;

namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Blocks a capture thread until its (non-blocking) pcap handle has frames, a stop is signalled or a timeout
/// passes: poll(2) on the handle's selectable fd and an eventfd that <see cref="Wake"/> writes. The port runs in
/// non-blocking mode so that the thread can also ask "is anything waiting right now?" without a syscall-heavy
/// mode switch (libpcap's pcap_setnonblock closes and reopens its own wake-up fd on Linux).
/// </summary>
internal sealed partial class ReadinessWait : IDisposable
{
    private const short PollIn = 0x001;
    private const int EfdNonBlock = 0x800;
    private const int EfdCloexec = 0x80000;
    private readonly int _captureFd;
    private readonly int _wakeFd;

    public ReadinessWait(int captureFd)
    {
        _captureFd = captureFd;
        _wakeFd = eventfd(0, EfdNonBlock | EfdCloexec);
        if (_wakeFd < 0)
        {
            throw new LivePortException($"cannot create the capture thread's wake-up eventfd (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMillis"/> for the capture fd to be readable (or a wake-up); EINTR counts as a timeout.</summary>
    public unsafe void Wait(int timeoutMillis)
    {
        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = _captureFd, Events = PollIn };
        fds[1] = new PollFd { Fd = _wakeFd, Events = PollIn };
        _ = poll(fds, 2, timeoutMillis);
    }

    /// <summary>Wakes a current or future <see cref="Wait"/> for good (the port is stopping); callable from any thread.</summary>
    public unsafe void Wake()
    {
        ulong one = 1;
        _ = write(_wakeFd, &one, sizeof(ulong));
    }

    public void Dispose() => _ = close(_wakeFd);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
