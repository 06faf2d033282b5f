namespace KalkiEdge.DataPlane;

/// <summary>Per-device traffic counters (read by status displays while the data plane writes them).</summary>
public sealed class DeviceCounters
{
    public long FromDeviceFrames;
    public long ToDeviceFrames;
    public long Forwarded;
    public long Dropped;
    public long Replied;
    public long Malformed;
    public long Spoofed;
}

/// <summary>
/// A device as the data plane sees it: identity, address bindings, counters and the chain in force.
/// The chain reference is swapped atomically (<see cref="Swap"/>); a frame reads it once, so no frame is ever
/// processed by half of an old chain and half of a new one.
/// </summary>
public sealed class DeviceSlot
{
    /// <summary>Maximum IP addresses learned per device before further new ones count as spoofing.</summary>
    public const int MaxLearnedIps = 4;

    public static readonly DeviceSlot Nobody = new("(none)", 0, []);

    private readonly UInt128[] _ips;
    private Chain? _chain;
    private long _epoch;
    private object? _signingState;
    private int _ipCount;

    public DeviceSlot(string name, ulong mac, IReadOnlyList<UInt128> staticIps, bool learnIps = true)
    {
        Name = name;
        Mac = mac;
        LearnsIps = learnIps && staticIps.Count == 0;
        if (staticIps.Count > MaxLearnedIps)
        {
            throw new ArgumentException($"device {name}: at most {MaxLearnedIps} IP bindings are supported", nameof(staticIps));
        }

        // Room to learn only for devices that learn: a statically bound device never adds an address.
        _ips = new UInt128[LearnsIps ? MaxLearnedIps : staticIps.Count];

        foreach (var ip in staticIps)
        {
            _ips[_ipCount++] = ip;
        }
    }

    public string Name { get; }

    public ulong Mac { get; }

    /// <summary>Learns its first addresses from traffic (no static binding configured).</summary>
    public bool LearnsIps { get; }

    public DeviceCounters Counters { get; } = new();

    /// <summary>Serializes chain processing for this device when several capture threads feed the engine.</summary>
    public object Gate { get; } = new();

    /// <summary>Free slot for the control plane to hang its per-device state on (avoids a second lookup).</summary>
    public object? ControlState { get; set; }

    /// <summary>
    /// Free slot for one packet-signing stage to keep this device's signing key on (avoids a lookup per frame). The
    /// first stage to take it (<see cref="TrySwapSigningState"/>) has it until it releases it; other stages keep
    /// theirs in a table of their own. Each stage checks the state is its own before using it.
    /// </summary>
    public object? SigningState => Volatile.Read(ref _signingState);

    public Chain? Chain => Volatile.Read(ref _chain);

    /// <summary>Increments on every swap; binds packet tags to the chain generation that produced them.</summary>
    public long Epoch => Volatile.Read(ref _epoch);

    public ReadOnlySpan<UInt128> Ips => _ips.AsSpan(0, Volatile.Read(ref _ipCount));

    /// <summary>Puts <paramref name="next"/> in force at once and returns the chain it replaced.</summary>
    public Chain? Swap(Chain next)
    {
        lock (Gate)
        {
            // Under the gate, a frame in flight finishes on the old chain before the new one is visible.
            var old = Interlocked.Exchange(ref _chain, next);
            Interlocked.Increment(ref _epoch);
            return old;
        }
    }

    public bool IsBound(UInt128 ip) => Ips.Contains(ip);

    /// <summary>
    /// Puts <paramref name="next"/> in <see cref="SigningState"/> if it holds <paramref name="expected"/> (null: takes a
    /// free slot; <paramref name="next"/> null: releases it); false when it holds something else (another stage's).
    /// </summary>
    public bool TrySwapSigningState(object? expected, object? next) =>
        ReferenceEquals(Interlocked.CompareExchange(ref _signingState, next, expected), expected);

    /// <summary>Adds a learned binding; false when the device already has the maximum.</summary>
    internal bool TryLearn(UInt128 ip)
    {
        if (_ipCount >= _ips.Length)
        {
            return false;
        }

        _ips[_ipCount] = ip;
        Volatile.Write(ref _ipCount, _ipCount + 1);
        return true;
    }

    public override string ToString() => $"{Name} ({Mac.FormatMac()})";
}

internal static class MacFormatting
{
    public static string FormatMac(this ulong mac) => DataPlane.Mac.Format(mac);
}
