using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel;
using KalkiEdge.Panel.Pairing;
using ApplianceHost = KalkiEdge.Appliance.EdgeAppliance;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.UnitTests.Panel;

/// <summary>
/// Pairing end to end in process: generated first minutes of each family on a network (PacketDotNet frames) through
/// the real appliance (engine, control plane, packs, chains), a pairing window opened as replay opens it.
/// </summary>
public class PairingTests
{
    private const long Start = 1_767_225_600_000_000;
    private const long Second = 1_000_000;

    private static readonly SimHost HueHost = new("hue", "00:17:88:5e:6f:70", "192.0.2.21");
    private static readonly SimHost WemoHost = new("wemo", "ec:1a:59:ee:48:e3", "192.0.2.22");
    private static readonly SimHost CameraHost = new("camera", "b0:c5:54:12:34:56", "192.0.2.23");
    private static readonly SimHost UdooHost = new("udoo", "00:c0:08:9a:bc:de", "192.0.2.24");
    private static readonly SimHost EspHost = new("esp", "02:3c:71:bf:00:01", "192.0.2.25");

    private readonly List<AdmissionResult> _paired = [];
    private readonly List<Alert> _alerts = [];
    private readonly List<TransitionEvent> _transitions = [];

    [SetUp]
    public void SetUp()
    {
        _paired.Clear();
        _alerts.Clear();
        _transitions.Clear();
    }

    public static IEnumerable<TestCaseData> Families()
    {
        yield return new TestCaseData(PairingTraffic.Hue, HueHost).SetName("Pairing_recognises_a_Philips_Hue_bridge");
        yield return new TestCaseData(PairingTraffic.Wemo, WemoHost).SetName("Pairing_recognises_a_WeMo_Insight_plug");
        yield return new TestCaseData(PairingTraffic.DlinkCamera, CameraHost).SetName("Pairing_recognises_a_DLink_camera");
        yield return new TestCaseData(PairingTraffic.UdooNeo, UdooHost).SetName("Pairing_recognises_an_Udoo_Neo");
    }

    [TestCaseSource(nameof(Families))]
    public void Each_family_is_admitted_with_its_pack_and_its_chain_is_in_force_from_the_next_frame(FamilyIntroduction family, SimHost host)
    {
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, family, host, Start + (2 * Second));
        using var appliance = Replay(timeline, windowAt: 0);

