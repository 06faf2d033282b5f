using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// Several appliances on one host (tests, benches, appliances in their own network namespaces, which share the
/// filesystem): run outside systemd with no <c>control-socket</c> in their configs, each serves its own socket in its
/// own data directory and the CLI reaches each through its config; one started on a socket that another process
/// serves refuses to start, and the first keeps serving. The real `kalki-edge run` (idle: no interfaces).
/// </summary>
public class ControlSocketInstanceTests
{
    [Test]
    public void Two_appliances_with_their_own_data_directories_each_serve_their_own_socket_and_the_cli_reaches_each_by_its_config()
    {
        using var first = new TempDir();
        using var second = new TempDir();
        var (camera, plug) = (PackScenarios.Device("dlink-camera"), PackScenarios.Device("wemo-insight", 1));
        var firstConfig = WriteConfig(first, camera);
        var secondConfig = WriteConfig(second, plug);
        var firstSocket = Path.Combine(first.Path, "data", "control.sock");
        var secondSocket = Path.Combine(second.Path, "data", "control.sock");

        using var a = RunningAppliance.StartWithSocket(firstConfig, firstSocket);
        using var b = RunningAppliance.StartWithSocket(secondConfig, secondSocket);
        // The socket file exists from bind on; the line that names it comes once the server listens.
        a.WaitUntil(() => a.Printed("operator control socket on"));
        b.WaitUntil(() => b.Printed("operator control socket on"));

        Assert.Multiple(() =>
        {
            Assert.That(a.Printed($"operator control socket on {firstSocket}"), Is.True, a.Output);
            Assert.That(b.Printed($"operator control socket on {secondSocket}"), Is.True, b.Output);
            Assert.That(b.Output, Does.Not.Contain("WARNING: operator control socket not available"));
            Assert.That(DeviceNames(firstConfig), Is.EqualTo(new[] { camera.Host.Name }), "the first config's CLI reaches the first appliance");
            Assert.That(DeviceNames(secondConfig), Is.EqualTo(new[] { plug.Host.Name }), "the second config's CLI reaches the second appliance");
        });
    }

    [Test]
    public void An_appliance_started_on_a_socket_another_process_serves_refuses_to_start_and_the_first_keeps_serving()
    {
        using var dir = new TempDir();
        var camera = PackScenarios.Device("dlink-camera");
        var config = WriteConfig(dir, camera);
        var socket = Path.Combine(dir.Path, "data", "control.sock");
        using var first = RunningAppliance.StartWithSocket(config, socket);

        var second = KalkiEdgeCli.Run("run", "--config", config);

        Assert.That(second.ExitCode, Is.EqualTo(1), second.Stdout + second.Stderr);
        Assert.That(second.Stderr, Does.Contain($"already serves the control socket {socket}").And.Contain("refusing to start")
            .And.Contain("management.control-socket"));
        Assert.That(second.Stdout, Does.Not.Contain("management server on"), "refused before anything is served");
        Assert.That(DeviceNames(config), Is.EqualTo(new[] { camera.Host.Name }), "the first appliance still answers on its socket");
    }

    private static string[] DeviceNames(string config)
    {
        var listed = KalkiEdgeCli.Run("devices", "--json", "--config", config);
        Assert.That(listed.ExitCode, Is.EqualTo(0), listed.Stderr);
        return [.. JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("name").GetString()!)];
    }

    /// <summary>No data-dir and no control-socket: the defaults, DIR/data and DIR/data/control.sock.</summary>
    private static string WriteConfig(TempDir dir, ScenarioDevice device)
    {
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [device]) + "management: {listen: \"127.0.0.1:0\"}\n");
        return config;
    }
}
