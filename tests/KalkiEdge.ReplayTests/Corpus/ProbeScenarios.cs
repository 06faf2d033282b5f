using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Scenarios;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// The probe corpus's scenarios (<see cref="ProbeCorpus"/>): all five device types share one capture per
/// scenario, each at its own address, scanned, flooded or probed by the same tools.
/// </summary>
internal static class ProbeScenarios
{
    public const string SplitScan = "nmap -sS split over three sources";
    public const string SynFlood = "hping3 -S --flood";
    public const string ConnectFlood = "connect flood";
    public const string StrayProbes = "stray probes and their answers";
    public const string Boot = "boot and an hour of lease renewals";
    public const string HalfHour = "half an hour of polls, DNS, NTP";

    public static readonly SimHost[] Scanners =
    [
        new("scanner-1", "02:00:00:00:00:fe", "203.0.113.71"),
        new("scanner-2", "02:00:00:00:00:fe", "203.0.113.72"),
        new("scanner-3", "02:00:00:00:00:fe", "203.0.113.73"),
    ];

    private static readonly SimHost Dns = new("dns", "02:00:00:00:00:fe", "198.51.100.53");
    private static readonly SimHost Ntp = new("ntp", "02:00:00:00:00:fe", "198.51.100.123");
    private static readonly SimHost Cloud = new("cloud", "02:00:00:00:00:fe", "198.51.100.20");
    private static readonly SimHost User = new("user", "02:00:00:00:00:fe", "198.51.100.30");
    private static readonly SimHost DhcpServer = new("dhcp", "02:00:00:00:00:fe", "192.0.2.1");

    /// <summary>One device of every shipped pack's type, each at its own address.</summary>
    public static IReadOnlyList<ScenarioDevice> Devices { get; } = [.. PackScenarios.Types.Select((t, i) => PackScenarios.Device(t, i))];

    public static IEnumerable<CorpusScenario> All =>
    [
        .. from type in Enum.GetValues<ScanType>()
           from sneaky in new[] { false, true }
           select Of(ScanName(type, sneaky), sneaky ? "nmap, 12 ports 15 s apart" : "nmap, 100 ports 1 ms apart", (corpus, _, at) => sneaky
               ? corpus.Scan(type, [Scanners[0]], 12, at, ProbeCorpus.T1Spacing)
               : corpus.Scan(type, [Scanners[0]], 100, at, ProbeCorpus.T4Spacing)),

        // 5 ports from each source: below the per-source threshold, the device still sees 15 ports probed.
        Of(SplitScan, "nmap -sS, 15 ports from 3 sources", (corpus, _, at) => corpus.Scan(ScanType.Syn, Scanners, 15, at, 2 * ProbeCorpus.Second)),
        Of(SynFlood, "hping3 -S --flood, 2,000 SYNs", (corpus, _, at) => corpus.SynFlood(Scanners[0], 80, 2000, at)),
        Of(ConnectFlood, "30 complete handshakes 10 ms apart", (corpus, d, at) => corpus.ConnectFlood(Scanners[0], ServicePort(d.Type), 30, at)),
        Of(StrayProbes, "TCP/UDP/ICMP (RFC 793, 792)", (corpus, d, at) =>
        {
            // A few stray probes from three sources (SYN to the open service and to a closed port, a UDP datagram
            // to a closed port, an ACK, a ping): the answers are never egress, and too few probes are not a scan.
            foreach (var s in Scanners)
            {
                corpus.Probe(ScanType.Syn, s, 41000, ServicePort(d.Type), at);
                corpus.Probe(ScanType.Syn, s, 41001, 8081, at += ProbeCorpus.Second);
                corpus.Probe(ScanType.Udp, s, 41002, 161, at += ProbeCorpus.Second);
                corpus.Probe(ScanType.Ack, s, 41003, 8082, at += ProbeCorpus.Second);
                corpus.Timeline.Add(at += ProbeCorpus.Second, PacketFactory.IcmpEcho(s, d.Host, 1));
                corpus.Timeline.Add(at + 300, PacketFactory.IcmpEcho(d.Host, s, 1, reply: true));
                at += 20 * ProbeCorpus.Second;
            }

            return at;
        }),
        Of(Boot, "DHCP, ARP (RFC 5227), IGMPv3, mDNS", (corpus, d, at) => corpus.Boot(DhcpServer, d.Host.Name, 60, 30, at)),
        Of(HalfHour, "DNS, NTP, HTTPS, HTTP", (corpus, d, at) => corpus.Benign(Dns, Ntp, Cloud, User, ServicePort(d.Type), 30, at)),
    ];

    public static string ScanName(ScanType type, bool sneaky) => $"nmap {Flag(type)} {(sneaky ? "-T1" : "-T4")}";

    public static ushort ServicePort(string type) => type switch { "wemo-insight" => 49153, "udoo-neo" => 22, _ => 80 };

    public static HashSet<ushort> OpenPorts(string type) => type switch
    {
        "dlink-camera" => [80, 554],
        "philips-hue-bridge" => [80, 443],
        "udoo-neo" => [22],
        "wemo-insight" => [49153],
        _ => [80],
    };

    private static string Flag(ScanType type) => type switch
    {
        ScanType.Syn => "-sS",
        ScanType.Fin => "-sF",
        ScanType.Xmas => "-sX",
        ScanType.Null => "-sN",
        ScanType.Ack => "-sA",
        _ => "-sU",
    };

    private static CorpusScenario Of(string name, string writtenFrom, Func<ProbeCorpus, ScenarioDevice, long, long> scenario) =>
        new(name, writtenFrom, Devices, site =>
        {
            var devices = Devices.ToList();
            var timeline = new Timeline();
            foreach (var d in devices)
            {
                scenario(new ProbeCorpus(timeline, d.Host, OpenPorts(d.Type), seed: 100 + devices.IndexOf(d)), d, PackScenarios.Start);
            }

            return CorpusReplay.Run(devices, timeline, site: site);
        });
}
