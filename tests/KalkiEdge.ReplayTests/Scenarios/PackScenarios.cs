using System.Text;
using KalkiEdge.Appliance.Simulation;
using SimHost = KalkiEdge.Appliance.Simulation.Host;
using static KalkiEdge.TestKit.Micros;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>One device of a scenario and the site-config line that registers it with its pack.</summary>
public sealed record ScenarioDevice(SimHost Host, string Type, bool StaticIp = true)
{
    public string ConfigLine => StaticIp
        ? $"  - {{name: {Host.Name}, mac: \"{Host.Mac}\", ip: {Host.Ip}, type: {Type}}}"
        : $"  - {{name: {Host.Name}, mac: \"{Host.Mac}\", type: {Type}}}";
}

/// <summary>
/// Generated captures of each pack's KalKi attack (and of the same devices' benign traffic), timed so the pack's
/// policy goes Normal → Suspicious → Attack. Reusable by the reaction-time benchmark: <see cref="Attack"/> for any
/// number of devices at distinct addresses, <see cref="SiteConfig"/> for the matching config.
/// </summary>
public static class PackScenarios
{
    public const long Start = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

    public static readonly SimHost Attacker = new("attacker", "02:00:00:00:00:fe", "203.0.113.66");
    public static readonly SimHost Attacker2 = new("attacker2", "02:00:00:00:00:fe", "203.0.113.67");
    public static readonly SimHost Cloud = new("cloud", "02:00:00:00:00:fe", "198.51.100.20");

    public static readonly string[] Types = ["dlink-camera", "philips-hue-bridge", "udoo-neo", "wemo-insight", "generic-iot"];

    /// <summary>The n-th device of a type (n &lt; 200): MAC 02:00:00:TT:NN:NN, IP in 192.0.2.0/24 or 198.51.100.0/24.</summary>
    public static ScenarioDevice Device(string type, int n = 0)
    {
        int t = Array.IndexOf(Types, type) + 1;
        return new ScenarioDevice(new SimHost($"{type}-{n}", $"02:00:00:{t:x2}:{n >> 8:x2}:{n & 0xff:x2}", $"192.0.2.{10 + (n % 200)}"), type);
    }

    public static string SiteConfig(string umboxesDir, IEnumerable<ScenarioDevice> devices) =>
        $"umboxes: {umboxesDir}\nunknown-devices: drop\ndevices:\n" + string.Join("\n", devices.Select(d => d.ConfigLine)) + "\n";

    /// <summary>Adds the device's attack starting at <paramref name="at"/>; returns the time it ends.</summary>
    public static long Attack(Timeline t, ScenarioDevice d, long at) => d.Type switch
    {
        // D-Link: HTTP logins beyond 5 a minute (Normal chain), then beyond 4 in 30 min (strict chain).
        "dlink-camera" => Logins(t, d.Host, Attacker, Logins(t, d.Host, Attacker, at, 6, "admin:guess") + (5 * Second), 5, "root:guess"),
        // Hue: 5 distinct API tokens in 10 s, twice (second round against the restricted chain).
        "philips-hue-bridge" => HueTokens(t, d.Host, Attacker2, HueTokens(t, d.Host, Attacker, at, 5) + (2 * Second), 5),
        // Udoo: 5 SSH SYNs in 10 s, then the board talks to an IRC server outside its egress allow-list.
        "udoo-neo" => Egress(t, d.Host, SshSyns(t, d.Host, at, 5) + (2 * Second)),
        // WeMo: SetBinaryState control requests from the network, three of them.
        "wemo-insight" => WemoControl(t, d.Host, at, 3),
        // Generic: default credentials from one source, then from another.
        "generic-iot" => DefaultLogin(t, d.Host, Attacker2, DefaultLogin(t, d.Host, Attacker, at) + (2 * Second)),
        _ => throw new ArgumentException($"no scenario for {d.Type}", nameof(d)),
    };

    /// <summary>
    /// The scenario of the reaction-time and memory benchmarks: <paramref name="devices"/> generic-iot devices (no static IP: TEST-NET
    /// has too few addresses for 10,000, and network→device frames are attributed by MAC), each sent one login with
    /// default credentials (→ one Normal→Suspicious transition per device), interleaved with
    /// <paramref name="backgroundFrames"/> UDP frames from the network to the devices. Write
    /// <see cref="SiteConfig"/> of the returned devices next to the pcap and replay it; every transition line
    /// carries reactionMicros.
    /// </summary>
    public static (List<ScenarioDevice> Devices, Timeline Timeline) ReactionBench(int devices, int backgroundFrames)
    {
        var list = Enumerable.Range(0, devices).Select(i => Device("generic-iot", i) with { StaticIp = false }).ToList();
        var t = new Timeline();
        var payload = new byte[200];
        long spacing = Second / 10;
        for (int i = 0; i < list.Count; i++)
        {
            DefaultLogin(t, list[i].Host, Attacker, Start + (i * spacing));
        }

        long span = list.Count * spacing;
        for (int i = 0; i < backgroundFrames; i++)
        {
            t.Add(Start + (span * i / Math.Max(1, backgroundFrames)), PacketFactory.Udp(Cloud, list[i % list.Count].Host, 5353, 5353, payload));
        }

        return (list, t);
    }

