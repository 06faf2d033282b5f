using KalkiEdge.Bench;

namespace KalkiEdge.Bench.Tests;

public sealed class PrerequisiteTests
{
    [Test]
    public void A_missing_shim_is_one_line_that_says_to_build_it()
    {
        var shim = Prerequisite.ShimFrom(() => "The KalkiEdge hypervisor shim (libkalkishim.so) could not be loaded.");

        Assert.That(shim.Missing(), Is.EqualTo("the hypervisor shim (libkalkishim.so): not built: run `make shim` (`make bench` builds it)"));
    }

    [Test]
    public void A_shim_that_loads_is_met()
    {
        Assert.That(Prerequisite.ShimFrom(() => null).Missing(), Is.Null);
    }

    [Test]
    public void An_ordinary_user_lacks_root_and_is_told_to_run_as_root()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Prerequisite.RootFrom(() => 1000).Missing(), Does.StartWith("root: ").And.Contain("sudo make bench"));
            Assert.That(Prerequisite.RootFrom(() => 0).Missing(), Is.Null);
        });
    }

    [Test]
    public void A_command_not_on_the_path_names_the_package_that_has_it()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Prerequisite.Command("kalki-no-such-command", "kalki-pkg").Missing(), Is.EqualTo("`kalki-no-such-command`: not on PATH: `sudo apt-get install kalki-pkg`"));
            Assert.That(Prerequisite.Command("sh", "dash").Missing(), Is.Null);
        });
    }

    [Test]
    public void The_skip_line_names_the_suite_and_every_missing_prerequisite()
    {
        var line = Prerequisite.SkipLine("live", [Prerequisite.RootFrom(() => 1000), Prerequisite.Command("sh", "dash"), Prerequisite.ShimFrom(() => "absent")]);

        Assert.That(line, Is.EqualTo("skipped live: needs root: the suite builds network namespaces and captures packets: run `sudo make bench`; " +
            "the hypervisor shim (libkalkishim.so): not built: run `make shim` (`make bench` builds it)"));
    }

    [Test]
    public void Nothing_is_skipped_when_every_prerequisite_is_met()
    {
        Assert.That(Prerequisite.SkipLine("signing", [Prerequisite.ShimFrom(() => null), Prerequisite.RootFrom(() => 0)]), Is.Null);
    }

    [TestCase("signing", "the hypervisor shim (libkalkishim.so)")]
    [TestCase("live", "the hypervisor shim (libkalkishim.so)")]
    [TestCase("live", "root")]
    [TestCase("live", "`ip`")]
    [TestCase("ips-stream", "suricata 7")]
    public void Suites_that_load_the_shim_or_build_namespaces_declare_it(string suite, string prerequisite)
    {
        var declared = BenchSuites.All.Single(s => s.Name == suite).Requires.Select(p => p.What);

        Assert.That(declared, Does.Contain(prerequisite));
    }
}
