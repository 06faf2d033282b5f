using System.Net;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.Devices.Simulators;

/// <summary>
/// The simulated cameras see motion now and then: each time, a motion e-mail (a real SMTP client) and the camera's
/// HTTP event go to the appliance's camera event receivers, as a camera configured to push there does.
/// </summary>
public sealed class CameraMotion : IDisposable
{
    private readonly DeviceMonitors _monitors;
    private readonly Action<string> _log;
    private readonly Timer _timer;
    private readonly CancellationTokenSource _stop = new();
    private int _busy;

    public CameraMotion(DeviceMonitors monitors, TimeSpan period, Action<string> log)
    {
        _monitors = monitors;
        _log = log;
        _timer = new Timer(_ => _ = PushAsync(), null, period, period);
    }

    /// <summary>Motion events both receivers accepted.</summary>
    public int Pushed => Volatile.Read(ref _pushed);

    private int _pushed;

    public void Dispose()
    {
        _timer.Dispose();
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task PushAsync()
    {
        if (_monitors.CameraReceivers is not { } receivers || Interlocked.Exchange(ref _busy, 1) == 1)
        {
            return; // no camera monitored, or the last push still running
        }

        try
        {
            if (receivers.Smtp is { } smtp)
            {
                await DlinkCameraSimulator.SendMotionMailAsync(new IPEndPoint(IPAddress.Loopback, smtp.EndPoint.Port), _stop.Token).ConfigureAwait(false);
            }

            if (receivers.Http is { } http)
            {
                var status = await DlinkCameraSimulator.PushHttpEventAsync(new Uri($"http://127.0.0.1:{http.Port}/event"), _stop.Token).ConfigureAwait(false);
                if (status != HttpStatusCode.OK)
                {
                    _log($"simulated camera: the HTTP event was answered {(int)status}");
                    return;
                }
            }

            if (Interlocked.Increment(ref _pushed) == 1)
            {
                _log("simulated camera: motion pushed to the camera event receivers (e-mail and HTTP event)");
            }
        }
        catch (Exception e) when (e is System.Net.Mail.SmtpException or HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested)
            {
                _log($"simulated camera: motion not delivered ({e.Message})");
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }
}
