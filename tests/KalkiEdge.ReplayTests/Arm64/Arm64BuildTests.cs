using System.Text.RegularExpressions;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.ReplayTests.Scenarios;

namespace KalkiEdge.ReplayTests.Arm64;

/// <summary>
/// The shipped build is linux-arm64: `make test` publishes it as the image carries it (`make publish`: NativeAOT,
/// cross-compiled on the x86-64 machine; PUBLISH_FORM=jit the trimmed single file) and runs it under Debian's
/// qemu-aarch64-static with an arm64 sysroot (tools/arm64-sysroot.sh) on generated captures; its output must be the
/// x86-64 build's, byte for byte, except for the measured compute times. Cost under emulation: seconds per replay
/// for NativeAOT, 15–60 s for the JIT form on an idle machine (minutes on a loaded one); each bounded at 10 min.
/// </summary>
[NonParallelizable]
public sealed partial class Arm64BuildTests
{
    private static readonly TimeSpan EmulatedLimit = TimeSpan.FromMinutes(10);

    private string _firmware = "";
    private string _sysroot = "";
    private string _qemu = "";

    [OneTimeSetUp]
    public void FindTheArm64Build()
    {
        var firmware = Environment.GetEnvironmentVariable("KALKI_ARM64_FIRMWARE");
        var sysroot = Environment.GetEnvironmentVariable("KALKI_ARM64_SYSROOT");
        if (string.IsNullOrEmpty(firmware) || string.IsNullOrEmpty(sysroot))
        {
            Assert.Ignore("the arm64 build is checked by `make test` (it publishes linux-arm64, prepares the sysroot and sets KALKI_ARM64_FIRMWARE and KALKI_ARM64_SYSROOT)");
        }

        // Asked for: anything missing now is a failure, never a skip.
        _qemu = new[] { "/usr/bin/qemu-aarch64-static", "/usr/local/bin/qemu-aarch64-static" }.FirstOrDefault(File.Exists)
            ?? throw new AssertionException("qemu-aarch64-static is not installed (Debian package qemu-user-static; `make test-deps` installs it)");
        Assert.That(firmware, Does.Exist, "the published linux-arm64 firmware (make publish)");
        Assert.That(Path.Combine(sysroot, "lib", "ld-linux-aarch64.so.1"), Does.Exist, "the arm64 loader in the sysroot (tools/arm64-sysroot.sh)");
        (_firmware, _sysroot) = (firmware!, sysroot!);
    }

    [TestCase("attack", "--json")]
    [TestCase("benign", "--json")]
    [TestCase("attack", "--eve")]
    public void Every_packs_scenario_replays_to_the_same_output_on_arm64(string scenario, string format)
    {
        using var dir = new TempDir();
        var devices = PackScenarios.Types.Select((t, i) => PackScenarios.Device(t, i)).ToList();
        var timeline = new Timeline();
        foreach (var d in devices)
        {
            _ = scenario == "attack" ? PackScenarios.Attack(timeline, d, PackScenarios.Start) : PackScenarios.Benign(timeline, d, PackScenarios.Start);
        }

        AssertSameOnBoth(dir, timeline, devices, format);
    }

    [Test]
    public void The_arm64_firmware_reports_the_version_of_the_x86_64_build()
    {
        var x64 = KalkiEdgeCli.Run("version");
        var arm64 = BoundedProcess.Run(EmulatedLimit, _qemu, ["-L", _sysroot, _firmware, "version"]);

        Assert.That(x64.ExitCode, Is.EqualTo(0), x64.Stderr);
        Assert.That(arm64.ExitCode, Is.EqualTo(0), arm64.ToString());
        Assert.That(arm64.Stdout.Trim(), Is.EqualTo(x64.Stdout.Trim()).And.Not.Empty);
    }

    private void AssertSameOnBoth(TempDir dir, Timeline timeline, List<ScenarioDevice> devices, string format)
    {
        var pcap = dir.File("capture.pcap");
        timeline.WritePcap(pcap);
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), devices));
        string[] args = ["replay", "--pcap", pcap, "--config", config, format];

        var x64 = KalkiEdgeCli.Run(args);
        var arm64 = BoundedProcess.Run(EmulatedLimit, _qemu, ["-L", _sysroot, _firmware, .. args]);

        Assert.That(x64.ExitCode, Is.EqualTo(0), x64.Stderr);
        Assert.That(arm64.ExitCode, Is.EqualTo(0), arm64.ToString());
        Assert.That(x64.Stdout, Is.Not.Empty, "a replay with something to compare (at least --json's summary of every device)");
        Assert.That(WithoutComputeTimes(arm64.Stdout), Is.EqualTo(WithoutComputeTimes(x64.Stdout)));
    }

    /// <summary>
    /// A transition's reaction time and its TRIGGER, REACT and FINISH stages are frame time plus the compute measured
    /// on the machine that ran the replay (docs/json-lines.md), so they differ between any two runs; everything else
    /// (STIMULUS included) is a function of the capture and the configuration.
    /// </summary>
    private static string WithoutComputeTimes(string output) => ComputeTime().Replace(output, "\"$1\":0");

    [GeneratedRegex("\"(reactionMicros|reaction_us|trigger|react|finish)\":[0-9]+")]
    private static partial Regex ComputeTime();
}
