using System.Globalization;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.LiveTests.Support;
using KalkiEdge.TestKit;

namespace KalkiEdge.LiveTests;

/// <summary>The polling core (<c>poll-cpu</c>): one capture thread, pinned to that CPU, serves both ports without sleeping.</summary>
public sealed partial class LiveBridgeTests
{
    [Test]
    public void With_a_polling_core_traffic_crosses_both_ways_through_one_thread_pinned_to_that_cpu()
    {
        int cpu = CpuAffinity.Allowed().Max(); // the appliance inherits this process's CPUs
        using var appliance = ApplianceProcess.StartBridging(_testbed, _configs.Write(_testbed, interfaces: $"{{devices: [dev0], uplink: up0, poll-cpu: {cpu}}}"));

        AssertTalkBothWays();

        var capture = ThreadCpus.Of(appliance.Pid.ToString(CultureInfo.InvariantCulture), "capture").ToDictionary(t => t.Name, t => t.Cpus);

        Assert.That(capture, Is.EqualTo(new Dictionary<string, string> { ["capture poll cp"] = cpu.ToString(CultureInfo.InvariantCulture) }), "one capture thread (comm is cut to 15 bytes), allowed on the polling CPU only");
        var result = appliance.Stop();
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain($"one polling capture thread on CPU {cpu}"));
    }
}
