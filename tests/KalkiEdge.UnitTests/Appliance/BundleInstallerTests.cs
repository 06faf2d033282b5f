using System.Diagnostics;
using KalkiEdge.Appliance.Update;

namespace KalkiEdge.UnitTests.Appliance;

/// <summary>
/// What <c>kalki-edge update</c> and the dashboard's upload say about a bundle they cannot install, with the real
/// <c>rauc</c> (Debian's; make test installs it). Installing for real needs the appliance's slots: the QEMU update
/// test (make update-test) does that.
/// </summary>
public class BundleInstallerTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-bundle-installer-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>A squashfs made by mksquashfs: a bundle's shape, but nobody signed it.</summary>
    public static string UnsignedSquashfs(string dir)
    {
        var content = Directory.CreateDirectory(Path.Combine(dir, "content")).FullName;
        File.WriteAllText(Path.Combine(content, "manifest.raucm"), "[update]\ncompatible=kalki-edge-arm64\nversion=9.9.9\n");
        var bundle = Path.Combine(dir, "unsigned.raucb");
        using var mk = Process.Start(new ProcessStartInfo("mksquashfs", [content, bundle, "-quiet", "-noappend"]) { RedirectStandardOutput = true })!;
        mk.StandardOutput.ReadToEnd();
        Assert.That(mk.WaitForExit(TimeSpan.FromSeconds(60)) && mk.ExitCode == 0, "mksquashfs (squashfs-tools) made the test bundle");
        return bundle;
    }

    private static UpdateException? Refusal(BundleInstaller installer, string bundle) =>
        Assert.ThrowsAsync<UpdateException>(async () => await installer.InstallAsync(bundle));

    [Test]
    public void A_missing_file_is_named()
    {
        var missing = Path.Combine(_dir, "nope.raucb");
        Assert.That(Refusal(new BundleInstaller(), missing)!.Message, Is.EqualTo($"{missing}: no such file"));
    }

    [Test]
    public void A_file_that_is_no_bundle_is_refused_before_rauc_runs()
    {
        var zip = Path.Combine(_dir, "backup.zip");
        File.WriteAllBytes(zip, [0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]);
        var empty = Path.Combine(_dir, "empty.raucb");
        File.WriteAllBytes(empty, []);
        // A program that does not exist: the refusal must come before it would be run.
        var installer = new BundleInstaller("/nonexistent/rauc");
        Assert.That(Refusal(installer, zip)!.Message, Does.Contain("not a RAUC update bundle"));
        Assert.That(Refusal(installer, empty)!.Message, Does.Contain("not a RAUC update bundle"));
    }

    [Test]
    public void A_file_larger_than_any_bundle_is_refused_without_reading_it()
    {
        var huge = Path.Combine(_dir, "huge.raucb");
        using (var file = File.Create(huge))
        {
            file.Write("hsqs"u8);
            file.SetLength(BundleInstaller.MaxBundleBytes + 1);   // sparse: no disk used
        }

        Assert.That(Refusal(new BundleInstaller("/nonexistent/rauc"), huge)!.Message, Does.Contain($"more than an update bundle can be ({BundleInstaller.MaxBundleBytes} bytes)"));
    }

    [Test]
    public void Without_rauc_the_error_says_what_is_missing()
    {
        var bundle = UnsignedSquashfs(_dir);
        Assert.That(Refusal(new BundleInstaller("/nonexistent/rauc"), bundle)!.Message, Does.StartWith("cannot run /nonexistent/rauc").And.Contain("updates need RAUC"));
    }

    [Test]
    public void Rauc_refusing_a_bundle_is_reported_with_its_reason()
    {
        // On this host no RAUC service runs (no slots): the real rauc refuses with its own error, which must reach the user.
        var bundle = UnsignedSquashfs(_dir);
        var e = Refusal(new BundleInstaller(), bundle)!;
        Assert.That(e.Message, Does.StartWith($"{bundle}: refused by RAUC (exit "));
        Assert.That(e.Message, Does.Contain("rror"), "RAUC's error line is kept");
    }
}
