using System.Collections.Concurrent;
using KalkiEdge.ControlPlane.Telemetry;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Store;

namespace KalkiEdge.ControlPlane;

/// <summary>Control-plane settings.</summary>
public sealed record ControlPlaneOptions
{
    /// <summary>A device is unavailable after missing readings for this many sampling intervals.</summary>
    public double UnavailableAfterIntervals { get; init; } = 3;

    /// <summary>How often (control clock) the availability watchdog looks at the devices.</summary>
    public long WatchdogPeriodMicros { get; init; } = 1_000_000;

    public int AlertLaneCapacity { get; init; } = 64;

    public int HistoryCapacity { get; init; } = 256;
}

/// <summary>
/// The control plane, in the data plane's process: alerts from the chains (through <see cref="Alerts"/>), from
/// telemetry conditions and the watchdog, and from the operator are evaluated against each device's pack; a rule
/// that fires carries out its commands and sampling change and, on a state change, deploys the state's chain
/// (make-before-break) and records the transition with its STIMULUS/TRIGGER/REACT/FINISH trace. Evaluation runs
/// on one thread: <see cref="Drain"/> (replay, after every frame) or the loop started by <see cref="Start"/> (live).
/// Everything durable goes through the store writer; enforcement never waits for it.
/// </summary>
public sealed class SecurityController : IPolicyEnvironment, IDisposable
{
    private readonly Dictionary<string, CompiledPolicy> _policies = new(StringComparer.Ordinal);
    // Concurrent: the management API reads it while the registry adds and removes devices at run time.
    private readonly ConcurrentDictionary<string, ControlledDevice> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ControlledDevice>> _groups = new(StringComparer.Ordinal);
    private readonly PolicyEngine _engine;
    private readonly ChainDeployer _deployer;
    private readonly IControlClock _clock;
    private readonly StoreWriter? _writer;
    private readonly IReadOnlyDictionary<string, CommittedDeviceState> _committed;
    private readonly ControlPlaneOptions _options;
    private readonly Action<Alert> _handle;

    // Held while alerts are evaluated and while devices or packs change, so evaluation never sees a device half
    // registered (the evaluation thread and the registry's callers are different threads).
    private readonly Lock _sync = new();

    // Kept beside the dictionary: ConcurrentDictionary.Count takes every lock, and the watchdog asks per frame.
    private int _controlledCount;
    private Thread? _loop;
    private volatile bool _stopping;

    public SecurityController(
        IEnumerable<DeviceTypePack> packs,
        ChainDeployer deployer,
        IControlClock clock,
        StoreWriter? writer = null,
        IReadOnlyDictionary<string, CommittedDeviceState>? committed = null,
        ICommandSender? commands = null,
        ControlPlaneOptions? options = null,
        AlertQueue? alerts = null)
    {
        _options = options ?? new ControlPlaneOptions();
        foreach (var pack in packs)
        {
            _policies[pack.Name] = new CompiledPolicy(pack);
        }

        _engine = new PolicyEngine(this, _options.HistoryCapacity);
        _deployer = deployer;
        _clock = clock;
        _writer = writer;
        _committed = committed ?? new Dictionary<string, CommittedDeviceState>();
        Commands = commands;
        Alerts = alerts ?? new AlertQueue(_options.AlertLaneCapacity);
        Telemetry = new DeviceTelemetry(_sync, _devices, writer, Alerts, _options);
        _handle = Handle;
    }

    /// <summary>The alerts it evaluates: the packet engine's sink (given to the constructor, or its own).</summary>
    public AlertQueue Alerts { get; }

    public IReadOnlyDictionary<string, ControlledDevice> Devices => _devices;

    /// <summary>Where readings enter (monitors, the appliance's own sensors): conditions, store, watchdog.</summary>
    public DeviceTelemetry Telemetry { get; }

    /// <summary>Every alert evaluated, in order (replay prints them).</summary>
    public event Action<Alert>? AlertEvaluated;

    /// <summary>Every state change, after its chain is in force.</summary>
    public event Action<TransitionEvent>? Transitioned;

    /// <summary>Every command a rule issued (device, command, rule).</summary>
    public event Action<string, string, string>? CommandIssued;

    public bool HasType(string type) => _policies.ContainsKey(type);

    /// <summary>Where a firing rule's commands go (the device monitors); set before the control loop starts.</summary>
    public ICommandSender? Commands { get; set; }