    /// <summary>Ordinary traffic of the device: it fetches from its cloud, and a user reads its status (no alert).</summary>
    public static long Benign(Timeline t, ScenarioDevice d, long at)
    {
        for (int i = 0; i < 3; i++)
        {
            at = t.TcpSession(at, d.Host, Cloud, (ushort)(40000 + i), 443, Ascii("\x16\x03\x01 client hello"), Ascii("\x16\x03\x03 server hello")) + Second;
            at = t.TcpSession(at, Cloud, d.Host, (ushort)(41000 + i), ServicePort(d.Type),
                Ascii($"GET /status HTTP/1.1\r\nHost: {d.Host.Ip}\r\n\r\n"), Ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) + Second;
        }

        return at;
    }

    /// <summary>Where users reach the device: UPnP for the plug, SSH for the board, HTTP otherwise.</summary>
    private static ushort ServicePort(string type) => type switch { "wemo-insight" => 49153, "udoo-neo" => 22, _ => 80 };

    /// <summary>Password guessing: each attempt tries a new password (resent credentials are not new attempts).</summary>
    private static long Logins(Timeline t, SimHost device, SimHost from, long at, int count, string credentials)
    {
        for (int i = 0; i < count; i++)
        {
            var auth = Convert.ToBase64String(Encoding.ASCII.GetBytes(count == 1 ? credentials : $"{credentials}{i}"));
            at = t.TcpSession(at, from, device, (ushort)(50000 + i + (at / Second % 1000)), 80,
                Ascii($"GET /admin HTTP/1.1\r\nHost: {device.Ip}\r\nAuthorization: Basic {auth}\r\n\r\n"), Ascii("HTTP/1.1 401 Unauthorized\r\n\r\n")) + (2 * Second);
        }

        return at;
    }

    private static long HueTokens(Timeline t, SimHost device, SimHost from, long at, int count)
    {
        for (int i = 0; i < count; i++)
        {
            at = t.TcpSession(at, from, device, (ushort)(51000 + i), 80,
                Ascii($"GET /api/token{i:x8}{from.Ip.GetHashCode():x8}/lights HTTP/1.1\r\nHost: {device.Ip}\r\n\r\n"), Ascii("HTTP/1.1 200 OK\r\n\r\n[{\"error\":{\"type\":1}}]")) + (Second / 2);
        }

        return at;
    }

    private static long SshSyns(Timeline t, SimHost device, long at, int count)
    {
        for (int i = 0; i < count; i++)
        {
            t.Add(at += Second, PacketFactory.Tcp(Attacker, device, (ushort)(52000 + i), 22, syn: true, ack: false, fin: false, 100, 0, []));
        }

        return at;
    }

    private static long Egress(Timeline t, SimHost device, long at)
    {
        var irc = new SimHost("irc", "02:00:00:00:00:fe", "198.51.100.99");
        return t.TcpSession(at, device, irc, 45000, 6667, Ascii("NICK bot\r\n"), Ascii(":irc 001 bot\r\n"));
    }

    private static long WemoControl(Timeline t, SimHost device, long at, int count)
    {
        const string Soap = "<s:Envelope><s:Body><u:SetBinaryState xmlns:u=\"urn:Belkin:service:basicevent:1\"><BinaryState>1</BinaryState></u:SetBinaryState></s:Body></s:Envelope>";
        for (int i = 0; i < count; i++)
        {
            at = t.TcpSession(at, Attacker, device, (ushort)(53000 + i), 49153,
                Ascii($"POST /upnp/control/basicevent1 HTTP/1.1\r\nHost: {device.Ip}:49153\r\nSOAPACTION: \"urn:Belkin:service:basicevent:1#SetBinaryState\"\r\nContent-Length: {Soap.Length}\r\n\r\n{Soap}"),
                Ascii("HTTP/1.1 200 OK\r\n\r\n")) + (2 * Second);
        }

        return at;
    }

    private static long DefaultLogin(Timeline t, SimHost device, SimHost from, long at) => Logins(t, device, from, at, 1, "admin:admin");

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
