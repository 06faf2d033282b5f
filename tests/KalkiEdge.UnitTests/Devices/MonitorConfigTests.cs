using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Control;
using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.Devices;
using KalkiEdge.Devices.Monitoring;

namespace KalkiEdge.UnitTests.Devices;

public sealed class MonitorConfigTests
{
    [Test]
    public void The_shipped_packs_accept_their_families_monitors()
    {
        var errors = Compile("""
              - {name: hue, mac: "02:00:00:00:00:01", ip: 192.0.2.10, type: philips-hue-bridge, monitor: {family: hue}, credentials: {user: token}}
              - {name: plug, mac: "02:00:00:00:00:02", ip: 192.0.2.11, type: wemo-insight, monitor: {family: wemo-insight}}
              - {name: board, mac: "02:00:00:00:00:03", ip: 192.0.2.12, type: udoo-neo, monitor: {family: http-json, fields: {cpu-temp-c: cpu.temp, load: load}}}
            """, out var monitored);

        Assert.That(errors, Is.Empty);
        Assert.That(monitored.Select(m => (m.Name, m.Monitor.Target.Address.ToString(), m.Monitor.Target.Port)),
            Is.EqualTo(new[] { ("hue", "192.0.2.10", 80), ("plug", "192.0.2.11", 49153), ("board", "192.0.2.12", 80) }));
    }

    [Test]
    public void Every_shipped_pack_with_commands_has_a_monitor_that_sends_all_of_them()
    {
        var diagnostics = new DiagnosticBag();
        var packs = PackLoader.LoadDirectory(Path.Combine(RepoPaths.Umboxes, "packs"), diagnostics);
        Assert.That(diagnostics.Items, Is.Empty);
        var families = MonitorLibrary.CreateRegistry();
        foreach (var pack in packs)
        {
            if (pack.Monitor is not { } declared)
            {
                Assert.That(pack.Commands, Is.Empty, $"pack '{pack.Name}' has commands but no monitor to send them");
                continue;
            }

            var credentials = MonitorHarness.Yaml("{user: u, password: p}");
            var monitor = MonitorCompilation.Compile(families, new MonitorEntry("d", PackMonitorArgs.For(declared, "d"), credentials, [Ip.FromV4(0xC000020A)], pack), diagnostics);
            Assert.That(diagnostics.Items, Is.Empty, $"pack '{pack.Name}': {string.Join("; ", diagnostics.Items)}");
            Assert.That(monitor!.Commands, Is.SupersetOf(pack.Commands.Select(c => c.Name)), $"pack '{pack.Name}' lists a command its {declared.Family} monitor cannot send");
        }

        Assert.That(packs.Where(p => p.Monitor is not null).Select(p => p.Name), Is.EquivalentTo(new[] { "dlink-camera", "philips-hue-bridge", "udoo-neo", "wemo-insight" }),
            "every family pack declares the monitor its devices added at run time get");
    }

    [Test]
    public void Every_monitor_error_has_its_line_and_typos_get_a_suggestion()
    {
        var errors = Compile("""
              - {name: a, mac: "02:00:00:00:00:01", ip: 192.0.2.10, type: philips-hue-bridge, monitor: {family: heu}}
              - {name: b, mac: "02:00:00:00:00:02", ip: 192.0.2.11, type: philips-hue-bridge, monitor: {family: hue}}
              - {name: c, mac: "02:00:00:00:00:03", ip: 192.0.2.12, type: udoo-neo, monitor: {family: wemo-insight}}
              - {name: d, mac: "02:00:00:00:00:04", ip: 192.0.2.13, image: generic-normal, monitor: {family: wemo-insight}}
              - {name: e, mac: "02:00:00:00:00:05", ip: 192.0.2.14, type: udoo-neo, monitor: {family: http-json, fields: {cpu-tmp-c: cpu.temp}, colour: red}}
              - {name: f, mac: "02:00:00:00:00:06", type: wemo-insight, monitor: {family: wemo-insight, port: 70000}}
            """, out _);

        Assert.That(errors.Select(e => $"{e.Line}: {e.Message} {e.Suggestion}"), Has.Some.Contains("3: device 'a': unknown monitor family 'heu' did you mean 'hue'?")
            .And.Some.Contains("4: monitor hue: device 'b': the Hue API needs a user")
            .And.Some.Contains("5: device 'c': the wemo-insight monitor reads 'on', which pack 'udoo-neo' does not declare")
            .And.Some.Contains("6: device 'd': a monitored device needs a 'type'")
            .And.Some.Contains("7: monitor http-json: 'cpu-tmp-c' is not a sensor of the device's pack").And.Some.Contains("did you mean 'cpu-temp-c'?")
            .And.Some.Contains("7: monitor http-json: unknown argument 'colour'")
            .And.Some.Contains("8: monitor wemo-insight: device 'f' has no IP address to poll")
            .And.Some.Contains("8: monitor wemo-insight: 'port' must be between 1 and 65535"));
    }

