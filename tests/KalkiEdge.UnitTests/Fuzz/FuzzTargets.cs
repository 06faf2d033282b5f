using System.Text;
using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.Management;
using KalkiEdge.Management.Api;
using KalkiEdge.Umboxes;
using KalkiEdge.Umboxes.Ips;
using KalkiEdge.UnitTests.Support;
using Microsoft.AspNetCore.Http;

namespace KalkiEdge.UnitTests.Fuzz;

/// <summary>
/// Every parser that reads input from the network, a file or a user, with the seed inputs its fuzzing starts from
/// (the repository's own files where it ships them). Each target runs the real parsing code end to end.
/// </summary>
public static class FuzzTargets
{
    public static IEnumerable<FuzzTarget> All =>
    [
        new("frame-decoder", FrameSeeds, Frame),
        new("pcap-reader", PcapSeeds, Pcap),
        new("site-config", () => Files(Path.Combine(RepoPaths.Root, "firmware", "KalkiEdge.Host", "profiles"), "*.yaml"), SiteConfig),
        new("chain-language", ChainSeeds, Chain),
        new("ips-rules", () => Files(RepoPaths.Rules, "*.rules"), Rules),
        new("packs", () => Files(Path.Combine(RepoPaths.Umboxes, "packs"), "*.yaml"), Pack),
        new("image-manifest", () => Files(Path.Combine(RepoPaths.Umboxes, "manifest"), "*.json"), Manifest),
        new("api-json", JsonSeeds, Json),
        new("pairing-evidence", EvidenceSeeds, Evidence),
        new("mud-file", MudSeeds, Mud),
    ];

    private static readonly KalkiEdge.Panel.Fingerprinting.Fingerprinter Fingerprinter =
        new(KalkiEdge.Panel.Fingerprinting.FamilySignature.Shipped, KalkiEdge.Panel.Fingerprinting.OuiTable.Shipped, "generic-iot", 60);

    /// <summary>A pairing candidate's frame, read for evidence from the device side and judged: what a device on the wire controls.</summary>
    private static void Evidence(byte[] input)
    {
        var evidence = new KalkiEdge.Panel.Fingerprinting.Evidence();
        var frame = new Frame();
        frame.Load(input, 1, Direction.FromDevice);
        KalkiEdge.Panel.Fingerprinting.EvidenceReader.Read(frame, evidence);
        var verdict = Fingerprinter.Decide(frame.HasEthernetHeader ? frame.SrcMac : 0, evidence);
        _ = KalkiEdge.Panel.Pairing.RegistryAdmission.Describe(verdict);
    }

    private static IReadOnlyList<byte[]> EvidenceSeeds()
    {
        var hue = new KalkiEdge.Appliance.Simulation.Host("hue", "00:17:88:5e:6f:70", "192.0.2.21");
        var any = new KalkiEdge.Appliance.Simulation.Host("b", "ff:ff:ff:ff:ff:ff", "255.255.255.255");
        var mdns = new KalkiEdge.Appliance.Simulation.Host("m", "01:00:5e:00:00:fb", "224.0.0.251");
        var traffic = KalkiEdge.Appliance.Simulation.PairingTraffic.UdooNeo with { MudUrl = "https://udoo.example.com/mud/neo" };
        return
        [
            KalkiEdge.Appliance.Simulation.PacketFactory.Udp(hue, any, 68, 67, KalkiEdge.Appliance.Simulation.PairingTraffic.Dhcp(traffic, hue, 1)),
            KalkiEdge.Appliance.Simulation.PacketFactory.Udp(hue, mdns, 5353, 5353, KalkiEdge.Appliance.Simulation.PairingTraffic.MdnsAnnouncement("_hue._tcp", "Philips Hue - 5E6F70")),
            KalkiEdge.Appliance.Simulation.PacketFactory.Udp(hue, any, 1900, 1900, Encoding.ASCII.GetBytes("NOTIFY * HTTP/1.1\r\nNT: urn:Belkin:device:insight:1\r\nSERVER: Unspecified, UPnP/1.0\r\n\r\n")),
            Frames.Tcp(Frames.DeviceIp, 80, Frames.AttackerIp, 40000, TcpFlagsBuilder.PshAck, "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n", "00:17:88:5e:6f:70", Frames.GatewayMac),
        ];
    }

    private static void Mud(byte[] input)
    {
        try
        {
            _ = KalkiEdge.Panel.Mud.MudFile.Parse(input, "fuzz.json");
        }
        catch (KalkiEdge.Panel.Mud.MudException)
        {
            // the refusal: which file, where in it, why
        }
    }

    private static IReadOnlyList<byte[]> MudSeeds() =>
        [.. new[] { KalkiEdge.UnitTests.Panel.MudFileTests.RfcExample, KalkiEdge.UnitTests.Panel.MudFileTests.AddressedExample(), KalkiEdge.UnitTests.Panel.MudAllowListTests.Neo() }.Select(Encoding.UTF8.GetBytes)];

    // One chain of the elements that read packet contents; its per-source tables are bounded, so sharing it
    // across inputs keeps memory flat while state from earlier inputs is exercised too.
    [ThreadStatic]
    private static ChainHarness? _harness;

