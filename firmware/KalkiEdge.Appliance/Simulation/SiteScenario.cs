using System.Text;

namespace KalkiEdge.Appliance.Simulation;

/// <summary>
/// The bundled multi-device scenario: the five KalKi device families talking to their cloud, then each
/// family's KalKi attack from an attacker on the uplink. Addresses are TEST-NET only. The simulation profile
/// (profiles/simulation.yaml) registers the same devices.
/// </summary>
public static class SiteScenario
{
    public static readonly Host Gateway = new("gateway", "02:00:00:00:00:fe", "198.51.100.1");
    public static readonly Host Cloud = new("cloud", "02:00:00:00:00:fe", "198.51.100.20");
    public static readonly Host Attacker = new("attacker", "02:00:00:00:0a:01", "203.0.113.66");
    public static readonly Host Hue = new("hue-bridge", "02:00:00:00:01:01", "192.0.2.11");
    public static readonly Host Wemo = new("wemo-plug", "02:00:00:00:01:02", "192.0.2.12");
    public static readonly Host Camera = new("dlink-camera", "02:00:00:00:01:03", "192.0.2.13");
    public static readonly Host Udoo = new("udoo-board", "02:00:00:00:01:04", "192.0.2.14");
    public static readonly Host Sensor = new("env-sensor", "02:00:00:00:01:05", "192.0.2.15");

    public static IReadOnlyList<Host> Devices { get; } = [Hue, Wemo, Camera, Udoo, Sensor];

    /// <summary>When the scenario starts unless told otherwise: 2026-01-01 00:00 UTC, in microseconds.</summary>
    public const long DefaultStartMicros = 1_767_225_600_000_000;

    /// <summary>Builds the scenario starting at <paramref name="startMicros"/>; about 70 s of traffic.</summary>
    public static Timeline Build(long startMicros = DefaultStartMicros)
    {
        var t = new Timeline();
        long s = 1_000_000;
        for (int i = 0; i < 14; i++)
        {
            Benign(t, startMicros + (i * 5 * s), (ushort)(41000 + i));
        }

        PortScan(t, startMicros + (6 * s), Camera);
        CameraLogins(t, startMicros + (12 * s));
        HueBruteForce(t, startMicros + (22 * s));
        SshBruteForce(t, startMicros + (32 * s));
        UdooCompromise(t, startMicros + (38 * s));
        WemoControl(t, startMicros + (46 * s));
        ArpSpoof(t, startMicros + (56 * s));
        return t;
    }

    /// <summary>Normal traffic: each device reaches its cloud over HTTPS and answers a ping.</summary>
    public static void Benign(Timeline t, long at, ushort port)
    {
        var body = Encoding.ASCII.GetBytes("\x16\x03\x01 simulated TLS record");
        foreach (var (device, i) in Devices.Select((d, i) => (d, i)))
        {
            t.TcpSession(at + (i * 50_000), device, Cloud, port, 443, body, body);
            t.Add(at + (i * 50_000) + 30_000, PacketFactory.IcmpEcho(Cloud, device, (ushort)port));
            t.Add(at + (i * 50_000) + 31_000, PacketFactory.IcmpEcho(device, Cloud, (ushort)port, reply: true));
        }
    }

    public static void PortScan(Timeline t, long at, Host target)
    {
        for (ushort p = 1; p <= 40; p++)
        {
            t.Add(at + (p * 1_000), PacketFactory.Tcp(Attacker, target, 50000, p, syn: true, ack: false, fin: false, 77, 0, []));
        }

        // An XMAS probe as KalKi's Snort μmbox looked for.
        t.Add(at + 50_000, PacketFactory.Tcp(Attacker, target, 50001, 80, syn: false, ack: false, fin: true, 78, 0, [], psh: true, urg: true));
    }

    /// <summary>D-Link camera: repeated HTTP logins, the last ones with the default admin:admin.</summary>
    public static void CameraLogins(Timeline t, long at) => HttpLogins(t, at, Attacker, Camera, "/video.cgi");

