using System.Net;
using KalkiEdge.Core.Policy;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Monitoring;

/// <summary>One reading of one sensor.</summary>
public readonly record struct Reading(string Sensor, EvValue Value);

/// <summary>Where a device's pushed readings go (and why a message was refused: its clear status).</summary>
public interface IPushSink
{
    /// <summary>The device-side address the family's own connections leave from (null: the kernel chooses).</summary>
    IPAddress? LocalAddress { get; }

    void Deliver(IReadOnlyList<Reading> readings);

    void Reject(string why);
}

/// <summary>A sensor a monitor reads, with the value kind it produces.</summary>
public sealed record SensorOutput(string Name, ValueKind Kind);

/// <summary>
/// Where and as whom a monitor reaches its device: the device's address and port, the credentials from its device
/// record (never logged: messages name the path without them), and the sensors its pack declares.
/// </summary>
public sealed record MonitorTarget(string Device, IPAddress Address, int Port, string? User, string? Password, IReadOnlyList<SensorDef> Sensors)
{
    /// <summary>Every poll and every command attempt ends within this time.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    public Uri Url(string path) => new($"http://{(Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}:{Port}{path}");
}

/// <summary>
/// A device family's monitor and command sender (one instance per device, built by its family's compiler): it polls
/// the device for readings and sends it commands. Every call is bounded by the caller's token and by
/// <see cref="DeviceHttp"/>'s limits; a wrong answer throws <see cref="DeviceProtocolException"/> saying what is wrong.
/// </summary>
public abstract class DeviceMonitor(MonitorTarget target)
{
    public MonitorTarget Target { get; } = target;

    /// <summary>The sensors every poll reads (checked against the pack's sensors).</summary>
    public abstract IReadOnlyList<SensorOutput> Produces { get; }

    /// <summary>The commands it can send.</summary>
    public abstract IReadOnlyList<string> Commands { get; }

    /// <summary>False for a family whose device pushes every reading (MQTT): it is never polled, only watched.</summary>
    public virtual bool Polls => true;

    /// <summary>True for a family that accepts events the device pushes to the appliance (camera e-mail and HTTP events).</summary>
    public virtual bool AcceptsEvents => false;

    public abstract Task<IReadOnlyList<Reading>> PollAsync(DeviceHttp http, CancellationToken token);

    /// <summary>
    /// Runs while the device is monitored, for families that keep a connection of their own (an MQTT subscription):
    /// delivers what arrives to <paramref name="sink"/> and returns when <paramref name="stop"/> is cancelled.
    /// </summary>
    public virtual Task RunAsync(IPushSink sink, CancellationToken stop) => Task.CompletedTask;

    /// <summary>An event the device pushed (a motion e-mail, an HTTP event): the readings it means.</summary>
    public virtual IReadOnlyList<Reading> OnEvent(string what) => throw new DeviceProtocolException($"{GetType().Name} accepts no events");

    public abstract Task SendAsync(DeviceHttp http, string command, CancellationToken token);

    protected static DeviceProtocolException Unsupported(string family, string command) =>
        new($"{family} monitors cannot send '{command}'");
}
