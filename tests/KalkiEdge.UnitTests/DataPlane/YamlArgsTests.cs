using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>YAML files read straight from parser events: the same trees, positions and errors as a document model.</summary>
public class YamlArgsTests
{
    [Test]
    public void Maps_lists_and_scalars_keep_their_file_positions()
    {
        var root = Parse("""
            umboxes: ./u
            devices:
              - {name: cam, ip: [192.0.2.10, 192.0.2.11]}
            chain: |
              pass
            """);

        Assert.That(root.Kind, Is.EqualTo(ArgKind.Map));
        var devices = root.Entries[1];
        Assert.That((devices.Key.Text, devices.Key.At.Line, devices.Key.At.Column), Is.EqualTo(("devices", 2, 1)));
        var device = devices.Value.Items.Single();
        Assert.That((device.Kind, device.At.Line, device.At.Column), Is.EqualTo((ArgKind.Map, 3, 5)));
        Assert.That(device.Entries[1].Value.Items.Select(i => i.Text), Is.EqualTo(new[] { "192.0.2.10", "192.0.2.11" }));
        var chain = root.Entries[2].Value;
        Assert.That((chain.Text, chain.At.Line), Is.EqualTo(("pass", 5)), "a block scalar starts on the line after its indicator");
    }

    [Test]
    public void Aliases_resolve_to_the_anchored_node()
    {
        var root = Parse("""
            defaults: &d {type: generic-iot}
            other: *d
            """);

        Assert.That(root.Entries[1].Value.Entries.Single().Value.Text, Is.EqualTo("generic-iot"));
    }

    [TestCase("a: 1\nb: 2\na: 3\n", 3, "Duplicate key a")]
    [TestCase("a: *nowhere\n", 1, "nowhere")]
    [TestCase("a: 1\n---\nb: [\n", 4, "invalid YAML")]
    [TestCase("a: 1\nb: !!binary[x]\n", 2, "unreadable YAML")]
    public void Bad_yaml_is_reported_with_its_line(string yaml, int line, string message)
    {
        var diagnostics = new DiagnosticBag();
        Assert.That(YamlArgs.Parse(yaml, "site.yaml", diagnostics), Is.Null);
        var error = diagnostics.Items.Single();
        Assert.That((error.File, error.Line), Is.EqualTo(("site.yaml", line)));
        Assert.That(error.Message, Does.Contain(message));
    }

    [TestCase("")]
    [TestCase("# only a comment\n")]
    [TestCase("just a scalar\n")]
    [TestCase("- a list\n")]
    public void A_file_whose_root_is_not_a_map_is_refused(string yaml)
    {
        var diagnostics = new DiagnosticBag();
        Assert.That(YamlArgs.Parse(yaml, "site.yaml", diagnostics), Is.Null);
        Assert.That(diagnostics.Items.Single().Message, Does.Contain("expected a YAML map at the top level"));
    }

    [Test]
    public void Many_keys_in_one_map_are_still_checked_for_repeats()
    {
        var yaml = string.Concat(Enumerable.Range(0, 40).Select(i => $"k{i}: {i}\n")) + "k7: again\n";
        var diagnostics = new DiagnosticBag();
        Assert.That(YamlArgs.Parse(yaml, "big.yaml", diagnostics), Is.Null);
        Assert.That(diagnostics.Items.Single().Line, Is.EqualTo(41));
    }

    private static ArgNode Parse(string yaml)
    {
        var diagnostics = new DiagnosticBag();
        var root = YamlArgs.Parse(yaml, "site.yaml", diagnostics);
        Assert.That(diagnostics.Items, Is.Empty);
        return root!;
    }
}
