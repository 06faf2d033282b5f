using System.Security.Cryptography;
using KalkiEdge.Assurance.Attestation;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Assurance;

public sealed class ImageAttestorTests : AssuranceFixture
{
    private ImageAttestor AttestorFor(params (string Name, int Version, ChainDefinition Chain)[] images) =>
        new(Shim, new ImageManifest(images.Select(i => new ManifestEntry(i.Name, i.Version, ImageMeasurer.Measure(i.Name, i.Version, i.Chain)))));

    [Test]
    public void Listed_image_passes_and_records_its_measurement_for_signing()
    {
        WriteRules("camera.rules", CameraRules);
        var chain = Compile(CameraChain);
        var attestor = AttestorFor(("camera-normal", 1, chain));
        var result = attestor.Attest(Compile(CameraChain));
        Assert.Multiple(() =>
        {
            Assert.That(result.Allowed, Is.True, result.Reason);
            Assert.That(result.Version, Is.EqualTo(1));
            Assert.That(attestor.Attested, Is.EqualTo(1));
        });
    }

    [Test]
    public void One_tampered_byte_of_a_rule_file_is_refused_with_both_hashes()
    {
        WriteRules("camera.rules", CameraRules);
        var attestor = AttestorFor(("camera-normal", 1, Compile(CameraChain)));
        var expected = attestor.Manifest.For("camera-normal")[0].Measurement;

        var bytes = File.ReadAllBytes(Path.Combine(RulesDir, "camera.rules"));
        bytes[CameraRules.IndexOf("probe", StringComparison.Ordinal)] ^= 0x01; // one byte of the rule's msg: still a valid rule
        File.WriteAllBytes(Path.Combine(RulesDir, "camera.rules"), bytes);
        var tampered = Compile(CameraChain);
        var result = attestor.Attest(tampered);

        Assert.Multiple(() =>
        {
            Assert.That(result.Allowed, Is.False);
            Assert.That(result.Image, Is.EqualTo("camera-normal"));
            Assert.That(result.Expected, Is.EqualTo(new[] { expected }));
            Assert.That(result.Measured, Is.EqualTo(ImageMeasurer.Measure("camera-normal", 1, tampered)));
            Assert.That(result.Reason, Does.Contain("camera-normal").And.Contain(expected.ToString()).And.Contain(result.Measured.ToString()));
            Assert.That(attestor.Refused, Is.EqualTo(1));
        });
    }

    [TestCase("firewall(default: allow)  -> ips(rules: camera.rules)")]
    [TestCase("firewall(default: allow) -> ips(rules: camera.rules) -> rate-limit(pps: 1000000)")]
    [TestCase("firewall(default: allow)")]
    public void Tampered_chain_text_is_refused(string tamperedText)
    {
        WriteRules("camera.rules", CameraRules);
        var attestor = AttestorFor(("camera-normal", 1, Compile(CameraChain)));
        var result = attestor.Attest(Compile(tamperedText));
        Assert.That(result.Allowed, Is.False, result.Reason);
    }

    [Test]
    public void Image_not_in_the_manifest_is_refused()
    {
        var attestor = AttestorFor(("camera-normal", 1, Compile("block-all")));
        var result = attestor.Attest(Compile("block-all", image: "hue-normal"));
        Assert.Multiple(() =>
        {
            Assert.That(result.Allowed, Is.False);
            Assert.That(result.Expected, Is.Empty);
            Assert.That(result.Reason, Does.Contain("hue-normal").And.Contain("not listed"));
        });
    }

    [Test]
    public void Version_is_part_of_the_measurement()
    {
        var chain = Compile("block-all");
        var attestor = AttestorFor(("camera-normal", 2, chain));
        Assert.Multiple(() =>
        {
            Assert.That(attestor.Attest(chain, version: 2).Allowed, Is.True);
            Assert.That(attestor.Attest(chain, version: 1).Allowed, Is.False);
            Assert.That(attestor.Attest(chain).Allowed, Is.True, "without a version, any listed version may match");
        });
    }

    [Test]
    public void Every_attestation_is_extended_into_the_image_pcr()
    {
        var good = Compile("block-all");
        var attestor = AttestorFor(("camera-normal", 1, good));
        var bad = Compile("firewall(default: drop)");
        attestor.Attest(good);
        attestor.Attest(bad);

        Span<byte> pcr = stackalloc byte[HypervisorShim.Sha1Size];
        Shim.ReadPcr(ImageAttestor.ImagePcr, pcr);
        var expected = new byte[20];
        foreach (var m in new[] { ImageMeasurer.Measure("camera-normal", 1, good), ImageMeasurer.Measure("camera-normal", 1, bad) })
        {
            var input = new byte[20];
            m.PcrDigest(input);
#pragma warning disable CA5350 // replays the SHA-1 PCR extend rule
            expected = SHA1.HashData([.. expected, .. input]);
#pragma warning restore CA5350
        }

        Assert.That(pcr.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Control_plane_hook_shape_returns_the_reason()
    {
        var attestor = AttestorFor(("camera-normal", 1, Compile("block-all")));
        Assert.Multiple(() =>
        {
            Assert.That(attestor.Attest("camera-normal", Compile("block-all"), out _), Is.True);
            Assert.That(attestor.Attest("camera-normal", Compile("firewall(default: drop)"), out var reason), Is.False);
            Assert.That(reason, Does.Contain("expected"));
        });
    }

    [Test]
    public void Load_attestation_fails_tampered_devices_closed_and_raises_attestation_failure()
    {
        WriteRules("camera.rules", CameraRules);
        var attestor = AttestorFor(("camera-normal", 1, Compile(CameraChain)));
        WriteRules("camera.rules", CameraRules + "# one more line\n");
        var good = new DeviceSlot("hue", 0x020000000002, []);
        good.Swap(Compile("firewall(default: allow)", image: null).Instantiate());
        var tampered = new DeviceSlot("camera", 0x020000000001, []);
        tampered.Swap(Compile(CameraChain).Instantiate());
        var failClosed = Compile("block-all", image: "block-all");
        var sink = new RecordingAlertSink();

        var failures = LoadAttestation.Apply(attestor, [good, tampered], failClosed, sink);

        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Count.EqualTo(1));
            Assert.That(tampered.Chain!.DropsAll, Is.True);
            Assert.That(good.Chain!.DropsAll, Is.False, "site-defined chains are not manifest images");
            Assert.That(sink.OfType(AlertTypes.AttestationFailure).Single().Device, Is.EqualTo("camera"));
            Assert.That(sink.Alerts.Single().Info, Does.Contain(failures[0].Measured.ToString()));
        });
    }

    [Test]
    public void Every_shipped_image_is_listed_in_the_committed_manifest()
    {
        var diagnostics = new DiagnosticBag();
        var compiler = new ChainCompiler(KalkiEdge.Umboxes.UmboxLibrary.CreateRegistry(), new DirectoryResourceLoader(RepoPaths.Rules));
        var catalog = KalkiEdge.Appliance.Images.ImageCatalog.Load(Path.Combine(RepoPaths.Umboxes, "images"), compiler, diagnostics);
        Assert.That(diagnostics.Items, Is.Empty);
        var attestor = new ImageAttestor(Shim, SignedManifest.Load(Path.Combine(RepoPaths.Umboxes, "manifest")));
        var refused = catalog.All.Select(i => attestor.Attest(i.Chain, i.Name, i.Version)).Where(r => !r.Allowed).Select(r => r.Reason).ToList();
        Assert.That(refused, Is.Empty, "an image changed without re-signing the manifest: run `make sign-manifest`");
    }
}
