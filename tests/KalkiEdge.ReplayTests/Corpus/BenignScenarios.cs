using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Scenarios;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// Long benign runs of every family in one capture (<see cref="BenignLife"/>), alone and with a scan during them
/// (from an unknown address, and from the address of the cloud every device talks to).
/// </summary>
internal static class BenignScenarios
{
    public const string Hour = "an hour of every family's benign life";
    public const string ScanDuringLife = "nmap -sS -T4 during benign life";
    public const string ScanFromCloud = "nmap -sS -T4 from the cloud's address";

    /// <summary>The capture of the hour is larger than the attack corpus's (a firmware download, an RTSP stream).</summary>
    private const long HourCaptureBytes = 48 << 20;

    /// <summary>One device of every shipped pack's type, each at its own address.</summary>
    public static IReadOnlyList<ScenarioDevice> Devices { get; } = [.. PackScenarios.Types.Select((t, i) => PackScenarios.Device(t, i))];

    public static IEnumerable<CorpusScenario> All =>
    [
        Of(Hour, "DHCP, ARP, NTP, DNS, TLS, SSDP, mDNS, IGMP, RTSP, SSH, MQTT, HTTP polls", minutes: 60, attacker: null),
        Of(ScanDuringLife, "nmap, 100 ports 1 ms apart, at minute 10", minutes: 15, ProbeScenarios.Scanners[0]),
        Of(ScanFromCloud, "nmap, 100 ports 1 ms apart, at minute 10", minutes: 15, BenignLife.Cloud),
    ];

    private static CorpusScenario Of(string name, string writtenFrom, int minutes, SimHost? attacker) =>
        new(name, writtenFrom, Devices, site =>
        {
            var devices = Devices.ToList();
            var timeline = new Timeline();
            foreach (var d in devices)
            {
                int seed = 300 + devices.IndexOf(d);
                new BenignLife(timeline, d.Host, d.Type, seed).Live(minutes, PackScenarios.Start);
                if (attacker is not null)
                {
                    new ProbeCorpus(timeline, d.Host, ProbeScenarios.OpenPorts(d.Type), seed).Scan(
                        ScanType.Syn, [attacker], 100, PackScenarios.Start + (10 * BenignLife.Minute), ProbeCorpus.T4Spacing);
                }
            }

            return CorpusReplay.Run(devices, timeline, HourCaptureBytes, site);
        });
}
