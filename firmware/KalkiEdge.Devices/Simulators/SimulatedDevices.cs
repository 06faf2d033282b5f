using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.HttpJson;
using KalkiEdge.Devices.Hue;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Mqtt;
using KalkiEdge.Devices.Wemo;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// The simulation's devices: for each monitored device whose monitor points at loopback, its family's simulator on
/// that port, so the same monitors poll real protocol servers. A port already taken is reported and skipped (the
/// device then goes unavailable, as a real one would).
/// </summary>
public sealed class SimulatedDevices : IDisposable
{
    private readonly List<IDisposable> _running = [];

    private SimulatedDevices()
    {
    }

    /// <summary>The WeMo plug simulators by device name (the scenario's heater).</summary>
    public Dictionary<string, WemoSimulator> Plugs { get; } = new(StringComparer.Ordinal);

    public static SimulatedDevices Start(IEnumerable<MonitoredDevice> devices, Action<string> log)
    {
        var simulated = new SimulatedDevices();
        foreach (var d in devices.Where(d => System.Net.IPAddress.IsLoopback(d.Monitor.Target.Address)))
        {
            var t = d.Monitor.Target;
            try
            {
                IDisposable? simulator = d.Monitor switch
                {
                    HueMonitor => new HueSimulator(t.User ?? "", 3, t.Address, t.Port),
                    WemoMonitor => simulated.Plugs[d.Name] = new WemoSimulator(on: true, 60_000, t.Address, t.Port),
                    HttpJsonMonitor => new JsonDeviceSimulator(BoardStatus, "/status", t.Address, t.Port),
                    DlinkCameraMonitor => new DlinkCameraSimulator(t.User ?? "", t.Password ?? "", t.Address, t.Port),
                    MqttMonitor => null, // its readings come through the site's broker, not from a loopback server
                    _ => throw new InvalidOperationException($"no simulator for {d.Monitor.GetType().Name}"),
                };
                if (simulator is not null)
                {
                    simulated._running.Add(simulator);
                }
            }
            catch (System.Net.Sockets.SocketException e)
            {
                log($"simulated {d.Name}: cannot listen on {t.Address}:{t.Port} ({e.SocketErrorCode}); it will be unavailable");
            }
        }

        return simulated;
    }

    public void Dispose() => _running.ForEach(s => s.Dispose());

    /// <summary>A board whose CPU temperature wanders a little around 55 °C.</summary>
    private static string BoardStatus() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{{\"cpu\":{{\"temp\":{55 + Random.Shared.Next(-20, 20) / 10m},\"load\":{Random.Shared.Next(5, 80) / 100m}}},\"ssh\":{{\"sessions\":{Random.Shared.Next(0, 2)}}}}}");
}
