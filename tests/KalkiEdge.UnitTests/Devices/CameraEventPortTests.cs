using System.Net;
using System.Net.Sockets;
using KalkiEdge.Appliance.Control;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.DataPlane;
using KalkiEdge.Devices.Camera;
using KalkiEdge.Devices.Simulators;
using KalkiEdge.UnitTests.Registry;

namespace KalkiEdge.UnitTests.Devices;

/// <summary>kalki.yaml's <c>camera-events:</c>: the ports the camera event receivers listen on, checked by <c>check</c> and used by <c>run</c>.</summary>
public sealed class CameraEventPortTests
{
    [Test]
    public void Absent_the_receivers_take_the_smtp_and_event_ports_cameras_default_to()
    {
        Assert.That(Read("", out var errors), Is.EqualTo(new CameraEventPorts(25, 8025)));
        Assert.That(errors, Is.Empty);
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
            Assert.That(appliance.CameraEvents, Is.EqualTo(new CameraEventPorts(smtpPort, httpPort)));
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
