using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.Registry;

/// <summary>
/// The runtime device registry against the real appliance: the site-config checks, the store (a real SQLite file),
/// and frames through the real engine before and after each change.
/// </summary>
public class DeviceRegistryTests
{
    private const string PlugMac = "02:00:00:00:07:02";
    private const string PlugIp = "192.0.2.72";

    private string _dir = null!;
    private RegistrySite _site = null!;

    private KalkiEdge.Appliance.Registry.DeviceRegistry Registry => _site.Appliance.Registry;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("kalki-registry-").FullName;
        _site = new RegistrySite(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        _site.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static DeviceSpec Plug(string name = "plug1", string mac = PlugMac, string? ip = PlugIp, string? type = "generic-iot") =>
        new(name, mac, ip is null ? [] : [ip]) { Type = type };

    [Test]
    public void An_added_device_is_protected_by_its_packs_chain_from_the_next_frame()
    {
        Assert.That(_site.FromDevice(PlugMac, PlugIp), Is.EqualTo(Verdict.Drop));
        Assert.That(_site.Appliance.Engine.Counters.UnknownDevice, Is.EqualTo(1));

        var result = Registry.Add(Plug(), "alice");

        Assert.That(result.Succeeded, Is.True, string.Join("\n", result.Errors));
        var slot = _site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!;
        Assert.That(slot.Chain!.Definition.Image, Is.EqualTo("generic-normal"));
        Assert.That(KalkiEdge.Appliance.EdgeAppliance.StateOf(slot), Is.EqualTo("Normal"));
        Assert.That(_site.FromDevice(PlugMac, PlugIp), Is.EqualTo(Verdict.Forward));
        Assert.That((_site.Appliance.Engine.Counters.UnknownDevice, slot.Counters.FromDeviceFrames), Is.EqualTo((1L, 1L)));
        Assert.That(_site.Appliance.Store!.Store.Column("SELECT actor || ' ' || action FROM audit_log"), Is.EqualTo(new[] { "alice device-add" }));
    }

    [Test]
    public void A_device_with_its_own_chain_text_runs_that_chain()
    {
        var result = Registry.Add(Plug(type: null) with { Chain = "firewall(default: drop)" }, "alice");
        Assert.That(result.Succeeded, Is.True, string.Join("\n", result.Errors));
        Assert.That(_site.FromDevice(PlugMac, PlugIp), Is.EqualTo(Verdict.Drop));
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!.Counters.FromDeviceFrames, Is.EqualTo(1));
    }

    [Test]
    public void Every_error_names_its_field_and_nothing_is_saved_or_applied()
    {
        var result = Registry.Add(new DeviceSpec("plug 1", "02:00:00:00:07", ["192.0.2.300"]) { Type = "generic-iot" }, "alice");

        Assert.That(result.Failure, Is.EqualTo(RegistryFailure.Invalid));
        Assert.That(result.Errors.Select(e => e.File), Is.EquivalentTo(new[] { "name", "mac", "ips" }));
        Assert.That(result.Errors.Single(e => e.File == "mac").Message, Does.Contain("not a unicast MAC address"));
        AssertNothingChanged();
    }

    [Test]
    public void Clashes_with_kalki_yaml_devices_are_refused_like_check_refuses_them()
    {
        var result = Registry.Add(Plug(name: "cam1", mac: RegistrySite.ConfigCameraMac, ip: RegistrySite.ConfigCameraIp), "alice");

        Assert.That(result.Errors.Select(e => (e.File, e.Message)), Is.EquivalentTo(new[]
        {
            ("name", "device name 'cam1' is used 2 times"),
            ("mac", $"MAC {RegistrySite.ConfigCameraMac} is given to cam1 and cam1"),
            ("ips", $"IP {RegistrySite.ConfigCameraIp} is bound to cam1 and cam1"),
        }));
        AssertNothingChanged();
    }

    [Test]
    public void Unknown_type_image_and_a_chain_that_does_not_compile_are_refused_with_the_place()
    {
        var type = Registry.Add(Plug(type: "generic-iott"), "alice");
        Assert.That(type.Errors.Single().File, Is.EqualTo("type"));
        Assert.That(type.Errors.Single().Message, Does.Contain("device type 'generic-iott' is not known"));

        var image = Registry.Add(Plug(type: null) with { Image = "no-such-image" }, "alice");
        Assert.That(image.Errors.Single().File, Is.EqualTo("image"));

        var chain = Registry.Add(Plug(type: null) with { Chain = "firewall(default: drop) -> fire-wall" }, "alice");
        var error = chain.Errors.Single();
        Assert.That((error.File, error.Line, error.Column), Is.EqualTo(("chain", 1, 28)), error.ToString());
        Assert.That(error.Message, Does.Contain("did you mean"));

        var two = Registry.Add(Plug() with { Image = "generic-normal" }, "alice");
        Assert.That(two.Errors.Single().Message, Does.Contain("exactly one of 'type'"));
        AssertNothingChanged();
    }

