using System.Diagnostics;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.DataPlane.Pcap;
using SharpPcap;
using SharpPcap.LibPcap;

namespace KalkiEdge.DataPlane.Live;

/// <summary>How a live port is opened.</summary>
public sealed record LivePortOptions
{
    /// <summary>Bytes captured per frame: the interface MTU plus Ethernet and two VLAN tags, not 65535. With
    /// libpcap's ring (TPACKET) every slot is snaplen-sized, so a huge snaplen leaves few slots and bursts are
    /// lost silently (measured: 39 % loss at 40 kpps with 65535 and 2 MB, libpcap reporting 0 drops).</summary>
    public required int Snaplen { get; init; }

    /// <summary>Kernel ring size (pcap_set_buffer_size).</summary>
    public required int BufferBytes { get; init; }

    /// <summary>How long a blocking read waits before re-checking for stop (<see cref="LivePort.Stop"/> wakes it sooner).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a read keeps checking an empty ring before it sleeps in poll(2) (zero: sleep at once).
    /// A frame caught awake spares the capture thread's wake-up and the sender's cost of waking it; the spin takes
    /// the CPU from everyone else meanwhile (the Live README has what each measured).</summary>
    public TimeSpan BusyPoll { get; init; }
}

/// <summary>
/// A live interface through libpcap (SharpPcap opens and configures it): promiscuous, immediate delivery,
/// inbound direction only (pcap_setdirection through P/Invoke; SharpPcap has no API for it), so the frames
/// we inject are never read back. Reads and sends go straight to libpcap on the raw handle: no allocation
/// and no exception per frame. The handle is non-blocking (a thread can ask whether a frame is waiting, see
/// <see cref="ReadNow"/>); a blocking read waits in poll(2) on the capture fd and a stop eventfd.
/// </summary>
public sealed class LivePort : IBridgePort
{
    private readonly LibPcapLiveDevice _device;
    private readonly nint _handle;
    private readonly ReadinessWait _ready;
    private readonly int _waitMillis;
    private readonly long _busyPollTicks;
    private volatile bool _stopped;

    private LivePort(LibPcapLiveDevice device, ulong mac, int snaplen, ReadinessWait ready, LivePortOptions options)
    {
        _device = device;
        _handle = device.Handle.DangerousGetHandle();
        _ready = ready;
        _waitMillis = (int)options.ReadTimeout.TotalMilliseconds;
        _busyPollTicks = (long)(options.BusyPoll.TotalSeconds * Stopwatch.Frequency);
        Mac = mac;
        Snaplen = snaplen;
    }

    public string Name => _device.Name;

    public ulong Mac { get; }

    public int Snaplen { get; }

    public PortCounters Counters { get; } = new();

    /// <summary>Opens <paramref name="name"/>; throws <see cref="LivePortException"/> saying what failed and how to fix it.</summary>
    public static LivePort Open(string name, LivePortOptions options)
    {
        var device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == name)
            ?? throw new LivePortException($"{name}: libpcap does not list this interface");
        var failures = new List<string>();
        var configuration = new DeviceConfiguration
        {
            Mode = DeviceModes.Promiscuous,
            Immediate = true,
            Snaplen = options.Snaplen,
            BufferSize = options.BufferBytes,
            ReadTimeout = (int)options.ReadTimeout.TotalMilliseconds,
        };
        configuration.ConfigurationFailed += (_, e) => failures.Add($"{e.Property}: {e.Message} ({e.Error})");
        try
        {
            device.Open(configuration);
        }
        catch (PcapException e)
        {
            device.Dispose();
            throw new LivePortException($"{name}: cannot open for capture: {Explain(e)}", e);
        }

        if (failures.Count > 0)
        {
            device.Dispose();
            throw new LivePortException($"{name}: libpcap refused the capture settings: {string.Join("; ", failures)}");
        }

        var handle = device.Handle.DangerousGetHandle();
        if (LibPcap.pcap_setdirection(handle, LibPcap.DirectionIn) != 0)
        {
            var error = LibPcap.LastError(handle);
            device.Dispose();
            throw new LivePortException($"{name}: cannot restrict the capture to inbound frames: {error}");
        }

        var refused = SetNonBlocking(handle);
        var fd = refused is null ? LibPcap.pcap_get_selectable_fd(handle) : -1;
        if (fd < 0)
        {
            device.Dispose();
            throw new LivePortException($"{name}: cannot read the capture without blocking: {refused ?? "libpcap has no selectable fd for it"}");
        }

