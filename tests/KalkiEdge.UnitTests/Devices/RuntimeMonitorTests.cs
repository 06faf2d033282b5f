using System.Net;
using System.Net.Http.Json;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Core;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.UnitTests.Management;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>
/// A camera added through the management API gets its pack's monitor with the credentials of its record; deleting
/// it stops the monitor (talking to the camera itself is the camera family's tests' part). Its password is sealed in the store and appears in no log line, alert, audit entry or API answer.
/// </summary>
public sealed class RuntimeMonitorTests : ManagementAppFixture
{
    private const string Secret = "cam-pass-0xC0FFEE-runtime";

    [Test]
    public async Task A_camera_added_at_run_time_is_monitored_until_deleted_and_its_password_shows_nowhere()
    {
        // The pack's monitor polls the camera's own address (TEST-NET, nothing answers there): the poll and the command
        // fail, so the run-time device is monitored, counted unavailable and its command reported.
        var log = new List<string>();
        var alerts = new List<string>();
        var appliance = _app.Site.Appliance;
        appliance.Control.AlertEvaluated += a => { lock (alerts) { alerts.Add(a.Info); } };
        appliance.Control.Start();
        using var runtime = MonitorWiring.Start(appliance, null, m => { lock (log) { log.Add(m); } },
            new MonitorOptions { CommandAttempts = 2, CommandBackoff = TimeSpan.FromMilliseconds(50), CameraEvents = new CameraEventEndpoints(IPAddress.Loopback, 0, 0) });
        using var browser = await _app.SignedInAsync();

        var added = await browser.PostAsJsonAsync("/api/devices", new CameraBody("cam2", "dlink-camera", "02:00:00:00:07:09", ["192.0.2.79"], "", new("admin", Secret)));
        Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created), await added.Content.ReadAsStringAsync());
        var monitored = runtime.Monitors.Devices.SingleOrDefault(d => d.Name == "cam2");
        Assert.That(monitored?.Monitor, Is.InstanceOf<DlinkCameraMonitor>());
        Assert.That((monitored!.Monitor.Target.User, monitored.Monitor.Target.Password, monitored.Monitor.Target.Address.ToString()), Is.EqualTo(("admin", Secret, "192.0.2.79")),
            "the pack's monitor, with the record's credentials, at the device's address");
        Assert.That(MonitorHarness.Eventually(() => monitored.LastError is not null, 15), Is.True, string.Join("\n", log));
        runtime.Monitors.Send("cam2", "reboot");
        Assert.That(MonitorHarness.Eventually(() => { lock (alerts) { return alerts.Any(a => a.StartsWith("command reboot failed", StringComparison.Ordinal)); } }, 30), Is.True, string.Join("\n", log));
        var api = await browser.GetStringAsync("/api/devices") + await browser.GetStringAsync("/api/devices/cam2");
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={appliance.Store!.Store.Path};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            using var read = db.CreateCommand();
            read.CommandText = "SELECT credentials_password FROM runtime_devices WHERE name = 'cam2'";
            Assert.That(read.ExecuteScalar() as string, Does.StartWith("aesgcm1:").And.Not.Contain(Secret), "sealed at rest");
        }

        var deleted = await browser.DeleteAsync("/api/devices/cam2");
        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(runtime.Monitors.Devices.Select(d => d.Name), Does.Not.Contain("cam2"));
        Assert.That(log, Has.Some.EqualTo("monitor cam2: stopped"));

        appliance.Store!.Writer.Flush(TimeSpan.FromSeconds(10));
        var stored = string.Concat(Directory.GetFiles(Path.Combine(_dir, "data")).Where(f => !f.EndsWith(".key", StringComparison.Ordinal))
            .Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        string everything;
        lock (log)
        {
            lock (alerts)
            {
                everything = string.Join("\n", log) + string.Join("\n", alerts) + api + stored;
            }
        }

        Assert.That(everything, Does.Not.Contain(Secret));
    }

    private sealed record CameraBody(string name, string type, string mac, string[] ips, string description, CredentialsBody credentials);

    private sealed record CredentialsBody(string username, string password);
}
