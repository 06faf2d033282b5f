using System.Net;
using System.Net.Sockets;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.Monitoring;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.UnitTests.Registry;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>kalki.yaml's <c>camera-events:</c>: the ports the camera event receivers listen on, checked by <c>check</c> and used by <c>run</c>.</summary>
public sealed class CameraEventPortTests
{
    [Test]
    public void Unset_ports_are_the_camera_defaults_on_the_device_side_address_and_free_ports_on_loopback()
    {
        var ports = Read("", out var errors);
        Assert.That(errors, Is.Empty);
        Assert.That(ports.At(IPAddress.Parse("192.0.2.2")), Is.EqualTo(new CameraEventEndpoints(IPAddress.Parse("192.0.2.2"), 25, 8025)), "what cameras send to by default, on the device-side address only");
        Assert.That(ports.At(null), Is.EqualTo(new CameraEventEndpoints(IPAddress.Loopback, 0, 0)), "without a device-side address: any free port, so appliances sharing a host never collide");

        ports = Read("camera-events: {smtp-port: 2525}", out errors);
        Assert.That(errors, Is.Empty);
        Assert.That((ports.At(null).SmtpPort, ports.At(null).HttpPort), Is.EqualTo((2525, 0)), "a set port is used everywhere");
        Assert.That((ports.At(IPAddress.Parse("192.0.2.2")).SmtpPort, ports.At(IPAddress.Parse("192.0.2.2")).HttpPort), Is.EqualTo((2525, 8025)));
    }

