using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.UnitTests.Assurance;

public sealed class AssuranceConfigTests
{
    [TestCase("signing: { mode: off }", SigningMode.Off)]
    [TestCase("signing: { mode: per-frame }", SigningMode.PerFrame)]
    [TestCase("signing: { mode: batched }", SigningMode.Batched)]
    [TestCase("signing: { mode: epoch }", SigningMode.Epoch)]
    [TestCase("signing: {}", SigningMode.Batched)]
    public void Signing_mode_is_read(string yaml, SigningMode expected) =>
        Assert.That(ReadSigning(yaml).Mode, Is.EqualTo(expected));

    [TestCase("signing: { mode: epoch, mac: gmac }", EpochMac.Gmac)]
    [TestCase("signing: { mode: epoch, mac: chacha20-poly1305 }", EpochMac.ChaCha20Poly1305)]
    public void Epoch_mac_is_read(string yaml, EpochMac expected) =>
        Assert.That(ReadSigning(yaml).Mac, Is.EqualTo(expected));

    [Test]
    public void Epoch_mac_auto_is_gmac_exactly_where_the_cpu_has_aes_instructions()
    {
        var options = ReadSigning("signing: { mode: epoch, mac: auto }");
        var aes = (System.Runtime.Intrinsics.X86.Aes.IsSupported && System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported) || System.Runtime.Intrinsics.Arm.Aes.Arm64.IsSupported;
        Assert.That(options.Mac, Is.EqualTo(aes ? EpochMac.Gmac : EpochMac.ChaCha20Poly1305));
    }

    [TestCase("signing: { mode: epoch }", 2, false)]
    [TestCase("signing: { mode: epoch }", 4, true)]
    [TestCase("signing: { mode: epoch, thread: auto }", 3, false)]
    [TestCase("signing: { mode: epoch, thread: on }", 2, true)]
    [TestCase("signing: { mode: epoch, thread: off }", 8, false)]
    public void The_live_bridge_signs_on_a_thread_of_its_own_only_with_a_core_for_it_unless_told(string yaml, int processors, bool ownThread) =>
        Assert.That(ReadSigning(yaml).SignsOnOwnThread(processors), Is.EqualTo(ownThread));

    [Test]
    public void Absent_signing_section_is_off() =>
        Assert.That(SigningOptions.FromSection(null, new DiagnosticBag()).Mode, Is.EqualTo(SigningMode.Off));

    [TestCase("signing: { mode: sometimes }", "mode")]
    [TestCase("signing: { mode: batched, batch: 51 }", "batch")]
    [TestCase("signing: { mode: batched, colour: red }", "colour")]
    [TestCase("signing: batched", "expected a map")]
    [TestCase("signing: { mode: epoch, mac: poly1305 }", "mac")]
    [TestCase("signing: { mode: epoch, thread: yes }", "thread")]
    public void Bad_signing_settings_are_reported_with_their_line(string yaml, string mention)
    {
        var diagnostics = new DiagnosticBag();
        SigningOptions.FromSection(Section("\n" + yaml, "signing", diagnostics), diagnostics);
        Assert.That(diagnostics.Items, Has.Some.Matches<Diagnostic>(d => d.Message.Contains(mention, StringComparison.Ordinal) && d.Line == 2));
    }

    [Test]
    public void Hypervisor_section_is_read_and_key_is_relative_to_the_config()
    {
        var diagnostics = new DiagnosticBag();
        var section = Section("hypervisor: { backend: emulated, key: state/hv.key, allow-hypercalls: true }", "hypervisor", diagnostics, "/etc/kalki/site.yaml");
        var options = HypervisorSettings.FromSection(section, diagnostics);
        Assert.Multiple(() =>
        {
            Assert.That(diagnostics.Items, Is.Empty);
            Assert.That(options.Backend, Is.EqualTo(HypervisorBackendRequest.Emulated));
            Assert.That(options.KeyPath, Is.EqualTo("/etc/kalki/state/hv.key"));
            Assert.That(options.AllowHypercalls, Is.True);
        });
    }

    [Test]
    public void Hypervisor_defaults_never_issue_hypercalls()
    {
        var options = HypervisorSettings.FromSection(null, new DiagnosticBag());
        Assert.Multiple(() =>
        {
            Assert.That(options.Backend, Is.EqualTo(HypervisorBackendRequest.Auto));
            Assert.That(options.AllowHypercalls, Is.False);
        });
    }

    [Test]
    public void Unknown_backend_is_an_error()
    {
        var diagnostics = new DiagnosticBag();
        HypervisorSettings.FromSection(Section("hypervisor: { backend: xen }", "hypervisor", diagnostics), diagnostics);
        Assert.That(diagnostics.Items, Has.Some.Matches<Diagnostic>(d => d.Message.Contains("backend", StringComparison.Ordinal)));
    }

    /// <summary>The signing section of <paramref name="yaml"/>, which must read without diagnostics.</summary>
    private static SigningOptions ReadSigning(string yaml)
    {
        var diagnostics = new DiagnosticBag();
        var options = SigningOptions.FromSection(Section(yaml, "signing", diagnostics), diagnostics);
        Assert.That(diagnostics.Items, Is.Empty);
        return options;
    }

    private static ArgNode? Section(string yaml, string name, DiagnosticBag diagnostics, string file = "site.yaml")
    {
        var root = YamlArgs.Parse(yaml, file, diagnostics);
        return root?.Entries.FirstOrDefault(e => e.Key.Text == name).Value;
    }
}