    [Test]
    public void Kalki_yaml_devices_cannot_be_edited_or_deleted_at_run_time()
    {
        var edit = Registry.Update("cam1", Plug(name: "cam1"), "alice");
        var delete = Registry.Remove("cam1", "alice");
        Assert.That((edit.Failure, delete.Failure), Is.EqualTo((RegistryFailure.ConfigDevice, RegistryFailure.ConfigDevice)));
        Assert.That(delete.Errors.Single().Message, Does.Contain("kalki.yaml").And.Contain("change it there"));
        Assert.That(Registry.Remove("nobody", "alice").Failure, Is.EqualTo(RegistryFailure.NotFound));
        Assert.That(Registry.Find("cam1")!.Origin, Is.EqualTo(DeviceOrigin.Config));
    }

    [Test]
    public void A_deleted_device_is_an_unknown_device_from_the_next_frame()
    {
        Registry.Add(Plug(), "alice");
        Assert.That(_site.FromDevice(PlugMac, PlugIp), Is.EqualTo(Verdict.Forward));

        Assert.That(Registry.Remove("plug1", "bob").Succeeded, Is.True);

        Assert.That(_site.FromDevice(PlugMac, PlugIp), Is.EqualTo(Verdict.Drop));
        Assert.That(_site.Appliance.Engine.Counters.UnknownDevice, Is.EqualTo(1));
        Assert.That(_site.Appliance.Control.Devices.ContainsKey("plug1"), Is.False);
        Assert.That(_site.Appliance.Engine.Devices.OwnerOf(IpOf(PlugIp)), Is.Null);
        Assert.That(_site.Appliance.Store!.Store.Count("runtime_devices"), Is.Zero);
        Assert.That(Registry.Add(Plug(name: "plug2"), "bob").Succeeded, Is.True, "its MAC and address are free again");
    }