    [Test]
    public void Two_appliances_on_one_host_without_camera_events_each_receive_on_ports_of_their_own()
    {
        var dirs = new[] { Directory.CreateTempSubdirectory("kalki-camera-a-").FullName, Directory.CreateTempSubdirectory("kalki-camera-b-").FullName };
        var log = new List<string>();
        try
        {
            using var camera = new DlinkCameraSimulator("admin", "cam-secret-two", IPAddress.Loopback);
            var sites = dirs.Select(d => new RegistrySite(d, $$$"""
                  - {name: cam9, mac: "02:00:00:00:07:09", ip: 192.0.2.79, type: dlink-camera, monitor: {family: dlink-camera, address: 127.0.0.1, port: {{{camera.Port}}}}, credentials: {user: admin, password: cam-secret-two}}

                """)).ToList();
            var runtimes = new List<MonitorRuntime>();
            try
            {
                foreach (var site in sites)
                {
                    site.Appliance.Control.Start();
                    runtimes.Add(MonitorWiring.Start(site.Appliance, null, m => { lock (log) { log.Add(m); } }));
                }

                Assert.That(MonitorHarness.Eventually(() => runtimes.All(r => r.Monitors.CameraReceivers?.Http is not null), 30), Is.True, string.Join("\n", log));
                var endpoints = runtimes.SelectMany(r => new[] { r.Monitors.CameraReceivers!.Smtp!.EndPoint.Port, r.Monitors.CameraReceivers.Http!.Port }).ToList();
                Assert.That(endpoints, Is.Unique.And.All.GreaterThan(0), "four receivers, four ports");
                lock (log)
                {
                    Assert.That(log, Has.None.Contains("cannot receive"));
                }

                for (int i = 0; i < 2; i++)
                {
                    DlinkCameraSimulator.SendMotionMailAsync(runtimes[i].Monitors.CameraReceivers!.Smtp!.EndPoint, CancellationToken.None).GetAwaiter().GetResult();
                    var appliance = sites[i].Appliance;
                    Assert.That(MonitorHarness.Eventually(() => appliance.Control.Latest("cam9", "motion") == EvValue.Of(true), 30), Is.True, string.Join("\n", log));
                }
            }
            finally
            {
                runtimes.ForEach(r => r.Dispose());
                sites.ForEach(s => s.Dispose());
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var d in dirs)
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }

    [Test]
    public void Each_bad_port_is_refused_with_its_place()
    {
        Read("camera-events: {smtp-port: 0, http-port: 70000, colour: red}", out var errors);
        Assert.That(errors, Is.EquivalentTo(new[]
        {
            "1:28: camera-events: 'smtp-port' must be between 1 and 65535, got 0",
            "1:42: camera-events: 'http-port' must be between 1 and 65535, got 70000",
            "1:49: camera-events: unknown argument 'colour'",
        }));
        Read("camera-events: {smtp-port: 2525, http-port: 2525}", out errors);
        Assert.That(errors, Is.EqualTo(new[] { "1:45: camera-events: smtp-port and http-port are both 2525: the two receivers need a port each" }));
        Read("camera-events: {smtp-port: 8025}", out errors);
        Assert.That(errors, Is.EqualTo(new[] { "1:28: camera-events: smtp-port and http-port are both 8025: the two receivers need a port each" }), "a set port against the other's default");
        Read("camera-events: 2525", out errors);
        Assert.That(errors, Is.EqualTo(new[] { "1:16: camera-events: expected a map of settings, got '2525'" }));
    }

    [Test]
    public void A_monitored_camera_pushes_to_the_configured_ports_and_its_motion_is_read()
    {
        var (smtpPort, httpPort) = (FreePort(), FreePort());
        var dir = Directory.CreateTempSubdirectory("kalki-camera-ports-").FullName;
        try
        {
            using var camera = new DlinkCameraSimulator("admin", "cam-secret-ports", IPAddress.Loopback);
            using var site = new RegistrySite(dir, $$$"""
                  - {name: cam9, mac: "02:00:00:00:07:09", ip: 192.0.2.79, type: dlink-camera, monitor: {family: dlink-camera, address: 127.0.0.1, port: {{{camera.Port}}}}, credentials: {user: admin, password: cam-secret-ports}}
                camera-events: {smtp-port: {{{smtpPort}}}, http-port: {{{httpPort}}}}

                """);
            var appliance = site.Appliance;
            Assert.That((appliance.CameraEvents.Smtp, appliance.CameraEvents.Http), Is.EqualTo(((int?)smtpPort, (int?)httpPort)));
            appliance.Control.Start();
            var log = new List<string>();
            using var monitors = MonitorWiring.Start(appliance, null, m => { lock (log) { log.Add(m); } });
            Assert.That(MonitorHarness.Eventually(() => monitors.Monitors.CameraReceivers?.Http is not null, 30), Is.True, string.Join("\n", log));
            Assert.That((monitors.Monitors.CameraReceivers!.Smtp!.EndPoint.Port, monitors.Monitors.CameraReceivers.Http!.Port), Is.EqualTo((smtpPort, httpPort)));

            DlinkCameraSimulator.SendMotionMailAsync(new IPEndPoint(IPAddress.Loopback, smtpPort), CancellationToken.None).GetAwaiter().GetResult();
            Assert.That(MonitorHarness.Eventually(() => appliance.Control.Latest("cam9", "motion") == EvValue.Of(true), 30), Is.True, string.Join("\n", log));
            Assert.That(DlinkCameraSimulator.PushHttpEventAsync(new Uri($"http://127.0.0.1:{httpPort}/event"), CancellationToken.None).GetAwaiter().GetResult(), Is.EqualTo(HttpStatusCode.OK));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static CameraEventPorts Read(string yaml, out List<string> errors)
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse(yaml.Length == 0 ? "other: 1" : yaml, "site.yaml", diagnostics)!;
        var sections = root.Entries.ToDictionary(e => e.Key.Text, e => e.Value, StringComparer.Ordinal);
        var ports = CameraEventSettings.Read(sections, diagnostics);
        errors = [.. diagnostics.Items.Select(d => $"{d.Line}:{d.Column}: {d.Message}")];
        return ports;
    }

    /// <summary>A port free now (the receivers bind it right after; a clash would fail the test loudly, not wrongly).</summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