        var result = _paired.Single();
        Assert.Multiple(() =>
        {
            Assert.That(result.Admitted, Is.True, result.Detail);
            Assert.That(result.Verdict.Pack, Is.EqualTo(family.Family));
            Assert.That(result.Verdict.NeedsReview, Is.False);
            Assert.That(result.Verdict.Confidence, Is.GreaterThanOrEqualTo(60).And.LessThan(100));
        });
        var slot = appliance.Engine.Devices.ByMac(MacOf(host.Mac))!;
        Assert.That(slot.Name, Is.EqualTo(result.Verdict.DeviceName));
        // Admitted in its pack's initial state: any later change starts from there (a Udoo's DHCP renewal and mDNS
        // are outside udoo-normal's egress allow-list, so it moves on to Attack within the same capture).
        Assert.That(_transitions.Where(t => t.Device == slot.Name).Select(t => t.From).FirstOrDefault() ?? ApplianceHost.StateOf(slot), Is.EqualTo("Normal"));
        Assert.That(slot.Chain, Is.Not.Null);
        Assert.That(slot.Counters.FromDeviceFrames, Is.GreaterThan(0), "frames after the admission ran through the pack's chain");
        Assert.That(_alerts.Where(a => a.Type == AlertTypes.UnknownDevice), Is.Empty, "a candidate is not an unknown device");
    }

    [Test]
    public void A_device_of_no_known_family_gets_the_generic_pack_and_needs_review()
    {
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, PairingTraffic.Unknown, EspHost, Start + Second);
        using var appliance = Replay(timeline, windowAt: 0);

        var result = _paired.Single();
        Assert.That((result.Admitted, result.Verdict.Pack, result.Verdict.NeedsReview), Is.EqualTo((true, "generic-iot", true)));
        Assert.That(result.Verdict.Evidence, Does.Contain("dhcp host-name 'esp_3c71bf'"));
        Assert.That(ApplianceHost.StateOf(appliance.Engine.Devices.ByMac(MacOf(EspHost.Mac))!), Is.EqualTo("Normal"));
    }

    [Test]
    public void A_paired_device_is_a_runtime_device_of_the_registry_and_survives_a_restart()
    {
        var data = Directory.CreateTempSubdirectory("kalki-pairing-").FullName;
        try
        {
            var timeline = new Timeline();
            PairingTraffic.Introduce(timeline, PairingTraffic.Unknown, EspHost, Start + Second);
            string name;
            using (var appliance = Replay(timeline, windowAt: 0, dataDir: data))
            {
                name = _paired.Single().Verdict.DeviceName;
                var registered = appliance.Registry.Find(name)!;
                Assert.That(registered.Origin, Is.EqualTo(KalkiEdge.ControlPlane.Registry.DeviceOrigin.Runtime));
                Assert.That(registered.Spec.Description, Does.Contain("generic-iot (0% confidence); NEEDS REVIEW; evidence: dhcp host-name 'esp_3c71bf'"));
                Assert.That(appliance.Store!.Writer.Flush(TimeSpan.FromSeconds(20)), Is.True, "the commit follows the admission on the store's writer");
                Assert.That(appliance.Store!.Store.Column("SELECT actor || ' ' || action FROM audit_log WHERE action = 'device-add'"), Is.EqualTo(new[] { "panel device-add" }));
            }

            var diagnostics = new DiagnosticBag();
            using var restarted = ApplianceHost.Build(new SiteConfig { File = "site.yaml", UmboxesDir = SiteConfigLoader.DefaultUmboxesDir(), DataDir = data }, diagnostics, new Recorder(_alerts, _transitions), persist: true)!;
            Assert.That(restarted.Engine.Devices.ByMac(MacOf(EspHost.Mac))?.Name, Is.EqualTo(name));
            Assert.That(ApplianceHost.StateOf(restarted.Engine.Devices.ByName(name)!), Is.EqualTo("Normal"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [Test]
    public void A_device_appearing_after_the_window_closed_is_never_admitted_and_alerts_once()
    {
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, PairingTraffic.Hue, HueHost, Start);
        PairingTraffic.Introduce(timeline, PairingTraffic.Wemo, WemoHost, Start + (200 * Second));
        using var appliance = Replay(timeline, windowAt: 0, windowLength: TimeSpan.FromSeconds(120));

        Assert.That(_paired.Select(p => p.Verdict.Pack), Is.EqualTo(new[] { "philips-hue-bridge" }));
        Assert.That(appliance.Engine.Devices.ByMac(MacOf(WemoHost.Mac)), Is.Null);
        Assert.That(_alerts.Where(a => a.Type == AlertTypes.UnknownDevice).Select(a => a.Info), Is.EqualTo(new[] { $"frame from unregistered MAC {WemoHost.Mac}" }));
    }

    [Test]
    public void A_mac_already_seen_before_the_window_opened_is_not_a_candidate()
    {
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, PairingTraffic.Hue, HueHost, Start, minutes: 3);
        using var appliance = Replay(timeline, windowAt: 10);

        Assert.That(_paired, Is.Empty);
        Assert.That(appliance.Engine.Devices.Count, Is.Zero);
    }

    [Test]
    public void A_mac_flood_during_a_window_admits_at_most_the_configured_number_and_raises_one_pairing_limit_alert()
    {
        var timeline = new Timeline();
        for (var i = 0; i < 200; i++)
        {
            var host = new SimHost($"flood{i}", $"02:66:00:00:{i >> 8:x2}:{i & 0xff:x2}", $"198.51.100.{1 + (i % 250)}");
            timeline.Add(Start + Second + i, PacketFactory.ArpRequest(host, "198.51.100.254"));
        }

        timeline.Add(Start + (60 * Second), PacketFactory.ArpRequest(PairingTraffic.Gateway, "192.0.2.99"));
        using var appliance = Replay(timeline, windowAt: 0, maxCandidates: 8);

        Assert.That(_paired, Has.Count.EqualTo(8));
        Assert.That(_paired.All(p => p.Admitted && p.Verdict.NeedsReview), Is.True);
        Assert.That(appliance.Engine.Devices.Count, Is.EqualTo(8));
        Assert.That(_alerts.Count(a => a.Type == AlertTypes.PairingLimit), Is.EqualTo(1));
        Assert.That(_alerts.Where(a => a.Type == AlertTypes.UnknownDevice), Is.Not.Empty, "the refused MACs stay unknown devices");
        Assert.That(appliance.Pairing!.Refused, Is.EqualTo(192));
    }

    [Test]
    public void Frames_of_registered_devices_allocate_nothing_with_pairing_on_and_the_window_open()
    {
        var timeline = new Timeline();
        PairingTraffic.Introduce(timeline, PairingTraffic.Hue, HueHost, Start);
        using var appliance = Replay(timeline, windowAt: 0);
        var engine = appliance.Engine;
        var context = appliance.CreateContext();
        var frame = new Frame();
        var bytes = PacketFactory.ArpRequest(HueHost, PairingTraffic.Gateway.Ip);
        var now = Start + (10 * Second);
        for (var i = 0; i < 100; i++)
        {
            frame.Load(bytes, now, Direction.FromDevice);
            engine.Process(frame, context);
            appliance.Pairing!.Settle(now);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            frame.Load(bytes, now, Direction.FromDevice);
            engine.Process(frame, context);
            appliance.Pairing!.Settle(now);
        }

        Assert.That(appliance.Pairing!.Window.IsOpen(now), Is.True);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024));
    }

    private static ulong MacOf(string text) => Mac.TryParse(text, out var mac) ? mac : throw new ArgumentException(text);

    private ApplianceHost Replay(Timeline timeline, double windowAt, TimeSpan? windowLength = null, int maxCandidates = 8, string? dataDir = null)
    {
        var diagnostics = new DiagnosticBag();
        var config = new SiteConfig { File = "site.yaml", UmboxesDir = SiteConfigLoader.DefaultUmboxesDir(), DataDir = dataDir ?? "" };
        var appliance = ApplianceHost.Build(config, diagnostics, new Recorder(_alerts, _transitions), persist: dataDir is not null) ?? throw new InvalidOperationException(diagnostics.ToString());
        var settings = PairingSettings.Default with { MaxCandidates = maxCandidates, Window = windowLength ?? PairingSettings.Default.Window };
        appliance.EnablePairing(settings).Paired += _paired.Add;
        var pairing = new ReplayPairing(TimeSpan.FromSeconds(windowAt), windowLength, new HashSet<ulong> { MacOf(PairingTraffic.Gateway.Mac) });
        using var source = timeline.ToSource("pairing");
        new ReplayRunner(appliance, new Recorder(_alerts, _transitions)) { Pairing = pairing }.Run(source);
        return appliance;
    }

    private sealed class Recorder(List<Alert> alerts, List<TransitionEvent> transitions) : IApplianceObserver
    {
        public void OnAlert(Alert alert) => alerts.Add(alert);

        public void OnTransition(TransitionEvent transition) => transitions.Add(transition);

        public void OnMalformed(long frameNumber, string device, string reason)
        {
        }

        public void OnUmboxLog(string device, string element, long timeMicros, string message)
        {
        }
    }
}
