namespace KalkiEdge.ReplayTests;

/// <summary>
/// kalki-edge update as an operator runs it: the real process and the real rauc. Installing for real needs the
/// appliance's slots, which the QEMU update test (make update-test) has; here, every refusal says what and why.
/// </summary>
public class UpdateCommandTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("kalki-update-cli-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Without_a_bundle_it_is_a_usage_error()
    {
        var r = KalkiEdgeCli.Run("update");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain("kalki-edge update: the BUNDLE (.raucb) to install is required"));
    }

    [Test]
    public void A_missing_or_wrong_file_is_refused_with_its_name_and_why()
    {
        var missing = Path.Combine(_dir, "missing.raucb");
        var r = KalkiEdgeCli.Run("update", missing);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr.Trim(), Is.EqualTo($"kalki-edge update: {missing}: no such file"));

        var text = Path.Combine(_dir, "kalki.yaml");
        File.WriteAllText(text, "site: {name: lab}\n");
        r = KalkiEdgeCli.Run("update", text, "--reboot");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain($"{text}: not a RAUC update bundle"));
        Assert.That(r.Stdout, Does.Not.Contain("rebooting"), "a refused bundle never reboots");
    }

    [Test]
    public void A_directory_or_a_fifo_is_refused_without_being_opened()
    {
        var r = KalkiEdgeCli.Run("update", _dir);
        Assert.That((r.ExitCode, r.Stderr.Trim()), Is.EqualTo((1, $"kalki-edge update: {_dir}: is a directory, not a file")));

        // Opening a FIFO would wait for a writer without end.
        var fifo = Path.Combine(_dir, "bundle.fifo");
        BoundedProcess.Output(TimeSpan.FromSeconds(30), "mkfifo", fifo);
        r = KalkiEdgeCli.Run("update", fifo, "--reboot");
        Assert.That((r.ExitCode, r.Stderr.Trim()), Is.EqualTo((1, $"kalki-edge update: {fifo}: is not a regular file (a FIFO, socket or device cannot be read as one)")));
        Assert.That(r.Stdout, Does.Not.Contain("rebooting"));
    }

    [Test]
    public void Rauc_s_refusal_is_passed_on_and_nothing_reboots()
    {
        var bundle = Path.Combine(_dir, "unsigned.raucb");
        var content = Directory.CreateDirectory(Path.Combine(_dir, "content")).FullName;
        File.WriteAllText(Path.Combine(content, "manifest.raucm"), "[update]\ncompatible=kalki-edge-arm64\n");
        using (var mk = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mksquashfs", [content, bundle, "-quiet", "-noappend"]) { RedirectStandardOutput = true })!)
        {
            mk.StandardOutput.ReadToEnd();
            Assert.That(mk.WaitForExit(TimeSpan.FromSeconds(60)) && mk.ExitCode == 0, "mksquashfs made the test bundle");
        }

        var r = KalkiEdgeCli.Run("update", bundle, "--reboot");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.StartWith($"kalki-edge update: {bundle}: refused by RAUC (exit "));
        Assert.That(r.Stdout, Does.Not.Contain("rebooting"));

        r = KalkiEdgeCli.Run("update", bundle, "--rauc", "/nonexistent/rauc");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("cannot run /nonexistent/rauc").And.Contain("updates need RAUC"));
    }
}