    /// <summary>
    /// Puts a device under control: <paramref name="state"/> when given (a device edited at run time keeps its
    /// state), else its last committed state (after a restart), else its pack's initial state, with that state's
    /// chain deployed before the device's first frame. Safe while the control loop runs.
    /// </summary>
    public ControlledDevice Register(DeviceSlot slot, string type, string? group = null, long? samplingIntervalMicros = null, string? state = null)
    {
        lock (_sync)
        {
            var policy = _policies[type];
            state = state is not null && policy.Pack.States.Contains(state) ? state
                : _committed.TryGetValue(slot.Name, out var c) && policy.Pack.States.Contains(c.State) ? c.State : policy.Pack.Initial;
            var device = new ControlledDevice(slot, policy.Pack, _engine.CreateState(slot.Name, policy, state), group,
                samplingIntervalMicros ?? policy.Pack.DefaultSamplingIntervalMicros);
            if (!_devices.TryAdd(slot.Name, device))
            {
                throw new ArgumentException($"device '{slot.Name}' is already under control", nameof(slot));
            }

            _controlledCount++;
            slot.ControlState = device;
            if (group is not null)
            {
                if (!_groups.TryGetValue(group, out var members))
                {
                    _groups[group] = members = [];
                }

                members.Add(device);
            }

            Deploy(device);
            if (_controlledCount == 1)
            {
                // Compile every image the packs use up front (an image that does not build is known at start, and
                // the first reaction does not pay for compilation) and make the first ready instances.
                foreach (var image in _policies.Values.SelectMany(p => p.Pack.Chains).Select(c => c.Image).Distinct(StringComparer.Ordinal))
                {
                    _deployer.Prepare(image);
                }

                _deployer.Replenish();
            }

            return device;
        }
    }

    /// <summary>
    /// Gives a controlled device its own change to one state's chain (null: the pack's chains again), deployed
    /// make-before-break at once when the device is in that state, else at its next transition into it. False when
    /// no such device is controlled.
    /// </summary>
    public bool SetOverlay(string name, IChainOverlay? overlay)
    {
        lock (_sync)
        {
            if (!_devices.TryGetValue(name, out var device))
            {
                return false;
            }

            var before = device.Overlay;
            device.Overlay = overlay;
            if ((overlay ?? before)?.State == device.State)
            {
                Deploy(device);
            }

            return true;
        }
    }

    /// <summary>
    /// Takes a device out of control (deleted or about to be replaced at run time). Its queued alerts find no device
    /// and are ignored. Returns the device, or null when it was not controlled.
    /// </summary>
    public ControlledDevice? Unregister(string name)
    {
        lock (_sync)
        {
            if (!_devices.TryRemove(name, out var device))
            {
                return null;
            }

            _controlledCount--;
            if (device.Group is not null && _groups.TryGetValue(device.Group, out var members))
            {
                members.Remove(device);
            }

            return device;
        }
    }

    /// <summary>A new device type (an imported pack the caller has checked): devices may be registered with it from now on.</summary>
    public void AddPack(DeviceTypePack pack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        lock (_sync)
        {
            if (!_policies.TryAdd(pack.Name, new CompiledPolicy(pack)))
            {
                throw new ArgumentException($"device type '{pack.Name}' exists already", nameof(pack));
            }
        }
    }

    /// <summary>
    /// Puts an edited pack in force (the caller has checked it, and that it keeps every state a device is in): every
    /// device of its type keeps its state, sampling interval and availability watch, is evaluated by the new policy
    /// from the next alert (its alert history starts afresh), and gets the chain the new pack gives its state,
    /// deployed make-before-break — only when that differs from the chain in force, so unchanged chains keep their
    /// tables. Returns the devices it moved over.
    /// </summary>
    public IReadOnlyList<string> ReplacePack(DeviceTypePack pack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        lock (_sync)
        {
            if (!_policies.ContainsKey(pack.Name))
            {
                throw new ArgumentException($"no device type '{pack.Name}' to replace", nameof(pack));
            }

            var policy = _policies[pack.Name] = new CompiledPolicy(pack);
            var moved = _devices.Values.Where(d => d.Pack.Name == pack.Name).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
            foreach (var old in moved)
            {
                var state = pack.States.Contains(old.State) ? old.State : pack.Initial;
                var device = new ControlledDevice(old.Slot, pack, _engine.CreateState(old.Name, policy, state), old.Group, old.SamplingIntervalMicros)
                {
                    Watch = old.Watch,
                    Image = old.Image,
                    FailClosed = old.FailClosed,
                    Transitions = old.Transitions,
                };
                _devices[old.Name] = device;
                old.Slot.ControlState = device;
                if (old.Group is not null && _groups.TryGetValue(old.Group, out var members))
                {
                    members[members.IndexOf(old)] = device;
                }

                if (old.FailClosed || pack.ImageFor(state) != old.Image)
                {
                    Deploy(device);
                }
            }

            _deployer.Replenish();
            return [.. moved.Select(d => d.Name)];
        }
    }

    /// <summary>
    /// Operator action: return the device to its initial state (alert <c>state-reset</c>). Safe from any thread:
    /// the reset is queued like any alert and the control loop applies it. The audit record carries the reason.
    /// </summary>
    public void ResetState(string device, string actor = "operator", string? reason = null)
    {
        var now = _clock.NowMicros;
        var why = string.IsNullOrEmpty(reason) ? "" : $": {reason}";
        _writer?.Audit(now, actor, "state-reset", device + why);
        Alerts.Raise(new Alert(AlertTypes.StateReset, device, AlertSource.Operator, now, $"state reset by {actor}{why}"));
    }

