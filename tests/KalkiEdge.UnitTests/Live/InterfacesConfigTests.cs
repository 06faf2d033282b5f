using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.UnitTests.Live;

public sealed class InterfacesConfigTests
{
    [Test]
    public void Parses_device_ports_uplink_and_capture_settings()
    {
        var config = Parse("interfaces: {devices: [dev0, wlan0], uplink: up0, snaplen: 1600, buffer-mb: 32, management-addresses: [192.0.2.1]}", out var errors);

        Assert.That(errors, Is.Empty);
        Assert.Multiple(() =>
        {
            Assert.That(config!.Devices, Is.EqualTo(new[] { "dev0", "wlan0" }));
            Assert.That(config.Uplink, Is.EqualTo("up0"));
            Assert.That(config.Snaplen, Is.EqualTo(1600));
            Assert.That(config.BufferMegabytes, Is.EqualTo(32));
            Assert.That(config.ManagementAddresses, Has.Count.EqualTo(1));
            Assert.That(config.All, Is.EqualTo(new[] { "dev0", "wlan0", "up0" }));
        });
    }

    [Test]
    public void Defaults_leave_snaplen_to_the_mtu_and_use_a_sixteen_megabyte_ring()
    {
        var config = Parse("interfaces: {devices: dev0, uplink: up0}", out var errors);

        Assert.That(errors, Is.Empty);
        Assert.That((config!.Snaplen, config.BufferMegabytes, config.Devices.Count), Is.EqualTo(((int?)null, 16, 1)));
    }

    [Test]
    public void Reports_every_problem_with_its_line()
    {
        var config = Parse("""
            interfaces:
              devices: [dev0, dev0, "bad/name"]
              uplink: dev0
              snaplen: 70000
              buffer-mb: lots
              colour: blue
            """, out var errors);

        Assert.That(config, Is.Null);
        Assert.That(errors.Select(e => e.Message), Has.Some.Contains("'dev0' is listed twice")
            .And.Some.Contains("'bad/name' is not a valid interface name")
            .And.Some.Contains("cannot be both a device port and the uplink")
            .And.Some.Contains("'snaplen' must be between")
            .And.Some.Contains("'buffer-mb' must be a whole number")
            .And.Some.Contains("colour"));
        Assert.That(errors.Select(e => e.Line), Has.Some.EqualTo(2).And.Some.EqualTo(4).And.Some.EqualTo(6));
    }

    [Test]
    public void Enforcement_threads_get_a_real_time_priority_by_default_and_it_can_be_turned_off_or_bounded()
    {
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0}", out _)!.RealtimePriority, Is.EqualTo(CaptureThreadPriority.DefaultRealtimePriority).And.GreaterThan(0));
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, realtime-priority: 0, nice: -5}", out _) is { RealtimePriority: 0, Nice: -5 }, Is.True);
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, realtime-priority: 100}", out var errors), Is.Null);
        Assert.That(errors.Single().Message, Does.Contain("'realtime-priority' must be between"));
    }

    [Test]
    public void Frames_are_sent_in_batches_of_32_by_default_and_one_at_a_time_on_request()
    {
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0}", out _)!.TransmitBatch, Is.EqualTo(32));
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, transmit-batch: 1}", out _)!.TransmitBatch, Is.EqualTo(1));
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, transmit-batch: 0}", out var errors), Is.Null);
        Assert.That(errors.Single().Message, Does.Contain("'transmit-batch' must be between"));
    }

    [Test]
    public void Capture_threads_sleep_at_once_by_default_and_busy_poll_at_most_1_ms_on_request()
    {
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0}", out _)!.BusyPollMicros, Is.Zero);
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, busy-poll-us: 50}", out _)!.BusyPollMicros, Is.EqualTo(50));
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, busy-poll-us: 1001}", out var errors), Is.Null);
        Assert.That(errors.Single().Message, Does.Contain("'busy-poll-us' must be between"));
    }

    [Test]
    public void Without_poll_cpu_every_port_has_a_sleeping_thread_and_with_it_one_polling_thread_on_that_cpu()
    {
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0}", out _, Cpus(0, 1, 2, 3))!.PollCpu, Is.Null);
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, poll-cpu: 3}", out var errors, Cpus(0, 1, 2, 3))!.PollCpu, Is.EqualTo(3));
        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void A_poll_cpu_the_process_may_not_run_on_is_refused_at_its_place_with_the_cpus_it_may_use()
    {
        Assert.That(Parse("interfaces:\n  devices: dev0\n  uplink: up0\n  poll-cpu: 3\n", out var errors, Cpus(0, 1)), Is.Null);
        var error = errors.Single();
        Assert.Multiple(() =>
        {
            Assert.That((error.File, error.Line, error.Column), Is.EqualTo(("site.yaml", 4, 13)));
            Assert.That(error.Message, Does.Contain("'poll-cpu' 3 is not a CPU this process may run on").And.Contain("0, 1"));
            Assert.That(error.Suggestion, Does.Contain("name one of 0, 1"));
        });
    }

    [Test]
    public void A_poll_cpu_that_is_the_processs_only_cpu_is_refused()
    {
        Assert.That(Parse("interfaces:\n  devices: dev0\n  uplink: up0\n  poll-cpu: 1\n", out var errors, Cpus(1)), Is.Null);
        var error = errors.Single();
        Assert.That((error.Line, error.Column), Is.EqualTo((4, 13)));
        Assert.That(error.Message, Does.Contain("the only CPU this process may run on").And.Contain("starve"));
    }

    [Test]
    public void Poll_cpu_and_busy_poll_together_are_refused()
    {
        Assert.That(Parse("interfaces:\n  devices: dev0\n  uplink: up0\n  busy-poll-us: 50\n  poll-cpu: 1\n", out var errors, Cpus(0, 1)), Is.Null);
        var error = errors.Single();
        Assert.That((error.Line, error.Column), Is.EqualTo((5, 13)));
        Assert.That(error.Message, Does.Contain("'poll-cpu' and 'busy-poll-us' together"));
    }

    [Test]
    public void A_poll_cpu_that_is_not_a_cpu_number_is_refused()
    {
        Assert.That(Parse("interfaces: {devices: dev0, uplink: up0, poll-cpu: -1}", out var errors, Cpus(0, 1)), Is.Null);
        Assert.That(errors.Single().Message, Does.Contain("'poll-cpu' must be between 0 and 1023"));
    }

    [Test]
    public void Requires_devices_and_uplink()
    {
        Assert.That(Parse("interfaces: {snaplen: 1600}", out var errors), Is.Null);
        Assert.That(errors.Select(e => e.Message), Has.Some.Contains("'devices'").And.Some.Contains("'uplink'"));
    }

    private static SortedSet<int> Cpus(params int[] cpus) => [.. cpus];

    private static InterfacesConfig? Parse(string yaml, out IReadOnlyList<Diagnostic> errors, IReadOnlySet<int>? cpus = null)
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse(yaml, "site.yaml", diagnostics) ?? throw new InvalidOperationException(string.Join("\n", diagnostics.Items));
        var section = root.Entries.Single(e => e.Key.Text == "interfaces").Value;
        var config = InterfacesConfig.Parse(section, diagnostics, cpus);
        errors = diagnostics.Items;
        return config;
    }
}
