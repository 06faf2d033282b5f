using System.Text;

namespace KalkiEdge.ReplayTests;

/// <summary>
/// Config, pack and rule files written to kill the process: each must be a clear error with file:line:column
/// from the real <c>kalki-edge check</c>, within a 30-second and 256 MiB (managed heap) bound.
/// </summary>
public class HostileConfigTests
{
    private const long HeapLimit = 256L << 20;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(30);

    /// <summary>Nine levels of nine aliases: about 700 bytes that stand for 9^9 (387 million) values.</summary>
    private static string AliasBomb(string key)
    {
        var text = new StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 9; i++)
        {
            text.Append($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");
        }

        return text.Append($"{key}: *l8\n").ToString();
    }

    private static CliResult Check(TempDir dir, string configText)
    {
        var config = dir.File("kalki.yaml");
        File.WriteAllText(config, configText);
        return KalkiEdgeCli.RunBounded(HeapLimit, TimeLimit, "check", "--config", config);
    }

    private static void AssertErrorAt(CliResult r, string file, int line, string message)
    {
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{file}:{line}:").And.Contain(message), r.Stderr);
        Assert.That(r.Stderr, Does.Not.Contain("Unhandled exception").And.Not.Contain("   at "));
    }

    [Test]
    public void The_heap_bound_these_tests_rely_on_is_in_force_in_the_firmware_under_test()
    {
        // A bound the runtime ignored would let every test below pass without bounding anything: 1 MiB cannot
        // even hold the runtime's first heap, so the process must fail to start.
        var r = KalkiEdgeCli.RunBounded(1L << 20, TimeLimit, "version");

        Assert.That(r.ExitCode, Is.Not.Zero, $"{Firmware.Description} started under a 1 MiB heap: the bound is not applied\n{r.Stdout}{r.Stderr}");
    }

    [Test]
    public void An_alias_bomb_in_the_site_config_is_refused_where_it_explodes()
    {
        using var dir = new TempDir();
        var text = AliasBomb("devices");
        Assert.That(text.Length, Is.LessThan(800));
        var r = Check(dir, text);
        AssertErrorAt(r, dir.File("kalki.yaml"), 7, "aliases may not multiply the document");
    }

    [Test]
    public void An_alias_bomb_in_a_pack_is_refused_where_it_explodes()
    {
        using var dir = new TempDir();
        var packs = Directory.CreateDirectory(Path.Combine(dir.Path, "umboxes", "packs")).FullName;
        Directory.CreateDirectory(Path.Combine(dir.Path, "umboxes", "images"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "umboxes", "rules"));
        var pack = Path.Combine(packs, "bomb.yaml");
        File.WriteAllText(pack, "type: bomb\n" + AliasBomb("sensors"));
        var r = Check(dir, "umboxes: umboxes\ndevices: []\n");
        AssertErrorAt(r, pack, 8, "aliases may not multiply the document");
    }

    [TestCase("flow")]
    [TestCase("block")]
    public void A_hundred_thousand_levels_of_yaml_nesting_are_refused(string style)
    {
        using var dir = new TempDir();
        const int Levels = 100_000;
        var text = style == "flow"
            ? "devices: " + new string('[', Levels) + new string(']', Levels) + "\n"
            : "devices:\n" + string.Concat(Enumerable.Repeat("- ", Levels)) + "x\n";
        var r = Check(dir, text);
        AssertErrorAt(r, dir.File("kalki.yaml"), style == "flow" ? 1 : 2, "nesting deeper than 64 levels");
    }

    [Test]
    public void A_hundred_thousand_levels_of_list_nesting_in_a_rule_address_are_refused()
    {
        using var dir = new TempDir();
        var rules = Directory.CreateDirectory(Path.Combine(dir.Path, "umboxes", "rules")).FullName;
        Directory.CreateDirectory(Path.Combine(dir.Path, "umboxes", "images"));
        File.WriteAllText(Path.Combine(rules, "deep.rules"), $"alert tcp {new string('[', 100_000)}192.0.2.1{new string(']', 100_000)} any -> any any (msg:\"deep\"; sid:1;)\n");
        var r = Check(dir, "umboxes: umboxes\ndevices:\n  - name: cam\n    mac: 02:00:00:00:00:10\n    chain: \"ips(rules: deep.rules)\"\n");
        AssertErrorAt(r, "deep.rules", 1, "lists nested deeper than 16 levels");
    }

    [Test]
    public void A_huge_duration_is_an_error_not_an_overflow()
    {
        using var dir = new TempDir();
        var r = Check(dir, "devices:\n  - name: cam\n    mac: 02:00:00:00:00:10\n    chain: \"http-auth-guard(alert-window: 99999999999999h)\"\n");
        AssertErrorAt(r, dir.File("kalki.yaml"), 4, "is too long (at most 36500d)");
    }

    [TestCase("umboxes: \"um\\0boxes\"\ndevices: []\n", 1, "'umboxes' is not a usable path: it contains a NUL character")]
    [TestCase("data-dir: \"da\\0ta\"\ndevices: []\n", 1, "'data-dir' is not a usable path: it contains a NUL character")]
    [TestCase("devices: []\nhypervisor: {key: \"dev.k\\0ey\"}\n", 2, "'key' is not a usable path: it contains a NUL character")]
    [TestCase("devices: []\nhypervisor: {device: \"/dev/uhcall\\0kmod\"}\n", 2, "'device' is not a usable path: it contains a NUL character")]
    [TestCase("devices:\n  - name: cam\n    mac: 02:00:00:00:00:10\n    chain: 'ips(rules: \"camera\\0.rules\")'\n", 4, "file name contains a NUL character")]
    public void A_nul_in_a_path_is_an_error_not_an_exception_or_a_shorter_path(string config, int line, string message)
    {
        using var dir = new TempDir();
        var r = Check(dir, config);
        AssertErrorAt(r, dir.File("kalki.yaml"), line, message);
    }

    [Test]
    public void A_config_larger_than_the_limit_is_refused_without_reading_it_all()
    {
        using var dir = new TempDir();
        var config = dir.File("kalki.yaml");
        using (var f = File.Create(config))
        {
            f.SetLength(40L << 20); // sparse: 40 MiB of NULs on disk costs nothing
        }

        var r = KalkiEdgeCli.RunBounded(HeapLimit, TimeLimit, "check", "--config", config);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain(config).And.Contain("larger than the limit of 32 MiB"));
    }

    /// <summary>A FIFO would wait for a writer without end; a directory is reported by .NET only as "access denied".</summary>
    [Test]
    public void A_config_that_is_a_directory_or_a_fifo_is_refused_at_once()
    {
        using var dir = new TempDir();
        var fifo = dir.File("kalki.yaml");
        BoundedProcess.Output(TimeSpan.FromSeconds(30), "mkfifo", fifo);
        foreach (var (config, reason) in new[] { (fifo, "is not a regular file"), (dir.Path, "is a directory, not a file") })
        {
            var r = KalkiEdgeCli.RunBounded(HeapLimit, TimeLimit, "check", "--config", config);
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr);
            Assert.That(r.Stderr, Does.Contain(config).And.Contain(reason));
        }
    }
}
