using KalkiEdge.ControlPlane.Packs;
using KalkiEdge.Core;
using KalkiEdge.Core.Policy;
using KalkiEdge.UnitTests.Support;
using YamlDotNet.RepresentationModel;

namespace KalkiEdge.UnitTests.Policy;

/// <summary>The packs in umboxes/packs: valid, and each one's policy reaches Attack on its KalKi attack and comes back.</summary>
public class ShippedPackTests
{
    private static readonly string PacksDir = Path.Combine(RepoPaths.Umboxes, "packs");

    /// <summary>An image's chain text read from umboxes/images/NAME.yaml, null when there is none.</summary>
    public static string? ImageChain(string name)
    {
        var file = Path.Combine(RepoPaths.Umboxes, "images", name + ".yaml");
        if (!File.Exists(file))
        {
            return null;
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(file)));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return root.Children.TryGetValue(new YamlScalarNode("chain"), out var chain) ? ((YamlScalarNode)chain).Value : null;
    }

    private static List<DeviceTypePack> LoadAll(DiagnosticBag diagnostics) => PackLoader.LoadDirectory(PacksDir, diagnostics);

    [Test]
    public void Shipped_packs_pass_the_checker()
    {
        var diagnostics = new DiagnosticBag();
        var packs = LoadAll(diagnostics);
        PackChecker.Check(packs, ImageChain, diagnostics);
        Assert.That(diagnostics.Items, Is.Empty, diagnostics.ToString());
        Assert.That(packs.Select(p => p.Name), Is.EquivalentTo(new[] { "dlink-camera", "generic-iot", "philips-hue-bridge", "udoo-neo", "wemo-insight" }));
    }

    // Each pack's KalKi attack as the alerts its chains raise, one per second.
    [TestCase("dlink-camera", "max-login-attempts", "max-login-attempts")]
    [TestCase("philips-hue-bridge", "brute-force", "control-attempt,control-attempt,control-attempt")]
    [TestCase("udoo-neo", "brute-force", "abnormal-egress")]
    [TestCase("wemo-insight", "control-attempt", "control-attempt,control-attempt")]
    [TestCase("generic-iot", "flood", "flood")]
    public void Each_pack_reaches_Attack_and_state_reset_brings_it_back(string type, string toSuspicious, string toAttack)
    {
        var diagnostics = new DiagnosticBag();
        var pack = LoadAll(diagnostics).Single(p => p.Name == type);
        var engine = new PolicyEngine(new FakeEnvironment());
        var device = engine.CreateState("d", new CompiledPolicy(pack));
        long t = 1_700_000_000_000_000;
        PolicyDecision? Send(string alert) => engine.Evaluate(device, new Alert(alert, "d", AlertSource.Umbox, t += 1_000_000, ""));

        Assert.That(Send(toSuspicious)?.To, Is.EqualTo("Suspicious"));
        PolicyDecision? last = null;
        foreach (var alert in toAttack.Split(','))
        {
            Assert.That(last, Is.Null, "Attack only after the whole sequence");
            last = Send(alert);
        }

        Assert.That(last?.To, Is.EqualTo("Attack"));
        Assert.That(Send(AlertTypes.StateReset)?.To, Is.EqualTo("Normal"));
        Assert.That(Send(toSuspicious)?.To, Is.EqualTo("Suspicious"), "after the reset the alerts already acted on do not count again");
    }

    [Test]
    public void Every_pack_reaches_every_state()
    {
        var diagnostics = new DiagnosticBag();
        foreach (var pack in LoadAll(diagnostics))
        {
            var chains = string.Join("\n", pack.Chains.Select(c => ImageChain(c.Image)));
            Assert.That(PackChecker.ReachableStates(pack, chains), Is.EquivalentTo(pack.States), pack.Name);
        }
    }
}
