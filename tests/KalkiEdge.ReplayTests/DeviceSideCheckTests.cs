using System.Text.RegularExpressions;

namespace KalkiEdge.ReplayTests;

/// <summary>
/// `kalki-edge check` (and `run`) on how the appliance meets its devices: a device-side address in no device's reach,
/// monitored devices without one, the dashboard on it, and two of the appliance's own listeners on one port (the
/// camera event receivers against each other and against the management server) are refused with file, line and
/// column before anything runs.
/// </summary>
public class DeviceSideCheckTests
{
    private const string Devices = """
        devices:
          - {name: cam, mac: "02:00:00:00:00:13", ip: 192.0.2.13, type: dlink-camera, monitor: {family: dlink-camera}, credentials: {user: admin, password: not-the-default}}
          - {name: plug, mac: "02:00:00:00:00:11", ip: 192.0.2.11, type: wemo-insight, monitor: {family: wemo-insight}}

        """;

    private const string Interfaces = "interfaces: {devices: [dev0], uplink: up0, device-address: 192.0.2.2/24}";

    [Test]
    public void A_device_address_inside_no_devices_reach_is_refused_at_its_place()
    {
        var (config, r) = Run("check", "interfaces: {devices: [dev0], uplink: up0, device-address: 198.51.100.2/24}");

        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{config}:4:60: error: interfaces: device-address 198.51.100.2/24 is inside no device's reach: no device has an address in 198.51.100.0/24 (devices have e.g. 192.0.2.13, 192.0.2.11)"));
    }

    [Test]
    public void Monitored_devices_without_a_device_address_are_refused_and_one_in_reach_is_accepted()
    {
        var (config, r) = Run("check", "interfaces: {devices: [dev0], uplink: up0}");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{config}:4:13: error: interfaces: devices have monitors but 'interfaces' has no device-address"));

        (_, r) = Run("check", Interfaces);
        Assert.That(r.ExitCode, Is.Zero, r.Stdout + r.Stderr);
    }

    [TestCase("0.0.0.0:8443")]
    [TestCase("\"[::]:8443\"")]
    [TestCase("192.0.2.2:8443")]
    public void The_dashboard_is_never_served_on_the_device_side_address(string listen)
    {
        var (config, r) = Run("check", Interfaces, $"management: {{listen: {listen}}}");

        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Match($@"{Regex.Escape(config)}:5:2[23]: error: management: listen {Regex.Escape(listen.Trim('"'))} would serve the dashboard on the device-side address 192.0.2.2, where the appliance answers only its own connections"));
    }

    [Test]
    public void A_camera_events_port_equal_to_the_management_port_is_refused_at_the_camera_port()
    {
        var (config, r) = Run("check", "management: {listen: 127.0.0.1:8443}", "camera-events: {smtp-port: 8443, http-port: 8026}");

        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{config}:5:28: error: camera-events: smtp-port 8443 is the management server's port (management listen 127.0.0.1:8443): each of the appliance's listeners needs a port of its own"));
    }

    [Test]
    public void A_management_port_equal_to_a_default_receiver_port_on_the_device_side_address_is_refused_at_listen()
    {
        var (config, r) = Run("check", Interfaces, "management: {listen: 198.51.100.1:8025}");

        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{config}:5:22: error: management: listen port 8025 is the camera HTTP event receiver's port on the device-side address (camera-events http-port by default): choose another, or set camera-events: {{http-port: N}}"));
    }

    [Test]
    public void Without_a_device_side_address_unset_receiver_ports_are_free_ports_and_collide_with_nothing()
    {
        var (_, r) = Run("check", "management: {listen: 127.0.0.1:8025}");

        Assert.That(r.ExitCode, Is.Zero, r.Stdout + r.Stderr);
    }

    [Test]
    public void Run_refuses_to_start_with_a_collision_before_it_listens_anywhere()
    {
        var (config, r) = Run("run", "management: {listen: 127.0.0.1:18443}", "camera-events: {http-port: 18443}");

        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{config}:5:28: error: camera-events: http-port 18443 is the management server's port"));
        Assert.That(r.Stdout + r.Stderr, Does.Not.Contain("camera events:").And.Not.Contain("bridging nothing"), "nothing was started");
    }

    /// <summary>kalki-edge <paramref name="command"/> on the devices above and <paramref name="lines"/> (from line 4 on), in a directory of its own.</summary>
    private static (string Config, CliResult Result) Run(string command, params string[] lines)
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, Devices + string.Join('\n', lines) + "\n");
        return (config, KalkiEdgeCli.Run(command, "--config", config));
    }
}
