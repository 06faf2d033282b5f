using KalkiEdge.Appliance.Control;
using KalkiEdge.Assurance.Attestation;
using KalkiEdge.Assurance.Manifest;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.ControlPlane;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.Assurance;

/// <summary>The control plane's deployment hook backed by the manifest: tampering refuses the next deployment.</summary>
public sealed class DeploymentAttestationTests : AssuranceFixture
{
    [Test]
    public void Deployment_after_one_rule_file_byte_changed_in_memory_is_refused_and_fails_closed()
    {
        WriteRules("camera.rules", CameraRules);
        var image = Compile(CameraChain);
        var manifest = new ImageManifest([new ManifestEntry("camera-normal", 1, ImageMeasurer.Measure("camera-normal", 1, image))]);
        var deployer = new ChainDeployer(new FixedImages(image), Compile("block-all", image: "block-all"), new ImageAttestor(Shim, manifest));
        var slot = new DeviceSlot("camera", 0x020000000001, []);

        var first = deployer.Deploy(slot, "camera-normal");
        image.Files[0].Content[10] ^= 0x01; // the loaded rule file's bytes change while the appliance runs
        var second = deployer.Deploy(slot, "camera-normal");

        Assert.Multiple(() =>
        {
            Assert.That(first.FailClosed, Is.False, first.Failure);
            Assert.That(second.FailClosed, Is.True);
            Assert.That(second.AlertType, Is.EqualTo(AlertTypes.AttestationFailure));
            Assert.That(second.Failure, Does.Contain("camera-normal").And.Contain(manifest.Entries[0].Measurement.ToString()));
            Assert.That(slot.Chain!.DropsAll, Is.True);
        });
    }

    private sealed class FixedImages(ChainDefinition image) : IImageSource
    {
        public string? ChainText(string name) => name == image.Image ? image.Text : null;

        public ChainDefinition? Compile(string name, DiagnosticBag diagnostics) => name == image.Image ? image : null;
    }
}