    /// <summary>A command that could not be delivered: alert <c>command-failed</c> and an audit entry (thread-safe).</summary>
    public void CommandFailed(string device, string command, string why)
    {
        var now = _clock.NowMicros;
        _writer?.Audit(now, "monitor", "command-failed", $"{device}: {command}: {why}");
        Alerts.Raise(new Alert(AlertTypes.CommandFailed, device, AlertSource.Platform, now, $"command {command} failed: {why}"));
    }

    /// <summary>Alerts are queued or devices are watched: a drain now would do something, and read the clock.</summary>
    public bool HasWork => Volatile.Read(ref _controlledCount) != 0 || !Alerts.IsEmpty;

    /// <summary>Evaluates every queued alert now, on the calling thread. Returns how many were handled.</summary>
    public int Drain()
    {
        // Replay drains after every frame, almost always with nothing queued: then, without watches, there is nothing
        // to do and the lock is not taken (an alert raised meanwhile waits for the next drain, as one raised just after).
        if (!HasWork)
        {
            return 0;
        }

        lock (_sync)
        {
            // Only registered devices get telemetry watches: a site without any skips the clock read, which is
            // a large share of the per-frame cost when replay drains after every frame.
            if (_controlledCount > 0)
            {
                Telemetry.Watchdog(_clock.NowMicros);
            }

            int n = 0;
            while (!Alerts.IsEmpty)
            {
                n += Alerts.Drain(_handle);
            }

            return n;
        }
    }

    /// <summary>
    /// Starts the live evaluation loop on its own thread. <paramref name="onLoopThread"/> runs first on that thread
    /// (live: give it the capture threads' priority, since every reaction passes through it).
    /// </summary>
    public void Start(Action? onLoopThread = null)
    {
        _loop = new Thread(() =>
        {
            onLoopThread?.Invoke();
            while (!_stopping)
            {
                Alerts.Ready.Wait(TimeSpan.FromMilliseconds(200));
                Drain();
            }
        }) { IsBackground = true, Name = "control-plane" };
        _loop.Start();
    }

    public void Dispose()
    {
        _stopping = true;
        Alerts.Ready.Release();
        _loop?.Join(TimeSpan.FromSeconds(5));
    }

    public EvValue? Latest(string device, string sensor) =>
        _devices.TryGetValue(device, out var d) ? d.LatestReading(sensor) : null;

    public int GroupMembersInState(string device, string? type, string state)
    {
        if (!_devices.TryGetValue(device, out var d) || d.Group is null || !_groups.TryGetValue(d.Group, out var members))
        {
            return 0;
        }

        int n = 0;
        foreach (var m in members)
        {
            if (m != d && m.State == state && (type is null || m.Pack.Name == type))
            {
                n++;
            }
        }

        return n;
    }

    private void Handle(Alert alert)
    {
        // React first, report after: observers write to consoles and pipes, which must not sit between an
        // alert and its defense.
        var transition = React(alert);
        _writer?.Alert(alert);
        AlertEvaluated?.Invoke(alert);
        if (transition is not null)
        {
            _writer?.Transition(transition);
            Transitioned?.Invoke(transition);
            _deployer.Replenish();
        }
    }

    private TransitionEvent? React(Alert alert)
    {
        if (!_devices.TryGetValue(alert.Device, out var device))
        {
            return null;
        }

        var decision = _engine.Evaluate(device.Policy, alert);
        if (decision is null)
        {
            return null;
        }

        var trigger = _clock.NowMicros;
        IssueCommands(device, decision, trigger);
        if (decision.SamplingIntervalMicros is { } interval)
        {
            DeviceTelemetry.SamplingChanged(device, interval);
        }

        if (!decision.ChangesState)
        {
            return null;
        }

        var react = _clock.NowMicros;
        var result = Deploy(device);
        var finish = _clock.NowMicros;
        device.Transitions++;
        return new TransitionEvent(device.Name, decision.From, decision.To, decision.Rule, alert.Type, result.Image, result.ChainText,
            result.FailClosed, alert.TimeMicros, trigger, react, finish);
    }

    /// <summary>Deploys the chain of the device's current state; a failure raises the alert that says why.</summary>
    private DeploymentResult Deploy(ControlledDevice device)
    {
        var image = device.Pack.ImageFor(device.State) ?? "";
        var result = _deployer.Deploy(device.Slot, image, device.Overlay is { } overlay && overlay.State == device.State ? overlay : null);
        device.Image = result.Image;
        device.FailClosed = result.FailClosed;
        if (result.Failure is not null)
        {
            Alerts.Raise(new Alert(result.AlertType!, device.Name, AlertSource.Platform, _clock.NowMicros, result.Failure));
        }

        return result;
    }

    private void IssueCommands(ControlledDevice device, PolicyDecision decision, long now)
    {
        foreach (var command in decision.Commands)
        {
            IEnumerable<ControlledDevice> targets = command.Target == CommandTarget.Self
                ? [device]
                : device.Group is null ? [] : _groups[device.Group].Where(m => m != device && m.Pack.Name == command.MemberType);
            foreach (var target in targets)
            {
                Commands?.Send(target.Name, command.Command);
                _writer?.Command(target.Name, command.Command, decision.Rule, now);
                CommandIssued?.Invoke(target.Name, command.Command, decision.Rule);
            }
        }
    }
}
