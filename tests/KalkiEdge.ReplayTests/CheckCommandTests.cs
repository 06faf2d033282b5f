namespace KalkiEdge.ReplayTests;

public class CheckCommandTests
{
    [Test]
    public void The_simulation_profile_is_valid()
    {
        var r = KalkiEdgeCli.Run("check", "--config", Path.Combine(AppContext.BaseDirectory, "profiles", "simulation.yaml"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("ok"));
    }

    [Test]
    public void Every_error_is_reported_at_once_with_file_and_line()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, """
            unknown-devices: maybe
            devices:
              - name: cam
                mac: 02:00:00:00:00:10
                chain: pass -> nosuch-element
              - name: cam
                mac: not-a-mac
                ip: 192.0.2.300
                chain: "pass(x: 1)"
              - name: plug
                mac: 02:00:00:00:00:11
            colour: blue
            """);

        var r = KalkiEdgeCli.Run("check", "--config", config);

        Assert.That(r.ExitCode, Is.EqualTo(1));
        var errors = r.Stderr.Split('\n').Where(l => l.Contains(": error: ", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Some.StartsWith($"{config}:1:").And.Contain("unknown-devices"));
        Assert.That(errors, Has.Some.StartsWith($"{config}:5:").And.Contain("unknown element 'nosuch-element'"));
        Assert.That(errors, Has.Some.StartsWith($"{config}:7:").And.Contain("not a unicast MAC"));
        Assert.That(errors, Has.Some.StartsWith($"{config}:8:").And.Contain("192.0.2.300"));
        Assert.That(errors, Has.Some.StartsWith($"{config}:9:").And.Contain("unknown argument 'x'"));
        Assert.That(errors, Has.Some.Contain("'plug': give exactly one of"));
        Assert.That(errors, Has.Some.StartsWith($"{config}:12:").And.Contain("unknown argument 'colour'"));
        Assert.That(errors, Has.Some.Contain("device name 'cam' is used 2 times"));
    }

    [Test]
    public void Unquoted_chain_arguments_get_a_hint()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, "devices:\n  - name: a\n    mac: 02:00:00:00:00:10\n    chain: pass(x: 1)\n");
        var r = KalkiEdgeCli.Run("check", "--config", config);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain(config + ":4:").And.Contain("quote"));
    }

    [Test]
    public void Sections_owned_by_other_modules_are_checked_too()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, "devices: []\ninterfaces: {devices: [], uplink: up0}\nhypervisor: {backend: magic}\nsigning: {mode: sometimes}\nmanagement: {listen: nowhere}\n");
        var r = KalkiEdgeCli.Run("check", "--config", config);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain(config + ":2:").And.Contain("interfaces"));
        Assert.That(r.Stderr, Does.Contain(config + ":3:").And.Contain("'backend' must be one of"));
        Assert.That(r.Stderr, Does.Contain(config + ":4:").And.Contain("'mode' must be one of"));
        Assert.That(r.Stderr, Does.Contain(config + ":5:").And.Contain("'listen' must be ADDRESS:PORT"));
    }

    [Test]
    public void Panel_mistakes_are_reported_at_their_file_line_and_column()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, """
            devices: []
            panel:
              button: {pin: 41, debounse: 30ms}
              display: {bus: 1, size: 16x2}
              pairnig: {window: 60s}
            """);

        var r = KalkiEdgeCli.Run("check", "--config", config);

        Assert.That(r.ExitCode, Is.EqualTo(1));
        var errors = r.Stderr.Split('\n').Where(l => l.Contains(": error: ", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Some.StartsWith($"{config}:3:17: error: panel button: pin 41 is not a GPIO line"), r.Stderr);
        Assert.That(errors, Has.Some.StartsWith($"{config}:3:21: error: panel button: unknown argument 'debounse' (did you mean 'debounce'?)"), r.Stderr);
        Assert.That(errors, Has.Some.StartsWith($"{config}:4:").And.Contain("panel display: missing required argument 'address'"), r.Stderr);
        Assert.That(errors, Has.Some.StartsWith($"{config}:5:3: error: panel: unknown argument 'pairnig' (did you mean 'pairing'?)"), r.Stderr);
    }

    [Test]
    public void The_image_site_config_is_valid()
    {
        var r = KalkiEdgeCli.Run("check", "--config", Path.Combine(RepoPaths.Root, "image-build", "boot", "kalki.yaml"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
    }

    [Test]
    public void Invalid_yaml_is_reported_with_its_line()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, "devices:\n  - name: [unclosed\n");
        var r = KalkiEdgeCli.Run("check", "--config", config);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain(config + ":").And.Contain("invalid YAML"));
    }

    [Test]
    public void Usage_errors_exit_2()
    {
        Assert.That(KalkiEdgeCli.Run("replay").ExitCode, Is.EqualTo(2));
        Assert.That(KalkiEdgeCli.Run("frobnicate").ExitCode, Is.EqualTo(2));
        Assert.That(KalkiEdgeCli.Run("check", "--bogus").ExitCode, Is.EqualTo(2));
    }

    [Test]
    public void Rules_lists_each_ips_rule_with_its_inspection()
    {
        var config = Path.Combine(AppContext.BaseDirectory, "profiles", "simulation.yaml");

        var text = KalkiEdgeCli.Run("check", "--config", config, "--rules");
        var json = KalkiEdgeCli.Run("check", "--config", config, "--rules", "--json");

        Assert.That(text.ExitCode, Is.EqualTo(0), text.Stderr);
        var lines = text.Stdout.Split('\n');
        Assert.That(lines, Has.Some.Match(@"^ips rules: \d+ \(\d+ stream, \d+ packet\)"));

        // A flags rule is inspected per packet; a content rule without flags on the reassembled stream.
        Assert.That(lines, Has.One.Match(@"^  sid 1000001 +packet  .*xmas-scan\.rules:\d+  SCAN XMAS"));
        Assert.That(lines, Has.One.Match(@"^  sid 2000002 +stream  .*camera\.rules:\d+  CAMERA command injection"));

        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        var rules = doc.RootElement.GetProperty("rules").EnumerateArray().ToList();
        Assert.That(rules.Single(r => r.GetProperty("sid").GetInt64() == 1000001).GetProperty("inspection").GetString(), Is.EqualTo("packet"));
        Assert.That(rules.Single(r => r.GetProperty("sid").GetInt64() == 2000002).GetProperty("inspection").GetString(), Is.EqualTo("stream"));
    }

    [Test]
    public void Rules_are_not_listed_for_an_invalid_configuration()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, "devices:\n  - name: a\n    mac: 02:00:00:00:00:10\n    chain: \"ips(rules: nosuch.rules)\"\n");
        var r = KalkiEdgeCli.Run("check", "--config", config, "--rules");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stdout, Does.Not.Contain("ips rules:"));
        Assert.That(r.Stderr, Does.Contain("nosuch.rules"));
    }
}
