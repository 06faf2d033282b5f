using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.UnitTests.Support;
using PacketDotNet;

namespace KalkiEdge.UnitTests.Assurance;

/// <summary>Attestation and packet signing wired into replay: config sections, manifest check at start, load attestation, signing stage.</summary>
public sealed class ReplaySigningTests : AssuranceFixture
{
    private string Umboxes => Path.Combine(Dir, "umboxes");

    [SetUp]
    public void CreateUmboxes()
    {
        Directory.CreateDirectory(Path.Combine(Umboxes, "images"));
        Directory.CreateDirectory(Path.Combine(Umboxes, "rules"));
        var manifest = Path.Combine(Umboxes, "manifest");
        Directory.CreateDirectory(manifest);
        foreach (var file in new[] { SignedManifest.ManifestFile, SignedManifest.SignatureFile })
        {
            File.Copy(Path.Combine(RepoPaths.Umboxes, "manifest", file), Path.Combine(manifest, file));
        }
    }

    [TestCase("batched", 1L)]
    [TestCase("per-frame", 3L)]
    [TestCase("epoch", 2L)]
    public void Signed_replay_forwards_every_chain_frame_through_the_stage(string mode, long minSignCalls)
    {
        var (appliance, log) = Build($"signing: {{ mode: {mode} }}", "chain: \"firewall(default: allow)\"");
        var output = new CountingSink();
        using var assurance = ApplianceAssurance.Start(appliance, output, log)!;
        var runner = new ReplayRunner(appliance, new RecordingObserver()) { Output = output, Signing = assurance.Signing };
        var result = runner.Run(new ListSource(DeviceFrames(3)));

        Assert.Multiple(() =>
        {
            Assert.That(output.Frames, Is.EqualTo(3));
            Assert.That(result.Signing!.Released, Is.EqualTo(3));
            Assert.That(result.Signing.SignCalls, Is.GreaterThanOrEqualTo(minSignCalls));
            Assert.That(result.Signing.Dropped, Is.Zero);
            Assert.That(log.ToString(), Does.Contain("emulated, NOT hardware-protected").And.Contain("manifest verified"));
        });
    }

    [Test]
    public void Signing_off_is_announced_loudly()
    {
        var (appliance, log) = Build("", "chain: \"firewall(default: allow)\"");
        using var assurance = ApplianceAssurance.Start(appliance, null, log)!;
        Assert.Multiple(() =>
        {
            Assert.That(assurance.Signing, Is.Null);
            Assert.That(log.ToString(), Does.Contain("WARNING: packet signing is OFF"));
        });
    }

    [Test]
    public void Tampered_manifest_refuses_to_start()
    {
        var path = Path.Combine(Umboxes, "manifest", SignedManifest.ManifestFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"images\"", " \"images\"", StringComparison.Ordinal));
        var (appliance, log) = Build("signing: { mode: batched }", "chain: \"firewall(default: allow)\"");
        Assert.Multiple(() =>
        {
            Assert.That(ApplianceAssurance.Start(appliance, null, log), Is.Null);
            Assert.That(log.ToString(), Does.Contain("does not verify").And.Contain("refusing to start"));
        });
    }

    [Test]
    public void Image_not_in_the_signed_manifest_is_fail_closed_at_load()
    {
        File.WriteAllText(Path.Combine(Umboxes, "images", "camera-unlisted.yaml"), "name: camera-unlisted\nversion: 1\ndescription: test\nchain: |\n  firewall(default: allow)\n");
        var observer = new RecordingObserver();
        var (appliance, log) = Build("signing: { mode: batched }", "image: camera-unlisted", observer);
        using var assurance = ApplianceAssurance.Start(appliance, null, log)!;
        var device = appliance.Engine.Devices.All.Single();
        Assert.Multiple(() =>
        {
            Assert.That(device.Chain!.DropsAll, Is.True);
            var alert = observer.Alerts.Single(a => a.Type == AlertTypes.AttestationFailure);
            Assert.That(alert.Info, Does.Contain("camera-unlisted").And.Contain("not listed"));
        });
    }

    private (EdgeAppliance Appliance, StringWriter Log) Build(string sections, string deviceChain, RecordingObserver? observer = null)
    {
        var configPath = Path.Combine(Dir, "site.yaml");
        File.WriteAllText(configPath, $"""
            umboxes: {Umboxes}
            hypervisor: {"{"} backend: emulated, key: state/hypervisor.key {"}"}
            {sections}
            devices:
              - name: camera
                mac: {Frames.DeviceMac}
                ip: {Frames.DeviceIp}
                {deviceChain}
            """);
        var diagnostics = new DiagnosticBag();
        var config = SiteConfigLoader.Load(configPath, diagnostics);
        var appliance = config is null ? null : EdgeAppliance.Build(config, diagnostics, observer ?? new RecordingObserver());
        Assert.That(appliance, Is.Not.Null, diagnostics.ToString());
        return (appliance!, new StringWriter());
    }

    private static List<byte[]> DeviceFrames(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Frames.Tcp(Frames.DeviceIp, (ushort)(40000 + i), Frames.CloudIp, 443, new TcpFlagsBuilder { Ack = true }, "x", srcMac: Frames.DeviceMac, dstMac: Frames.GatewayMac))];

    private sealed class ListSource(List<byte[]> frames) : IFrameSource
    {
        private int _next;

        public string Name => "list";

        public bool TryRead(Frame frame)
        {
            if (_next >= frames.Count)
            {
                return false;
            }

            frame.Load(frames[_next], 1_700_000_000_000_000 + _next, Direction.FromDevice);
            frame.Number = ++_next;
            return true;
        }

        public void Dispose()
        {
        }
    }
}
