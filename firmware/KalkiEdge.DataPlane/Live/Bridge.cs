using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.DataPlane.Live;

/// <summary>Bridge-level counters (verdict counts live in the engine's counters).</summary>
public sealed class BridgeCounters
{
    /// <summary>Frames read from all ports.</summary>
    public long Frames;

    /// <summary>The appliance's own frames, left to the kernel.</summary>
    public long Management;

    /// <summary>Frames from the uplink sent to every device port (group address or destination not learned).</summary>
    public long Flooded;
}

/// <summary>One port's counters and libpcap statistics at one moment.</summary>
public sealed record PortStatus(string Name, bool IsUplink, long Received, long Sent, long SendErrors, long Truncated, CaptureStatistics Capture);

/// <summary>
/// The transparent bridge: one capture thread per port (or one polling thread for all, <see cref="PollCpu"/>). Frames from a device port run the sender's chain
/// (<see cref="Direction.FromDevice"/>) and leave by the uplink; frames from the uplink run the destination's
/// chain (<see cref="Direction.ToDevice"/>) and leave by the device port where that MAC was seen (every device
/// port for group addresses and not-yet-learned MACs). Replies leave by the port the frame came in on. The
/// appliance's own frames are not bridged. Nothing is forwarded unless a chain said so: when the bridge stops,
/// nothing crosses.
/// </summary>
public sealed class Bridge : IDisposable
{
    private readonly PacketEngine _engine;
    private readonly Func<ElementContext> _createContext;
    private readonly IBridgePort[] _devicePorts;
    private readonly IBridgePort _uplink;
    private readonly BridgeOutputs _direct;
    private readonly ManagementFilter _management;
    private readonly MacPortTable _macs;
    private readonly List<Thread> _threads = [];
    private readonly ManualResetEventSlim _faulted = new();
    private readonly ManualResetEventSlim _pollingStarted = new();
    private readonly Lock _statusGate = new();
    private IReadOnlyList<PortStatus> _status = [];
    private long _frameNumber;
    private volatile Exception? _failure;
    private bool _stopped;
    private int _normalPriority;

    public Bridge(PacketEngine engine, Func<ElementContext> createContext, IReadOnlyList<IBridgePort> devicePorts, IBridgePort uplink, ManagementFilter management, int macTableCapacity = MacPortTable.DefaultCapacity)
    {
        if (devicePorts.Count == 0)
        {
            throw new ArgumentException("the bridge needs at least one device port", nameof(devicePorts));
        }

        _engine = engine;
        _createContext = createContext;
        _devicePorts = [.. devicePorts];
        _uplink = uplink;
        _management = management;
        _macs = new MacPortTable(macTableCapacity);
        _direct = Outputs(port => port);
    }

    public BridgeCounters Counters { get; } = new();

    /// <summary>
    /// Makes the egress stage (e.g. packet signing) of each port's frames, called once per port on the capture thread
    /// that reads it (the polling thread makes one per port); null sends frames straight to their port. A stage that
    /// holds frames is released as soon as its port has nothing more to read, and when the thread stops.
    /// </summary>
    public Func<IBridgeEgress>? CreateEgress { get; init; }

    /// <summary>
    /// Frames a capture thread queues per port before they go on the wire together (<see cref="IBridgePort.OpenBatch"/>:
    /// one sendmmsg per batch on a live port); a batch also goes as soon as the thread's port has nothing more to
    /// read. 1 sends every frame on its own.
    /// </summary>
    public int TransmitBatch { get; init; } = DefaultTransmitBatch;

    public const int DefaultTransmitBatch = 32;

    /// <summary>Nice value for the capture threads; null leaves them at the process's.</summary>
    public int? CaptureNice { get; init; }

    /// <summary>SCHED_FIFO priority for the capture threads (0 = none, <see cref="CaptureNice"/> only).</summary>
    public int CaptureRealtimePriority { get; init; }

    /// <summary>
    /// The polling core: one capture thread, pinned to this CPU, serves every port and never sleeps (null: one thread
    /// per port, each sleeping while its port is empty). It spares the wake-ups a sleeping thread pays per frame, at
    /// the price of that CPU at 100 % (see the Live README, "Polling core").
    /// </summary>
    public int? PollCpu { get; init; }

    /// <summary>Capture threads that could not get their priority (<see cref="CaptureRealtimePriority"/>, else <see cref="CaptureNice"/>; no CAP_SYS_NICE).</summary>
    public int ThreadsAtNormalPriority => _normalPriority;

    public MacPortTable Macs => _macs;

    /// <summary>Set when a capture thread died (e.g. an interface vanished); the bridge must then be stopped.</summary>
    public WaitHandle Faulted => _faulted.WaitHandle;

    public Exception? Failure => _failure;

    /// <summary>Port statistics as of the last <see cref="RefreshStatistics"/>.</summary>
    public IReadOnlyList<PortStatus> Status
    {
        get
        {
            lock (_statusGate)
            {
                return _status;
            }
        }
    }

    public IEnumerable<IBridgePort> Ports => _devicePorts.Append(_uplink);