    private static readonly ChainCompiler Compiler = new(UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(RepoPaths.Rules));

    private static void Frame(byte[] input)
    {
        _harness ??= new ChainHarness(
            "firewall(default: allow, rules: [{action: deny, proto: tcp, lport: 23}]) -> http-auth-guard(ports: [80], defaults: [\"admin:admin\"], max-logins: 3, window: 10min, block: true) -> ips(rules: [iot-common.rules, camera.rules, xmas-scan.rules])");
        var frame = new Frame();
        frame.Load(input, 1, Direction.ToDevice);
        frame.Decode();
        _ = frame.ReadFlow();
        _harness.Run(input, Direction.ToDevice);
        _harness.Run(input, Direction.FromDevice);
    }

    private static IReadOnlyList<byte[]> FrameSeeds() =>
    [
        Frames.Tcp(Frames.AttackerIp, 40000, Frames.DeviceIp, 23, TcpFlagsBuilder.SynOnly),
        Frames.Udp(Frames.AttackerIp, 5353, Frames.DeviceIp, 53, "query"),
        Frames.IcmpEcho(Frames.AttackerIp, Frames.DeviceIp),
        Frames.ArpReply(Frames.DeviceMac, Frames.DeviceIp, Frames.GatewayMac, Frames.AttackerIp),
        Frames.HttpRequest(Frames.AttackerIp, Frames.DeviceIp, 80, "GET", "/", "Authorization: Basic YWRtaW46YWRtaW4=\r\n"),
        Umboxes.AppTestSupport.HttpV6("2001:db8::66", 80, Umboxes.AppTestSupport.Request("GET", "/", Umboxes.AppTestSupport.Basic("admin:admin"))),
    ];

    private static void Pcap(byte[] input)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kalki-fuzz-{Environment.CurrentManagedThreadId}.pcap");
        File.WriteAllBytes(path, input);
        try
        {
            using var source = new PcapFileSource(path);
            var frame = new Frame();
            for (int i = 0; i < 100_000 && source.TryRead(frame); i++)
            {
                frame.Decode();
            }
        }
        catch (FrameSourceException)
        {
            // the reader's refusal: what, where, why
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IReadOnlyList<byte[]> PcapSeeds()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kalki-fuzz-seed-{Environment.ProcessId}.pcap");
        using (var sink = new PcapFileSink(path))
        {
            var frame = new Frame();
            foreach (var (bytes, i) in FrameSeeds().Select((b, i) => (b, i)))
            {
                frame.Load(bytes, 1_700_000_000_000_000 + i, Direction.FromDevice);
                sink.Send(frame);
            }
        }

        var seed = File.ReadAllBytes(path);
        File.Delete(path);
        return [seed];
    }

    private static void SiteConfig(byte[] input)
    {
        var diagnostics = new DiagnosticBag();
        var path = Path.Combine(Path.GetTempPath(), "kalki-fuzz", "kalki.yaml");
        if (YamlArgs.Parse(Text(input), path, diagnostics) is { } root)
        {
            SiteConfigLoader.FromNode(root, path, diagnostics);
        }
    }

    private static void Chain(byte[] input) => Compiler.Compile(Text(input), new SourceSpan("fuzz", 1, 1), new DiagnosticBag());

    private static IReadOnlyList<byte[]> ChainSeeds() =>
    [
        .. Directory.GetFiles(Path.Combine(RepoPaths.Umboxes, "images"), "*.yaml")
            .Select(f => File.ReadAllText(f))
            .Select(text => text[(text.IndexOf("chain:", StringComparison.Ordinal) + 6)..].Trim(' ', '|', '\n'))
            .Select(Encoding.UTF8.GetBytes),
    ];

    private static void Rules(byte[] input) => new RuleParser(new RuleVariables()).ParseFile("fuzz.rules", Text(input), new DiagnosticBag());

    private static void Pack(byte[] input) => PackLoader.Load("fuzz.yaml", Text(input), new DiagnosticBag());

    private static void Manifest(byte[] input)
    {
        try
        {
            ImageManifest.Parse(input, "fuzz.json");
        }
        catch (ManifestException)
        {
            // the manifest's refusal, naming the first problem
        }
    }

    private static void Json(byte[] input)
    {
        // The dashboard API's body reader, as every endpoint uses it, and the control socket's reset body.
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(input);
        ApiJson.ReadAsync(context, ApiJsonContext.Default.DeviceRequest).GetAwaiter().GetResult();
        try
        {
            JsonSerializer.Deserialize(input, OperatorJsonContext.Default.ResetRequest);
        }
        catch (JsonException)
        {
            // answered as 400 by the control socket
        }
    }

    private static IReadOnlyList<byte[]> JsonSeeds() =>
    [
        .. new[]
        {
            """{"name":"cam","type":"dlink-camera","mac":"02:00:00:00:00:01","ips":["192.0.2.10"],"description":"hall","group":"a"}""",
            """{"name":"plug","chain":"pass","mac":"02:00:00:00:00:02","ips":[],"credentials":{"username":"admin","password":"x"}}""",
            """{"reason":"camera firmware patched"}""",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    private static IReadOnlyList<byte[]> Files(string directory, string pattern) =>
        [.. Directory.GetFiles(directory, pattern).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
}