    /// <summary>HTTP Basic logins from <paramref name="from"/> to port 80 of <paramref name="target"/>, 0.4 s apart, each answered 401: six guesses, then the default admin:admin twice.</summary>
    public static void HttpLogins(Timeline t, long at, Host from, Host target, string path)
    {
        for (int i = 0; i < 8; i++)
        {
            var creds = Convert.ToBase64String(Encoding.ASCII.GetBytes(i < 6 ? $"admin:guess{i}" : "admin:admin"));
            var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {target.Ip}\r\nAuthorization: Basic {creds}\r\n\r\n");
            t.TcpSession(at + (i * 400_000), from, target, (ushort)(42000 + i), 80, request, Encoding.ASCII.GetBytes("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"));
        }
    }

    /// <summary>Philips Hue: token guessing against the bridge's REST API (KalKi u9).</summary>
    public static void HueBruteForce(Timeline t, long at)
    {
        for (int i = 0; i < 8; i++)
        {
            var request = Encoding.ASCII.GetBytes($"GET /api/guess{i:x8}/lights HTTP/1.1\r\nHost: {Hue.Ip}\r\n\r\n");
            var reply = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[{\"error\":{\"type\":1,\"address\":\"/\",\"description\":\"unauthorized user\"}}]");
            t.TcpSession(at + (i * 300_000), Attacker, Hue, (ushort)(43000 + i), 80, request, reply);
        }
    }

    /// <summary>Udoo Neo: SSH password guessing (KalKi u6: 5 SYNs in 10 s).</summary>
    public static void SshBruteForce(Timeline t, long at)
    {
        for (int i = 0; i < 7; i++)
        {
            t.TcpSession(at + (i * 500_000), Attacker, Udoo, (ushort)(44000 + i), 22, Encoding.ASCII.GetBytes("SSH-2.0-libssh\r\n"), Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.2\r\n"));
        }
    }

    /// <summary>Udoo Neo compromised: it opens connections to the attacker's server (KalKi u6 COMPROMISE).</summary>
    public static void UdooCompromise(Timeline t, long at)
    {
        for (int i = 0; i < 3; i++)
        {
            t.TcpSession(at + (i * 400_000), Udoo, Attacker, (ushort)(45000 + i), 6667, Encoding.ASCII.GetBytes("NICK bot\r\n"), Encoding.ASCII.GetBytes(":irc 001 bot\r\n"));
        }
    }

    /// <summary>
    /// WeMo Insight driving a heater: the attacker switches the plug on with SetBinaryState again and again (KalKi u8
    /// answers control attempts with a decoy). The first gets through while the plug is Normal; the heater warms the
    /// room until the appliance's BME280 there passes the pack's limit.
    /// </summary>
    public static void WemoControl(Timeline t, long at)
    {
        for (int i = 0; i < 4; i++)
        {
            var soap = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:SetBinaryState xmlns:u=\"urn:Belkin:service:basicevent:1\"><BinaryState>1</BinaryState></u:SetBinaryState></s:Body></s:Envelope>";
            var request = Encoding.ASCII.GetBytes($"POST /upnp/control/basicevent1 HTTP/1.1\r\nHost: {Wemo.Ip}:49153\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nSOAPACTION: \"urn:Belkin:service:basicevent:1#SetBinaryState\"\r\nContent-Length: {soap.Length}\r\n\r\n{soap}");
            t.TcpSession(at + (i * 8_000_000), Attacker, Wemo, (ushort)(46000 + i), 49153, request, Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        }
    }

    /// <summary>The attacker claims the camera's IP address in ARP replies toward the sensor.</summary>
    public static void ArpSpoof(Timeline t, long at)
    {
        for (int i = 0; i < 3; i++)
        {
            t.Add(at + (i * 1_000_000), PacketFactory.ArpReply(Camera, Attacker.Mac, Sensor, Attacker.Mac));
        }
    }
}