    /// <summary>
    /// Starts the capture threads. With <see cref="PollCpu"/>, returns once the polling thread is pinned and reading,
    /// or has failed (then <see cref="Faulted"/> is set and nothing was read: the bridge never ran unpinned).
    /// </summary>
    public void Start()
    {
        if (PollCpu is { } cpu)
        {
            StartThread($"poll cpu{cpu}", () => PollEveryPort(cpu));
            WaitHandle.WaitAny([_pollingStarted.WaitHandle, _faulted.WaitHandle]);
            return;
        }

        for (int i = 0; i <= _devicePorts.Length; i++)
        {
            int index = i;
            StartThread(PortAt(index).Name, () => CapturePort(index));
        }
    }

    /// <summary>Reads every port's counters and libpcap statistics (call periodically, from one thread).</summary>
    public IReadOnlyList<PortStatus> RefreshStatistics()
    {
        lock (_statusGate)
        {
            if (!_stopped && _failure is null)
            {
                try
                {
                    _status = [.. Ports.Select(p => new PortStatus(p.Name, p == _uplink, Interlocked.Read(ref p.Counters.Received), Interlocked.Read(ref p.Counters.Sent), Interlocked.Read(ref p.Counters.SendErrors), Interlocked.Read(ref p.Counters.Truncated), p.ReadStatistics()))];
                }
                catch (FrameSourceException e)
                {
                    Fail(e);
                }
            }

            return _status;
        }
    }

    /// <summary>Stops every capture thread (bounded wait) and keeps the last statistics.</summary>
    public void Stop()
    {
        RefreshStatistics();
        lock (_statusGate)
        {
            _stopped = true;
        }

        foreach (var port in Ports)
        {
            port.Stop();
        }

        foreach (var thread in _threads)
        {
            if (!thread.Join(TimeSpan.FromSeconds(5)))
            {
                _failure ??= new TimeoutException($"{thread.Name} did not stop within 5 s");
            }
        }

        _threads.Clear();
    }

    public void Dispose()
    {
        Stop();
        foreach (var port in Ports)
        {
            port.Dispose();
        }

        _faulted.Dispose();
        _pollingStarted.Dispose();
    }

    /// <summary>Handles one frame read from device port <paramref name="index"/> (the capture thread's body).</summary>
    internal void FromDevicePort(int index, Frame frame, ElementContext context, IBridgeEgress? egress = null, BridgeOutputs? outputs = null)
    {
        egress ??= DirectEgress.Instance;
        outputs ??= _direct;
        if (!Accept(frame, Direction.FromDevice))
        {
            return;
        }

        var verdict = _engine.Process(frame, context);
        if (verdict == Verdict.Drop)
        {
            return;
        }

        if (_devicePorts.Length > 1)
        {
            _macs.Learn(frame.SrcMac, index);
        }

        if (verdict == Verdict.Forward)
        {
            egress.Submit(frame, context.Ran, outputs.Uplink);
        }
        else
        {
            egress.Submit(context.Reply, context.Ran, outputs.DevicePorts[index]);
        }
    }

    /// <summary>Handles one frame read from the uplink.</summary>
    internal void FromUplink(Frame frame, ElementContext context, IBridgeEgress? egress = null, BridgeOutputs? outputs = null)
    {
        egress ??= DirectEgress.Instance;
        outputs ??= _direct;
        if (!Accept(frame, Direction.ToDevice))
        {
            return;
        }

        var verdict = _engine.Process(frame, context);
        if (verdict == Verdict.Forward)
        {
            egress.Submit(frame, context.Ran, outputs.ToDevices);
        }
        else if (verdict == Verdict.Reply)
        {
            egress.Submit(context.Reply, context.Ran, outputs.Uplink);
        }
    }

    private bool Accept(Frame frame, Direction direction)
    {
        frame.Direction = direction;
        frame.Number = Interlocked.Increment(ref _frameNumber);
        Interlocked.Increment(ref Counters.Frames);
        if (_management.IsManagement(frame))
        {
            Interlocked.Increment(ref Counters.Management);
            return false;
        }

        return true;
    }

    /// <summary>To the device port (of <paramref name="ports"/>, one thread's way to each) where the destination was seen, else to all.</summary>
    private void ToDevicePorts(Frame frame, IFrameSink[] ports)
    {
        if (ports.Length == 1)
        {
            ports[0].Send(frame);
            return;
        }

        var dst = frame.DstMac;
        int port = Mac.IsGroup(dst) ? -1 : _macs.PortOf(dst);
        if (port >= 0)
        {
            ports[port].Send(frame);
            return;
        }

        Interlocked.Increment(ref Counters.Flooded);
        foreach (var p in ports)
        {
            p.Send(frame);
        }
    }

    /// <summary>One way out per port, made by <paramref name="open"/>: the ports themselves, or a capture thread's batches.</summary>
    private BridgeOutputs Outputs(Func<IBridgePort, IFrameSink> open)
    {
        IFrameSink[] devicePorts = [.. _devicePorts.Select(open)];
        return new BridgeOutputs(open(_uplink), devicePorts, new DevicePortsRoute(this, devicePorts));
    }

