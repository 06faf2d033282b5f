using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Appliance.Simulation;

/// <summary>
/// The simulation's device segment: a request the chains let through to a device that is simulated on loopback is
/// delivered to its simulator, so what the attacker sends has its effect on the device (the WeMo plug really switches
/// the heater) exactly when the device's chain forwards it. Each forwarded TCP payload is sent on a connection of its
/// own and the answer read (bounded in bytes and time); deliveries queue on one thread, at most 64 waiting (more are
/// dropped and counted, as a flooded segment would).
/// </summary>
public sealed class SimulatedDelivery : IFrameSink
{
    private const int MaxAnswerBytes = 64 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyDictionary<UInt128, IPEndPoint> _devices;
    private readonly Action<string> _log;
    private readonly Channel<(IPEndPoint To, byte[] Payload)> _queue = Channel.CreateBounded<(IPEndPoint, byte[])>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Task _worker;
    private long _dropped;

    /// <param name="devices">Each simulated device's address on the segment and its simulator's loopback endpoint.</param>
    public SimulatedDelivery(IReadOnlyDictionary<UInt128, IPEndPoint> devices, Action<string> log)
    {
        _devices = devices;
        _log = log;
        _worker = Task.Run(Work);
    }

    /// <summary>The segment of <paramref name="appliance"/>'s monitored devices that are simulated on loopback.</summary>
    public static SimulatedDelivery For(EdgeAppliance appliance, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        var simulated = appliance.Monitored.Where(m => IPAddress.IsLoopback(m.Monitor.Target.Address)).ToDictionary(m => m.Name, m => m.Monitor.Target);
        var devices = new Dictionary<UInt128, IPEndPoint>();
        foreach (var device in appliance.Config.Devices.Where(d => simulated.ContainsKey(d.Name)))
        {
            var target = simulated[device.Name];
            foreach (var ip in device.Ips)
            {
                devices[ip] = new IPEndPoint(target.Address, target.Port);
            }
        }

        return new SimulatedDelivery(devices, log);
    }

    public string Name => "simulated device segment";

    public long Delivered => Interlocked.Read(ref _delivered);

    private long _delivered;

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Send(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Decode() && frame.IpProtocol == IpProtocols.Tcp && frame.PayloadLength > 0 && _devices.TryGetValue(frame.DstIp, out var to)
            && !_queue.Writer.TryWrite((to, frame.Payload.ToArray())))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _worker.Wait(Timeout * 2);
    }

    private async Task Work()
    {
        var answer = new byte[4096];
        await foreach (var (to, payload) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            using var cancel = new CancellationTokenSource(Timeout);
            try
            {
                using var client = new TcpClient(AddressFamily.InterNetwork);
                await client.ConnectAsync(to, cancel.Token).ConfigureAwait(false);
                var stream = client.GetStream();
                await stream.WriteAsync(payload, cancel.Token).ConfigureAwait(false);
                client.Client.Shutdown(SocketShutdown.Send);
                int total = 0, n;
                while (total < MaxAnswerBytes && (n = await stream.ReadAsync(answer, cancel.Token).ConfigureAwait(false)) > 0)
                {
                    total += n;
                }

                Interlocked.Increment(ref _delivered);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                _log($"simulated segment: {to} did not take a forwarded request ({e.Message})");
            }
        }
    }
}