    [Test]
    public void The_checked_in_monitor_reference_is_the_generated_one()
    {
        var path = Path.Combine(RepoPaths.Root, "docs", "device-monitors.md");
        Assert.That(File.Exists(path) ? File.ReadAllText(path) : "", Is.EqualTo(MonitorCompilation.Markdown(MonitorLibrary.CreateRegistry())),
            "docs/device-monitors.md is out of date with the monitor registry: run `make elements-doc` and commit the result");
    }

    [Test]
    public void A_device_address_inside_no_devices_reach_is_refused()
    {
        Assert.That(Reach("198.51.100.2/24"), Has.Exactly(1).Contains("device-address 198.51.100.2/24 is inside no device's reach: no device has an address in 198.51.100.0/24 (devices have e.g. 192.0.2.10)"));
        Assert.That(Reach("192.0.2.10/24"), Has.Exactly(1).Contains("device-address 192.0.2.10/24 is device 'hue''s own address"));
        Assert.That(Reach("192.0.2.2/24"), Is.Empty);
    }

    [TestCase("192.0.2.2", "is not an address with its prefix length")]
    [TestCase("192.0.2.0/24", "is not a unicast host address of its network")]
    [TestCase("224.0.0.1/4", "is not a unicast host address")]
    [TestCase("192.0.2.2/33", "is not an address with its prefix length")]
    public void A_device_address_must_be_a_host_address_with_its_prefix(string address, string expected)
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse($"interfaces: {{devices: [dev0], uplink: up0, device-address: {address}}}", "site.yaml", diagnostics)!;
        Assert.That(InterfacesConfig.Parse(root.Entries.Single().Value, diagnostics), Is.Null);
        Assert.That(diagnostics.Items.Single().Message, Does.Contain(expected));
    }

    [Test]
    public void The_device_address_is_the_appliances_own_traffic_never_bridged()
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse("interfaces: {devices: [dev0], uplink: up0, management-addresses: [198.51.100.1], device-address: 192.0.2.2/24}", "site.yaml", diagnostics)!;
        var config = InterfacesConfig.Parse(root.Entries.Single().Value, diagnostics)!;

        Assert.That(config.DeviceAddress!.ToString(), Is.EqualTo("192.0.2.2/24"));
        Assert.That(config.OwnAddresses.Select(Ip.Format), Is.EqualTo(new[] { "198.51.100.1", "192.0.2.2" }));
    }

    private static List<string> Reach(string address)
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse($"interfaces: {{devices: [dev0], uplink: up0, device-address: {address}}}", "site.yaml", diagnostics)!;
        var config = InterfacesConfig.Parse(root.Entries.Single().Value, diagnostics)!;
        config.DeviceAddress!.CheckReach([("hue", [Ip.FromV4(0xC000020A)]), ("sensor", [])], diagnostics);
        return [.. diagnostics.Items.Select(d => d.Message)];
    }

    private static IReadOnlyList<Diagnostic> Compile(string devices, out IReadOnlyList<MonitoredDevice> monitored)
    {
        var diagnostics = new DiagnosticBag();
        var yaml = "unknown-devices: drop\ndevices:\n" + devices;
        var site = SiteConfigLoader.FromNode(YamlArgs.Parse(yaml, "site.yaml", diagnostics)!, "site.yaml", diagnostics)!;
        var packs = PackLoader.LoadDirectory(Path.Combine(RepoPaths.Umboxes, "packs"), diagnostics);
        Assert.That(diagnostics.Items, Is.Empty, "the site and packs themselves are valid");
        monitored = MonitorWiring.Compile(site, packs, diagnostics);
        return diagnostics.Items;
    }
}