    /// <summary>A capture thread's own outputs: a transmit batch per port (or the ports themselves with <see cref="TransmitBatch"/> 1).</summary>
    private BridgeOutputs ThreadOutputs() => TransmitBatch > 1 ? Outputs(port => port.OpenBatch(TransmitBatch)) : _direct;

    /// <summary>A per-port capture thread: sleeps while its port is empty.</summary>
    private void CapturePort(int index)
    {
        using var lane = OpenLane(index);
        while (lane.Next())
        {
            Handle(lane);
        }

        lane.Finish(); // shutdown: nothing stays held
    }

    /// <summary>
    /// The polling core: one thread, pinned to <paramref name="cpu"/>, serves every port and never sleeps. Each sweep
    /// reads at most one frame from each port in turn (no port starves another); a port found empty releases what its
    /// lane holds, as a per-port thread does when its port runs dry.
    /// </summary>
    private void PollEveryPort(int cpu)
    {
        var lanes = new List<CaptureLane>();
        try
        {
            // The lanes first: a threaded egress's thread, started here, keeps the process's CPUs, not the polling core.
            for (int i = 0; i <= _devicePorts.Length; i++)
            {
                lanes.Add(OpenLane(i));
            }

            CpuAffinity.PinCallingThread(cpu);
            _pollingStarted.Set();
            while (Sweep(lanes))
            {
            }

            lanes.ForEach(lane => lane.Finish());
        }
        finally
        {
            lanes.ForEach(lane => lane.Dispose());
        }
    }

    /// <summary>One pass over every port; false once the ports are stopped.</summary>
    private bool Sweep(List<CaptureLane> lanes)
    {
        foreach (var lane in lanes)
        {
            var read = lane.ReadNow();
            if (read == PortRead.Stopped)
            {
                return false;
            }

            if (read == PortRead.Frame)
            {
                Handle(lane);
            }
        }

        return true;
    }

    /// <summary>A frame just read on a lane, to the handler of its port's side.</summary>
    private void Handle(CaptureLane lane)
    {
        if (lane.Index < _devicePorts.Length)
        {
            FromDevicePort(lane.Index, lane.Frame, lane.Context, lane.Egress, lane.Outputs);
        }
        else
        {
            FromUplink(lane.Frame, lane.Context, lane.Egress, lane.Outputs);
        }
    }

    /// <summary>The device ports by index, then the uplink.</summary>
    private IBridgePort PortAt(int index) => index < _devicePorts.Length ? _devicePorts[index] : _uplink;

    /// <summary>Port <paramref name="index"/>'s lane on the calling capture thread (the device ports, then the uplink).</summary>
    private CaptureLane OpenLane(int index)
    {
        var port = PortAt(index);
        var outputs = ThreadOutputs();
        var egress = CreateEgress?.Invoke() ?? DirectEgress.Instance;
        return new CaptureLane(port, index, _createContext(), egress, outputs, Adopt(egress, port, outputs));
    }

    /// <summary>
    /// The outputs this capture thread flushes itself: its own batches, or, when the egress sends from a thread of its
    /// own (<see cref="IThreadedEgress"/>), none (the ports themselves: nothing held here), as that thread owns them.
    /// </summary>
    private BridgeOutputs Adopt(IBridgeEgress egress, IBridgePort port, BridgeOutputs outputs)
    {
        if (egress is not IThreadedEgress threaded)
        {
            return outputs;
        }

        threaded.Start(port.Name, outputs.Flush);
        return _direct;
    }

    /// <summary>A capture thread named after what it serves (<paramref name="label"/>: a port, or the polling core).</summary>
    private void StartThread(string label, Action body)
    {
        var thread = new Thread(() => Guard(label, body)) { Name = $"capture {label}", IsBackground = true };
        _threads.Add(thread);
        thread.Start();
    }

    private void Guard(string label, Action body)
    {
        if (CaptureNice is { } nice && !CaptureThreadPriority.TryApply(nice, CaptureRealtimePriority))
        {
            Interlocked.Increment(ref _normalPriority);
        }

        try
        {
            body();
        }
#pragma warning disable CA1031 // any failure on a capture thread must reach the owner, not kill the process silently
        catch (Exception e)
#pragma warning restore CA1031
        {
            // Fail closed: a dead port stops the whole bridge rather than bridging half the traffic.
            Fail(new FrameSourceException($"{label}: {e.Message}", e));
        }
    }

    private void Fail(Exception e)
    {
        _failure ??= e;
        _faulted.Set();
    }

    /// <summary>A frame for the devices: to the port where its destination was seen, or flooded (an egress target like a port).</summary>
    private sealed class DevicePortsRoute(Bridge bridge, IFrameSink[] ports) : IFrameSink
    {
        public string Name => "device ports";

        public void Send(Frame frame) => bridge.ToDevicePorts(frame, ports);

        public void Dispose()
        {
        }
    }
}
