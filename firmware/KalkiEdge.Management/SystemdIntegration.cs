using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace KalkiEdge.Management;

/// <summary>
/// sd_notify for the systemd unit (Type=notify, WatchdogSec=): READY=1 once traffic is being handled, and
/// WATCHDOG=1 at half the watchdog interval — only while the appliance reports itself healthy, so a wedged
/// data plane gets restarted. (The hosting package sends READY but never WATCHDOG by itself.)
/// </summary>
public sealed class SystemdIntegration : IDisposable
{
    private readonly SystemdNotifier _notifier = new();
    private readonly Timer? _watchdog;

    public SystemdIntegration(Func<bool> healthy)
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (_notifier.IsEnabled && long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var micros) && micros > 0)
        {
            var period = TimeSpan.FromMicroseconds(micros / 2);
            _watchdog = new Timer(_ => Ping(healthy), null, period, period);
        }
    }

    /// <summary>True when started by systemd with NOTIFY_SOCKET.</summary>
    public bool Enabled => _notifier.IsEnabled;

    public void Ready(string status)
    {
        if (_notifier.IsEnabled)
        {
            _notifier.Notify(new ServiceState($"READY=1\nSTATUS={status}"));
        }
    }

    public void Stopping()
    {
        if (_notifier.IsEnabled)
        {
            _notifier.Notify(ServiceState.Stopping);
        }
    }

    public void Dispose() => _watchdog?.Dispose();

    private void Ping(Func<bool> healthy)
    {
        if (healthy())
        {
            _notifier.Notify(new ServiceState("WATCHDOG=1"));
        }
    }
}
