using System.Text.Json;
using KalkiEdge.Host;

namespace KalkiEdge.ReplayTests;

/// <summary>The kalki-edge command line itself: help, version, usage errors, check --json, the element reference.</summary>
public class CommandLineTests
{
    private static IEnumerable<string> Commands() => CommandCatalog.All.Select(c => c.Name);

    [TestCaseSource(nameof(Commands))]
    public void Every_command_has_help_listing_its_options(string command)
    {
        foreach (var flag in (string[])["--help", "-h"])
        {
            var r = KalkiEdgeCli.Run(command, flag);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
            Assert.That(r.Stdout, Does.StartWith($"usage: kalki-edge {command}"));
            foreach (var option in CommandCatalog.Find(command)!.Options)
            {
                Assert.That(r.Stdout, Does.Contain(option.Synopsis).And.Contain(option.Help));
            }
        }

        Assert.That(KalkiEdgeCli.Run("help", command).Stdout, Does.StartWith($"usage: kalki-edge {command}"));
    }

    [Test]
    public void Docs_cli_md_describes_every_command_as_it_is_used()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "cli.md"));
        foreach (var command in CommandCatalog.All)
        {
            Assert.That(doc, Does.Contain($"`{command.Usage}`"), $"docs/cli.md does not show the usage of '{command.Name}'");
        }
    }

    [Test]
    public void The_overview_names_every_command_and_the_exit_codes()
    {
        var r = KalkiEdgeCli.Run("--help");
        Assert.That(r.ExitCode, Is.EqualTo(0));
        Assert.That(r.Stdout, Does.Contain("exit codes: 0 ok, 1 invalid input"));
        foreach (var command in CommandCatalog.All)
        {
            Assert.That(r.Stdout, Does.Contain($"  {command.Name,-9} {command.Summary}"));
        }
    }

    [Test]
    public void Version_flags_and_the_version_command_print_the_same_string()
    {
        var version = KalkiEdgeCli.Run("version");
        Assert.That(version.ExitCode, Is.EqualTo(0));
        Assert.That(version.Stdout, Does.Match(@"^kalki-edge \d+\.\d+\.\d+\n$"));
        Assert.That(KalkiEdgeCli.Run("--version").Stdout, Is.EqualTo(version.Stdout));
        Assert.That(KalkiEdgeCli.Run("-V").Stdout, Is.EqualTo(version.Stdout));
    }

    [TestCase(new[] { "chek" }, "unknown command 'chek' (did you mean 'check'?)")]
    [TestCase(new[] { "check", "--jsn" }, "'check' does not take '--jsn' (did you mean '--json'?)")]
    [TestCase(new[] { "run", "--config" }, "--config needs a value")]
    [TestCase(new[] { "replay", "extra" }, "'replay' does not take 'extra'")]
    [TestCase(new[] { "elements", "firewall", "ips" }, "'elements' does not take 'ips'")]
    public void Usage_errors_say_what_is_wrong_and_exit_2(string[] args, string message)
    {
        var r = KalkiEdgeCli.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.StartWith($"kalki-edge: {message}\nusage: kalki-edge"));
    }

    [Test]
    public void Check_json_gives_every_diagnostic_with_its_exact_place_and_suggestion()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, """
            unknown-device: drop
            devices:
              - name: cam
                mac: 02:00:00:00:00:10
                chain: "firewall(defualt: drop) -> blok-all"
            retention: {max-age: 30d}
            """);

        var r = KalkiEdgeCli.Run("check", "--config", config, "--json");

        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Is.Empty, "--json keeps every diagnostic on stdout");
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.That(doc.GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(doc.GetProperty("config").GetString(), Is.EqualTo(config));
        var found = doc.GetProperty("diagnostics").EnumerateArray()
            .Select(d => (
                d.GetProperty("file").GetString(),
                d.GetProperty("line").GetInt32(),
                d.GetProperty("column").GetInt32(),
                d.GetProperty("severity").GetString(),
                d.GetProperty("suggestion").ValueKind == JsonValueKind.Null ? null : d.GetProperty("suggestion").GetString(),
                d.GetProperty("message").GetString()!))
            .ToList();
        Assert.That(found, Has.Count.EqualTo(4), r.Stdout);
        Assert.That(found, Has.Some.EqualTo((config, 1, 1, "error", "unknown-devices", "config: unknown argument 'unknown-device' (did you mean 'unknown-devices'?)")));
        Assert.That(found, Has.Some.EqualTo((config, 5, 22, "error", "default", "firewall: unknown argument 'defualt' (did you mean 'default'?)")));
        var element = found.Single(f => f.Item6.StartsWith("unknown element 'blok-all' (did you mean 'block-all'?)", StringComparison.Ordinal));
        Assert.That((element.Item2, element.Item3, element.Item5), Is.EqualTo((5, 40, "block-all")));
        Assert.That(found.Single(f => f.Item6.Contains("retention", StringComparison.Ordinal)).Item2, Is.EqualTo(6));
    }

    [Test]
    public void Check_json_of_a_valid_config_reports_ok_with_its_totals()
    {
        var r = KalkiEdgeCli.Run("check", "--config", Path.Combine(AppContext.BaseDirectory, "profiles", "simulation.yaml"), "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stdout);
        var doc = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.That(doc.GetProperty("ok").GetBoolean(), Is.True);
        Assert.That(doc.GetProperty("diagnostics").GetArrayLength(), Is.Zero);
        Assert.That(doc.GetProperty("devices").GetInt32(), Is.GreaterThan(0));
    }

    [TestCase("retention", "store retention is fixed")]
    [TestCase("telemetry", "device monitors are configured per device")]
    [TestCase("store", "only setting is 'data-dir'")]
    public void Sections_nothing_reads_are_refused_with_the_reason(string section, string why)
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, $"devices: []\n{section}:\n  enabled: true\n");
        var r = KalkiEdgeCli.Run("check", "--config", config);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain($"{config}:3:3: error: config: '{section}' is not read by this firmware").And.Contain(why));
    }

    [Test]
    public void Elements_lists_every_element_and_describes_one_with_its_arguments_and_example()
    {
        var list = KalkiEdgeCli.Run("elements");
        Assert.That(list.ExitCode, Is.EqualTo(0));
        foreach (var name in (string[])["block-all", "firewall", "rate-limit", "ips", "http-auth-guard", "decoy"])
        {
            Assert.That(list.Stdout, Does.Contain(name + " "));
        }

        var one = KalkiEdgeCli.Run("elements", "rate-limit");
        Assert.That(one.ExitCode, Is.EqualTo(0));
        Assert.That(one.Stdout, Does.StartWith("rate-limit: anti-DoS"));
        Assert.That(one.Stdout, Does.Match(@"\n  max-sources +integer +default 4096; 1\.\.1000000\n"));
        Assert.That(one.Stdout, Does.Contain("example:\n  rate-limit("));

        var unknown = KalkiEdgeCli.Run("elements", "rate-limt");
        Assert.That(unknown.ExitCode, Is.EqualTo(1));
        Assert.That(unknown.Stderr, Does.Contain("unknown element 'rate-limt' (did you mean 'rate-limit'?)"));
    }
}