    [Test]
    public void An_edit_keeps_the_security_state_when_the_type_stays_and_restarts_it_when_the_type_changes()
    {
        Registry.Add(Plug(), "alice");
        _site.Appliance.Alerts.Raise(new Alert(AlertTypes.PortScan, "plug1", AlertSource.Umbox, 1_000_000, "scan"));
        _site.Appliance.EndFrame();
        Assert.That(_site.Appliance.Control.Devices["plug1"].State, Is.EqualTo("Suspicious"));

        var moved = Registry.Update("plug1", Plug(ip: "192.0.2.73") with { Description = "moved" }, "alice");

        Assert.That(moved.Succeeded, Is.True, string.Join("\n", moved.Errors));
        var slot = _site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!;
        Assert.That((KalkiEdge.Appliance.EdgeAppliance.StateOf(slot), slot.Chain!.Definition.Image), Is.EqualTo(("Suspicious", "generic-strict")));
        Assert.That(_site.Appliance.Engine.Devices.OwnerOf(IpOf(PlugIp)), Is.Null, "the old address is released");
        Assert.That(_site.Appliance.Engine.Devices.OwnerOf(IpOf("192.0.2.73")), Is.SameAs(slot));

        Assert.That(Registry.Update("plug1", Plug(type: "dlink-camera"), "alice").Succeeded, Is.True);
        Assert.That(_site.Appliance.Control.Devices["plug1"].State, Is.EqualTo("Normal"));
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!.Chain!.Definition.Image, Is.EqualTo("camera-normal"));
    }

    [Test]
    public void A_renamed_device_keeps_its_MAC_and_nothing_is_left_under_the_old_name()
    {
        Registry.Add(Plug(), "alice");
        Assert.That(Registry.Update("plug1", Plug(name: "plug-hall"), "alice").Succeeded, Is.True);
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!.Name, Is.EqualTo("plug-hall"));
        Assert.That(_site.Appliance.Control.Devices.Keys, Does.Not.Contain("plug1"));
        Assert.That(_site.Appliance.Store!.Store.Column("SELECT name FROM runtime_devices"), Is.EqualTo(new[] { "plug-hall" }));
        Assert.That(Registry.Find("plug1"), Is.Null);
    }

    [Test]
    public void Runtime_devices_their_state_and_their_chain_survive_a_restart_on_the_real_store()
    {
        Registry.Add(Plug() with { Description = "hall plug", CredentialsUser = "admin", CredentialsPassword = "s3cret-pass" }, "alice");
        _site.Appliance.Alerts.Raise(new Alert(AlertTypes.PortScan, "plug1", AlertSource.Umbox, 1_000_000, "scan"));
        _site.Appliance.EndFrame();
        _site.Appliance.Store!.Writer.Flush(TimeSpan.FromSeconds(10));

        _site.Restart();

        var device = _site.Appliance.Registry.Find("plug1")!;
        Assert.That((device.Origin, device.Spec.Description, device.Spec.CredentialsUser), Is.EqualTo((DeviceOrigin.Runtime, "hall plug", "admin")));
        var slot = _site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!;
        Assert.That((KalkiEdge.Appliance.EdgeAppliance.StateOf(slot), slot.Chain!.Definition.Image), Is.EqualTo(("Suspicious", "generic-strict")));
        _site.FromDevice(PlugMac, PlugIp);
        Assert.That(_site.Appliance.Engine.Counters.UnknownDevice, Is.Zero, "attributed to the restored device");
        Assert.That(_site.Appliance.Registry.StartupWarnings, Is.Empty);

        Assert.That(_site.Appliance.Registry.Remove("plug1", "alice").Succeeded, Is.True);
        _site.Restart();
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac)), Is.Null);
    }

    [Test]
    public void When_kalki_yaml_later_names_the_same_device_kalki_yaml_wins_and_the_start_says_so()
    {
        Registry.Add(Plug(), "alice");
        _site.WriteConfig($"  - {{name: plug1, mac: \"{PlugMac}\", ip: {PlugIp}, image: wemo-normal}}\n");

        _site.Restart();

        var device = _site.Appliance.Registry.Find("plug1")!;
        Assert.That((device.Origin, device.Spec.Image), Is.EqualTo((DeviceOrigin.Config, "wemo-normal")));
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!.Chain!.Definition.Image, Is.EqualTo("wemo-normal"));
        Assert.That(_site.Appliance.Registry.StartupWarnings.Single(), Does.Contain("runtime device 'plug1'").And.Contain("kalki.yaml wins"));
    }

    [Test]
    public void Capture_threads_never_see_a_device_without_its_chain_while_it_is_added_edited_and_deleted()
    {
        var mac = RegistrySite.MacOf(PlugMac);
        using var stop = new CancellationTokenSource();
        long seen = 0, chainless = 0;
        var reader = new Thread(() =>
        {
            var frame = new Frame();
            var context = _site.Appliance.CreateContext();
            var bytes = Support.Frames.Udp(PlugIp, 5000, Support.Frames.CloudIp, 53, "q", PlugMac, Support.Frames.GatewayMac);
            while (!stop.IsCancellationRequested)
            {
                if (_site.Appliance.Engine.Devices.ByMac(mac) is { } slot)
                {
                    seen++;
                    if (slot.Chain is null || KalkiEdge.Appliance.EdgeAppliance.StateOf(slot) is null)
                    {
                        chainless++;
                    }
                }

                frame.Load(bytes, 1_000_000, Direction.FromDevice);
                _site.Appliance.Engine.Process(frame, context);
            }
        });
        reader.Start();
        for (int i = 0; i < 100; i++)
        {
            Assert.That(Registry.Add(Plug(), "alice").Succeeded, Is.True);
            Assert.That(Registry.Update("plug1", Plug(ip: i % 2 == 0 ? "192.0.2.74" : PlugIp), "alice").Succeeded, Is.True);
            Assert.That(Registry.Remove("plug1", "alice").Succeeded, Is.True);
        }

        stop.Cancel();
        reader.Join();
        Assert.That(seen, Is.GreaterThan(0), "the reader met the device");
        Assert.That(chainless, Is.Zero);
    }


    private static UInt128 IpOf(string text) => Ip.TryParse(text, out var ip) ? ip : throw new ArgumentException(text);

    private void AssertNothingChanged()
    {
        Assert.That(_site.Appliance.Engine.Devices.Count, Is.EqualTo(1));
        Assert.That(_site.Appliance.Control.Devices.Keys, Is.EqualTo(new[] { "cam1" }));
        Assert.That(_site.Appliance.Store!.Store.Count("runtime_devices") + _site.Appliance.Store.Store.Count("audit_log"), Is.Zero);
        Assert.That(Registry.List().Select(d => d.Spec.Name), Is.EqualTo(new[] { "cam1" }));
    }
}
