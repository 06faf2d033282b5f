using System.Diagnostics;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// `make run`'s simulation runs the same device monitors as a site, against the device simulators on loopback: every
/// monitored device answers its monitor (Hue REST, WeMo SOAP, the camera's status page, the board's JSON), and the
/// simulated camera's motion e-mail and HTTP event reach the camera event receivers, which listen on loopback on
/// free ports (so two simulations on one machine never take each other's).
/// </summary>
public class SimulationMonitorTests
{
    [Test]
    public void The_simulation_monitors_its_simulated_devices_and_receives_the_cameras_motion()
    {
        using var appliance = RunningAppliance.Start(a => a.Printed("KalkiEdge simulation:"), "--speed", "1");
        var expected = new[]
        {
            "device monitors: 4 devices polled from the default address",
            "camera events: SMTP on 127.0.0.1:",
            "camera events: HTTP on 127.0.0.1:",
            "monitor hue-bridge: answering",
            "monitor wemo-plug: answering",
            "monitor dlink-camera: answering",
            "monitor udoo-board: answering",
            // The camera pushes every 30 s; both receivers must accept it.
            "simulated camera: motion pushed to the camera event receivers",
        };
        var clock = Stopwatch.StartNew();
        while (!expected.All(appliance.Printed) && clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            Thread.Sleep(200);
        }

        Assert.That(expected.Where(e => !appliance.Printed(e)), Is.Empty, appliance.Output);
        Assert.That(appliance.Output, Does.Not.Contain("cannot receive").And.Not.Contain("poll failed"));
        appliance.Terminate();
        Assert.That(appliance.WaitForExit(TimeSpan.FromSeconds(60)), Is.Zero, appliance.Output);
    }
}
