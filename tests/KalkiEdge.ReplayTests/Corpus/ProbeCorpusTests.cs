using KalkiEdge.ReplayTests.Scenarios;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// Scans, floods, probe answers and benign life of every shipped pack's device (<see cref="ProbeScenarios"/>),
/// replayed through the real <c>kalki-edge replay --json</c> process.
/// </summary>
public class ProbeCorpusTests
{
    /// <summary>Fast scans: 100 ports at -T4; slow ones: 12 ports at -T1 (15 s apart, about 3 minutes).</summary>
    [Test]
    public void Every_nmap_scan_type_and_timing_moves_every_device_to_Suspicious_as_port_scan(
        [Values] ScanType type, [Values] bool sneaky)
    {
        AssertEveryDeviceSuspiciousOn(CorpusCatalogue.Result(ProbeScenarios.ScanName(type, sneaky)), "port-scan");
    }

    [Test]
    public void A_scan_split_over_three_sources_is_a_port_scan()
    {
        AssertEveryDeviceSuspiciousOn(CorpusCatalogue.Result(ProbeScenarios.SplitScan), "port-scan");
    }

    [Test]
    public void An_hping3_syn_flood_raises_flood_and_moves_every_device_to_Suspicious()
    {
        var r = CorpusCatalogue.Result(ProbeScenarios.SynFlood);
        AssertEveryDeviceSuspiciousOn(r, "flood");
        var camera = PackScenarios.Device("dlink-camera", Array.IndexOf(PackScenarios.Types, "dlink-camera")).Host.Name;
        Assert.That(CorpusReplay.Transitions(r, camera), Is.EqualTo(new[] { "Normal->Suspicious", "Suspicious->Attack" }), "a flood that goes on past the strict chain quarantines the camera");
    }

    [Test]
    public void A_connect_flood_raises_flood_and_moves_every_device_to_Suspicious()
    {
        AssertEveryDeviceSuspiciousOn(CorpusCatalogue.Result(ProbeScenarios.ConnectFlood), "flood");
    }

    /// <summary>
    /// The device's SYN/ACK, RST/ACK, RST, ICMP port unreachable and echo reply are answers, never egress, and
    /// too few probes are not a scan.
    /// </summary>
    [Test]
    public void Answers_to_probes_are_not_egress_and_change_nothing()
    {
        var r = CorpusCatalogue.Result(ProbeScenarios.StrayProbes);
        Assert.That(r.OfKind("alert"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
    }

    /// <summary>A board booting (DHCP, ARP, IGMP, mDNS) and renewing its lease for an hour is no compromise.</summary>
    [Test]
    public void A_boards_boot_and_an_hour_of_lease_renewals_and_mdns_raise_no_alert_and_no_transition()
    {
        var r = CorpusCatalogue.Result(ProbeScenarios.Boot);
        Assert.That(r.OfKind("alert").Select(a => $"{a.GetProperty("device").GetString()}: {a.GetProperty("type").GetString()}"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("summary").Single().GetRawText(), Does.Contain("forwarded"), r.Stdout);
    }

    [Test]
    public void Half_an_hour_of_benign_life_raises_no_alert_and_no_transition()
    {
        var r = CorpusCatalogue.Result(ProbeScenarios.HalfHour);
        Assert.That(r.OfKind("alert"), Is.Empty, r.Stdout);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
    }

    private static void AssertEveryDeviceSuspiciousOn(CliResult r, string alert)
    {
        foreach (var type in PackScenarios.Types)
        {
            var device = PackScenarios.Device(type, Array.IndexOf(PackScenarios.Types, type)).Host.Name;
            var alerts = CorpusReplay.Alerts(r, device);
            var transitions = CorpusReplay.Transitions(r, device);
            Assert.That(alerts, Does.Contain(alert), $"{type}: {r.Stdout}");
            Assert.That(alerts, Does.Not.Contain("abnormal-egress"), $"{type}: answers to probes are not egress");
            Assert.That(transitions, Is.Not.Empty, $"{type}: {r.Stdout}");
            Assert.That(transitions[0], Is.EqualTo("Normal->Suspicious"), type);
            Assert.That(CorpusReplay.Rules(r, device), Does.Not.Contain("compromise"), type);
            if (alert == "port-scan" && type != "generic-iot")
            {
                // Only the generic pack escalates a scan that goes on (abuse-persists); the others stay Suspicious.
                Assert.That(CorpusReplay.Transitions(r, device), Is.EqualTo(new[] { "Normal->Suspicious" }), $"{type}: a scan is not an attack: {r.Stdout}");
            }
        }
    }
}
