using System.Diagnostics;
using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Store;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// The operator's state reset on a running appliance: real `kalki-edge run` (idle: no interfaces) restored from a
/// store in which attacks left devices in Attack, driven by the real `kalki-edge devices` / `reset` over the
/// control socket; the reset is applied, audited with the caller's uid, and survives the process.
/// </summary>
public class OperatorResetTests
{
    private static readonly ScenarioDevice Camera = PackScenarios.Device("dlink-camera");
    private static readonly ScenarioDevice Plug = PackScenarios.Device("wemo-insight", 1);

    [Test]
    public void An_operator_resets_an_attacked_device_on_the_running_appliance_and_the_reset_is_audited_and_durable()
    {
        using var dir = new TempDir();
        var socket = dir.File("ctl.sock");
        var config = WriteConfig(dir, socket);
        AttackBothDevices(dir, config);

        using (var appliance = RunningAppliance.StartWithSocket(config, socket))
        {
            var before = Devices(config);
            Assert.That(before[Camera.Host.Name], Is.EqualTo("Attack"));
            Assert.That(before[Plug.Host.Name], Is.EqualTo("Attack"));
            Assert.That(OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(socket), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "only the appliance's user may connect");

            var reset = KalkiEdgeCli.Run("reset", "--device", Camera.Host.Name, "--reason", "camera firmware patched", "--config", config);
            Assert.That(reset.ExitCode, Is.EqualTo(0), reset.Stderr);
            Assert.That(reset.Stdout, Does.Contain($"{Camera.Host.Name}: Attack -> Normal"));

            var after = Devices(config);
            Assert.That(after[Camera.Host.Name], Is.EqualTo("Normal"));
            Assert.That(after[Plug.Host.Name], Is.EqualTo("Attack"), "only the named device is reset");

            // This site has no hypervisor section: /health says signing is off, loudly.
            var health = appliance.Health();
            Assert.That(health.GetProperty("signing").GetProperty("mode").GetString(), Is.EqualTo("off"));
            Assert.That(health.GetProperty("signing").GetProperty("warning").GetString(), Does.Contain("packet signing is OFF"));
            Assert.That($"kalki-edge {health.GetProperty("version").GetString()}\n", Is.EqualTo(KalkiEdgeCli.Run("version").Stdout), "one version string for the CLI and /health");
        }

        Assert.That(File.Exists(socket), Is.False, "the socket is removed on shutdown");
        using var store = KalkiStore.Open(Path.Combine(dir.Path, "data", "kalki-edge.db"));
        Assert.That(store.LoadDeviceStates()[Camera.Host.Name].State, Is.EqualTo("Normal"), "the reset is committed");
        var audit = store.Column("SELECT actor || '|' || action || '|' || detail FROM audit_log").Single();
        Assert.That(audit, Does.Match(@"^operator \(uid \d+ pid \d+\) via control socket\|state-reset\|dlink-camera-0: camera firmware patched$"));
    }

    [Test]
    public void Unknown_devices_bad_reasons_and_a_missing_appliance_get_clear_errors()
    {
        using var dir = new TempDir();
        var socket = dir.File("ctl.sock");
        var config = WriteConfig(dir, socket);

        var nobody = KalkiEdgeCli.Run("reset", "--device", Camera.Host.Name, "--socket", socket);
        Assert.That(nobody.ExitCode, Is.EqualTo(1));
        Assert.That(nobody.Stderr, Does.Contain($"cannot reach the appliance on {socket}"));

        using (RunningAppliance.StartWithSocket(config, socket))
        {
            var unknown = KalkiEdgeCli.Run("reset", "--device", "no-such-device", "--config", config);
            Assert.That(unknown.ExitCode, Is.EqualTo(1));
            Assert.That(unknown.Stderr, Does.Contain("404").And.Contain("no device named 'no-such-device'"));

            var longReason = KalkiEdgeCli.Run("reset", "--device", Camera.Host.Name, "--reason", new string('x', 500), "--config", config);
            Assert.That(longReason.ExitCode, Is.EqualTo(1));
            Assert.That(longReason.Stderr, Does.Contain("400").And.Contain("reason must be at most 200 printable characters"));

            var missing = KalkiEdgeCli.Run("reset", "--config", config);
            Assert.That(missing.ExitCode, Is.EqualTo(2));
            Assert.That(missing.Stderr, Does.Contain("--device NAME is required"));
        }
    }

    [Test]
    public void Check_rejects_a_relative_control_socket_with_its_line()
    {
        using var dir = new TempDir();
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [Camera]) + "management:\n  control-socket: ctl.sock\n");
        var check = KalkiEdgeCli.Run("check", "--config", config);
        Assert.That(check.ExitCode, Is.EqualTo(1));
        Assert.That(check.Stdout + check.Stderr, Does.Contain("site.yaml:6:").And.Contain("'control-socket' must be an absolute path"));
    }

    private static Dictionary<string, string?> Devices(string config)
    {
        var listed = KalkiEdgeCli.Run("devices", "--json", "--config", config);
        Assert.That(listed.ExitCode, Is.EqualTo(0), listed.Stderr);
        return JsonDocument.Parse(listed.Stdout).RootElement.GetProperty("devices").EnumerateArray()
            .ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("state").GetString());
    }

    private static string WriteConfig(TempDir dir, string socket)
    {
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [Camera, Plug])
            + $"data-dir: {Path.Combine(dir.Path, "data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {socket}}}\n");
        return config;
    }

    private static void AttackBothDevices(TempDir dir, string config)
    {
        var attacks = new Timeline();
        PackScenarios.Attack(attacks, Camera, PackScenarios.Start);
        PackScenarios.Attack(attacks, Plug, PackScenarios.Start);
        attacks.WritePcap(dir.File("attacks.pcap"));
        var replay = KalkiEdgeCli.Run("replay", "--pcap", dir.File("attacks.pcap"), "--config", config, "--json", "--persist");
        Assert.That(replay.ExitCode, Is.EqualTo(0), replay.Stderr);
    }
}