        // Before the first frame: the ring's first pass would otherwise pay a page-table trap per page (CaptureRingPages).
        CaptureRingPages.Touch(LibPcap.pcap_fileno(handle));
        try
        {
            return new LivePort(device, ReadMac(device), options.Snaplen, new ReadinessWait(fd), options);
        }
        catch (LivePortException)
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>Null on success, else libpcap's error text.</summary>
    private static unsafe string? SetNonBlocking(nint handle)
    {
        var error = stackalloc byte[LibPcap.ErrorBufferSize];
        error[0] = 0;
        return LibPcap.pcap_setnonblock(handle, 1, error) == 0 ? null : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)error);
    }

    /// <summary>
    /// Blocks until a frame arrives (true) or the port is stopped (false): checks the ring for up to
    /// <see cref="LivePortOptions.BusyPoll"/>, then sleeps in poll(2). The check is bounded by time, once per call,
    /// so an idle port costs nothing and a thread under real-time priority never holds its CPU longer than that.
    /// </summary>
    public bool TryRead(Frame frame) => Read(frame, long.MaxValue) == PortRead.Frame;

    /// <summary>As <see cref="TryRead"/>, giving up with <see cref="PortRead.Empty"/> once <paramref name="limit"/> has passed.</summary>
    public PortRead ReadWithin(Frame frame, TimeSpan limit) =>
        Read(frame, Stopwatch.GetTimestamp() + (long)(Math.Clamp(limit.TotalSeconds, 0, MaxLimitSeconds) * Stopwatch.Frequency));

    /// <summary>A <see cref="ReadWithin"/> limit beyond this is this: the deadline's arithmetic stays far from overflow.</summary>
    private const double MaxLimitSeconds = 3600;

    private PortRead Read(Frame frame, long giveUpAt)
    {
        long sleepAfter = Stopwatch.GetTimestamp() + _busyPollTicks;
        while (true)
        {
            var read = ReadNow(frame);
            if (read != PortRead.Empty)
            {
                return read;
            }

            long now = Stopwatch.GetTimestamp();
            if (now >= giveUpAt)
            {
                return PortRead.Empty;
            }

            if (now >= sleepAfter)
            {
                // Bounded, so a missed wake-up still re-checks the stop flag; rounded up, so a short limit is not a spin.
                long untilGiveUp = (giveUpAt - now) / (Stopwatch.Frequency / 1000) + 1; // no product: giveUpAt may be long.MaxValue
                _ready.Wait((int)Math.Min(_waitMillis, untilGiveUp));
            }
        }
    }

    public unsafe PortRead ReadNow(Frame frame)
    {
        nint header;
        byte* data;
        while (!_stopped)
        {
            var rc = LibPcap.pcap_next_ex(_handle, &header, &data);
            if (rc == LibPcap.NextPacket)
            {
                var h = PcapPacketHeader.Read(header);
                if (h.CaptureLength < h.WireLength)
                {
                    Counters.Truncated++;
                    continue;
                }

                frame.Load(new ReadOnlySpan<byte>(data, h.CaptureLength), h.TimestampMicros, frame.Direction);
                Counters.Received++;
                return PortRead.Frame;
            }

            if (rc == LibPcap.NextError)
            {
                throw new FrameSourceException($"{Name}: capture failed: {LibPcap.LastError(_handle)}");
            }

            if (rc == LibPcap.NextTimeout)
            {
                return PortRead.Empty; // non-blocking: nothing in the ring right now
            }

            // pcap_breakloop: loop to re-check the stop flag.
        }

        return PortRead.Stopped;
    }

    /// <summary>Puts the frame on the wire. Thread-safe with this port's reader (libpcap sends with one send()).</summary>
    public unsafe void Send(Frame frame)
    {
        var data = frame.Data;
        int rc;
        fixed (byte* p = data)
        {
            rc = LibPcap.pcap_sendpacket(_handle, p, data.Length);
        }

        // Failures (ENOBUFS under a burst, link down) are counted, not thrown: the frame is lost as on a wire.
        Interlocked.Increment(ref rc == 0 ? ref Counters.Sent : ref Counters.SendErrors);
    }

    /// <summary>Slots are snaplen-sized: the largest frame this port's wire carries.</summary>
    public ITransmitBatch OpenBatch(int capacity) => new PacketSocketBatch(this, LibPcap.pcap_fileno(_handle), capacity, Snaplen);

    public void Stop()
    {
        _stopped = true;
        LibPcap.pcap_breakloop(_handle);
        _ready.Wake();
    }

    public unsafe CaptureStatistics ReadStatistics()
    {
        // Room for a larger struct than Linux's three fields, in case a build adds platform fields.
        var stats = stackalloc uint[8];
        if (LibPcap.pcap_stats(_handle, stats) != 0)
        {
            throw new FrameSourceException($"{Name}: cannot read capture statistics: {LibPcap.LastError(_handle)}");
        }

        return new CaptureStatistics(stats[0], stats[1], stats[2]);
    }

    public void Dispose()
    {
        _stopped = true;
        _device.Dispose();
        _ready.Dispose();
    }

    private static ulong ReadMac(LibPcapLiveDevice device)
    {
        var bytes = device.MacAddress?.GetAddressBytes();
        return bytes is { Length: 6 } ? DataPlane.Mac.Read(bytes) : 0;
    }

    private static string Explain(PcapException e) => e.Error switch
    {
        PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied =>
            "permission denied (capturing needs root or CAP_NET_RAW and CAP_NET_ADMIN)",
        PcapError.NoSuchDevice => "no such interface",
        PcapError.InterfaceNotUp => "the interface is down (ip link set <if> up)",
        _ => e.Message,
    };
}

/// <summary>A live port that cannot be opened: the message names the interface and the fix.</summary>
public sealed class LivePortException : Exception
{
    public LivePortException(string message) : base(message) { }

    public LivePortException(string message, Exception inner) : base(message, inner) { }

    public LivePortException() { }
}
