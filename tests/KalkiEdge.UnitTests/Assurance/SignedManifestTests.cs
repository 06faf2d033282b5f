using System.Security.Cryptography;
using System.Text;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Assurance;

public sealed class SignedManifestTests : AssuranceFixture
{
    private static readonly ImageMeasurement Camera = ImageMeasurer.Measure("camera-normal", 1, "block-all", []);

    private string ManifestPath => Path.Combine(Dir, SignedManifest.ManifestFile);

    private string SignaturePath => Path.Combine(Dir, SignedManifest.SignatureFile);

    [Test]
    public void Signed_manifest_loads_with_its_public_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSigned(key, new ImageManifest([new ManifestEntry("camera-normal", 1, Camera)]));
        using var publicKey = PublicHalf(key);
        var manifest = SignedManifest.Load(ManifestPath, SignaturePath, publicKey);
        Assert.That(manifest.For("camera-normal").Single().Measurement, Is.EqualTo(Camera));
    }

    [Test]
    public void One_changed_byte_in_the_manifest_refuses_to_start()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSigned(key, new ImageManifest([new ManifestEntry("camera-normal", 1, Camera)]));
        var text = File.ReadAllText(ManifestPath);
        var hex = Camera.ToString();
        File.WriteAllText(ManifestPath, text.Replace(hex, (hex[0] == '0' ? "1" : "0") + hex[1..], StringComparison.Ordinal));
        using var publicKey = PublicHalf(key);
        var e = Assert.Throws<ManifestException>(() => SignedManifest.Load(ManifestPath, SignaturePath, publicKey));
        Assert.That(e!.Message, Does.Contain("does not verify").And.Contain("refusing to start").And.Contain("make sign-manifest"));
    }

    [Test]
    public void Manifest_signed_with_another_key_is_refused()
    {
        using var builder = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSigned(attacker, new ImageManifest([new ManifestEntry("camera-normal", 1, Camera)]));
        using var publicKey = PublicHalf(builder);
        Assert.Throws<ManifestException>(() => SignedManifest.Load(ManifestPath, SignaturePath, publicKey));
    }

    [TestCase("not base64 !!")]
    [TestCase("AAAA")]
    [TestCase("")]
    public void Garbage_signature_is_refused_without_crashing(string signature)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteSigned(key, new ImageManifest([]));
        File.WriteAllText(SignaturePath, signature);
        using var publicKey = PublicHalf(key);
        Assert.Throws<ManifestException>(() => SignedManifest.Load(ManifestPath, SignaturePath, publicKey));
    }

    [Test]
    public void Missing_signature_file_is_refused_with_its_path()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllBytes(ManifestPath, new ImageManifest([]).ToJson());
        using var publicKey = PublicHalf(key);
        var e = Assert.Throws<ManifestException>(() => SignedManifest.Load(ManifestPath, SignaturePath, publicKey));
        Assert.That(e!.Message, Does.Contain(SignaturePath));
    }

    [Test]
    public void Malformed_entries_are_refused_even_when_signed()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var json = Encoding.UTF8.GetBytes($"{{\"format\": \"{ImageManifest.Format}\", \"images\": [{{\"name\": \"x\", \"version\": 1, \"measurement\": \"abc\"}}]}}");
        File.WriteAllBytes(ManifestPath, json);
        File.WriteAllText(SignaturePath, Convert.ToBase64String(SignedManifest.Sign(json, key)));
        using var publicKey = PublicHalf(key);
        var e = Assert.Throws<ManifestException>(() => SignedManifest.Load(ManifestPath, SignaturePath, publicKey));
        Assert.That(e!.Message, Does.Contain("images[0]"));
    }

    [Test]
    public void Manifest_json_is_deterministic_and_round_trips()
    {
        var entries = new[] { new ManifestEntry("b", 1, Camera), new ManifestEntry("a", 2, Camera) };
        var json = new ImageManifest(entries).ToJson();
        Assert.Multiple(() =>
        {
            Assert.That(new ImageManifest(entries.Reverse()).ToJson(), Is.EqualTo(json));
            Assert.That(ImageManifest.Parse(json, "test").Entries.Select(e => e.Name), Is.EqualTo(new[] { "a", "b" }));
        });
    }

    [TestCase("""{"format": 1, "images": []}""", "not a KalkiEdge image manifest")]
    [TestCase("""{"format": {}, "images": []}""", "not a KalkiEdge image manifest")]
    [TestCase("[]", "not a KalkiEdge image manifest")]
    [TestCase("""{"format": "kalki-edge-image-manifest/1", "images": {}}""", "missing \"images\" array")]
    [TestCase("""{"format": "kalki-edge-image-manifest/1", "images": [{"name": 7, "version": 1}]}""", "images[0]")]
    public void A_manifest_of_the_wrong_shape_is_refused_with_its_reason(string json, string reason)
    {
        var e = Assert.Throws<ManifestException>(() => ImageManifest.Parse(System.Text.Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.That(e!.Message, Does.StartWith("m.json: ").And.Contain(reason));
    }

    [Test]
    public void Committed_manifest_verifies_with_the_firmware_key()
    {
        // The firmware embeds umboxes/manifest/signing-key.pub.pem; the committed manifest must be signed by its key.
        var manifest = SignedManifest.Load(Path.Combine(RepoPaths.Umboxes, "manifest"));
        Assert.That(manifest.Entries, Is.Not.Null);
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Developer_key_is_created_private_on_first_use_and_reused()
    {
        var path = Path.Combine(Dir, "config", "kalki-edge", "dev-signing-key.pem");
        using var first = DevSigningKey.LoadOrCreate(path, out var created);
        using var second = DevSigningKey.LoadOrCreate(path, out var createdAgain);
        Assert.Multiple(() =>
        {
            Assert.That(created, Is.True);
            Assert.That(createdAgain, Is.False);
            Assert.That(SignedManifest.Fingerprint(second), Is.EqualTo(SignedManifest.Fingerprint(first)));
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        });
    }

    private void WriteSigned(ECDsa key, ImageManifest manifest)
    {
        var json = manifest.ToJson();
        File.WriteAllBytes(ManifestPath, json);
        File.WriteAllText(SignaturePath, Convert.ToBase64String(SignedManifest.Sign(json, key)) + "\n");
    }

    private static ECDsa PublicHalf(ECDsa key) => SignedManifest.ImportPublicKey(key.ExportSubjectPublicKeyInfoPem(), "test");
}
