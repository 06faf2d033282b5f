using KalkiEdge.Appliance.Config;
using KalkiEdge.Store;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// `kalki-edge run` stops gracefully however often it is told to: repeated SIGTERMs (systemd, an impatient operator
/// pressing Ctrl-C twice) while it is already shutting down never crash it or cut the store's last commit short.
/// </summary>
public class ShutdownTests
{
    [Test]
    public void Repeated_SIGTERMs_during_shutdown_leave_a_clean_exit_and_a_closed_store()
    {
        using var dir = new TempDir();
        var config = dir.File("site.yaml");
        var socket = dir.File("ctl.sock");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), [PackScenarios.Device("generic-iot")])
            + $"data-dir: {Path.Combine(dir.Path, "data")}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {socket}}}\n");

        // Several rounds: the signals land at different points of the shutdown each time.
        for (int round = 0; round < 3; round++)
        {
            using var appliance = RunningAppliance.StartWithSocket(config, socket);
            for (int i = 0; i < 4; i++)
            {
                appliance.Terminate();
                Thread.Sleep(round * 15);
            }

            var exit = appliance.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.That(exit, Is.Zero, appliance.Output);
            Assert.That(appliance.Output, Does.Not.Contain("Unhandled exception"));
        }

        using var store = KalkiStore.Open(Path.Combine(dir.Path, "data", "kalki-edge.db"));
        Assert.That(store.Column("PRAGMA integrity_check").Single(), Is.EqualTo("ok"));
    }

    [Test]
    public void The_simulation_stops_on_SIGTERM_prints_its_table_and_survives_a_second_signal()
    {
        using var appliance = RunningAppliance.Start(a => a.Printed("KalkiEdge simulation:"), "--speed", "1");
        appliance.Terminate();
        Thread.Sleep(20);
        appliance.Terminate();
        var exit = appliance.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.That(exit, Is.Zero, appliance.Output);
        Assert.That(appliance.Output, Does.Contain("frames:").And.Not.Contain("Unhandled exception"));
    }
}
