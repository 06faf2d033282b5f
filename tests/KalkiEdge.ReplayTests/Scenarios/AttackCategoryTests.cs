using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using KalkiEdge.Appliance.Config;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>
/// KalKi's attacker abilities (ARCHITECTURE.md, "Attacks on this design") tried against the real `kalki-edge`
/// executable, as an attacker on the box or on the management network would try them: sniffing and forging the
/// control channel, injecting into the API, reading the store, weakening an image or the signed manifest on disk.
/// The live bridge's rows (the gateway's sysctls, a packet path around the chains, spoofing) are LiveTests.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes and Unix sockets are POSIX; the appliance is Linux-only
public partial class AttackCategoryTests
{
    private const uint Nobody = 65534;

    [Test]
    public void Off_loopback_the_appliance_refuses_to_serve_management_in_plain_http_that_could_be_sniffed()
    {
        using var dir = new TempDir();
        var config = WriteConfig(dir, "management: {listen: \"192.0.2.1:8443\"}");

        var run = KalkiEdgeCli.Run("run", "--config", config);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.Stdout + run.Stderr);
        Assert.That(run.Stderr, Does.Contain("cannot serve the management address 192.0.2.1:8443").And.Contain("HTTPS only").And.Contain("tls.crt"));
    }

    [Test]
    public void The_cli_refuses_the_answers_of_a_control_socket_another_user_placed()
    {
        Assume.That(Environment.IsPrivilegedProcess, Is.True, "needs root to hand a directory to another user");
        using var dir = new TempDir();
        var forged = Directory.CreateDirectory(dir.File("forged")).FullName;
        var path = Path.Combine(forged, "control.sock");
        using var forger = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        forger.Bind(new UnixDomainSocketEndPoint(path));
        forger.Listen(1);
        BoundedProcess.Output(TimeSpan.FromSeconds(10), "chown", "-R", Nobody.ToString(System.Globalization.CultureInfo.InvariantCulture), forged);

        var devices = KalkiEdgeCli.Run("devices", "--socket", path);

        Assert.That(devices.ExitCode, Is.EqualTo(1), devices.Stdout + devices.Stderr);
        Assert.That(devices.Stderr, Does.Contain($"refusing to talk to {path}").And.Contain($"owned by uid {Nobody}"));
        Assert.That(forger.Poll(0, SelectMode.SelectRead), Is.False, "the CLI did not even connect to the forger");
    }

    [Test]
    public async Task The_running_appliance_refuses_anonymous_api_calls_and_keeps_its_store_and_socket_owner_only()
    {
        using var dir = new TempDir();
        var config = WriteConfig(dir, "management: {listen: \"127.0.0.1:0\"}");
        var data = dir.File("data");
        using var appliance = RunningAppliance.StartWithSocket(config, Path.Combine(data, "control.sock"));
        var address = new Uri(ManagementAddress().Match(appliance.Output).Value);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

        using var list = await http.GetAsync(new Uri("/api/devices", UriKind.Relative));
        using var add = await http.PostAsync(new Uri("/api/devices", UriKind.Relative),
            new StringContent("""{"name":"evil","type":"generic-iot","mac":"02:00:00:00:66:01","ips":["192.0.2.66"]}""", System.Text.Encoding.UTF8, "application/json"));
        using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Multiple(() =>
        {
            Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "reading the devices needs a sign-in");
            Assert.That(add.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "adding a device needs a sign-in");
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "only /health is public");
            Assert.That(File.GetUnixFileMode(data), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), "the data directory is the owner's only");
            Assert.That(File.GetUnixFileMode(Path.Combine(data, "kalki-edge.db")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "the store is the owner's only");
            Assert.That(File.GetUnixFileMode(Path.Combine(data, "control.sock")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "only the owner may connect to the control socket");
        });
        var devices = KalkiEdgeCli.Run("devices", "--json", "--config", config);
        Assert.That(devices.Stdout, Does.Not.Contain("evil"), "the anonymous request added nothing");
    }

    [Test]
    public void An_image_weakened_on_disk_is_fail_closed_at_start_with_an_attestation_failure()
    {
        using var dir = new TempDir();
        var umboxes = CopyUmboxes(dir);
        var image = Path.Combine(umboxes, "images", "camera-normal.yaml");
        File.WriteAllText(image, File.ReadAllText(image).Replace("max-logins: 5,", "max-logins: 500,", StringComparison.Ordinal));
        var config = WriteConfig(dir, $"management: {{listen: \"127.0.0.1:0\"}}\n{Hypervisor(dir)}", umboxes);

        using var appliance = RunningAppliance.StartWithSocket(config, dir.File("data/control.sock"));
        var devices = KalkiEdgeCli.Run("devices", "--json", "--config", config);

        Assert.That(devices.ExitCode, Is.Zero, devices.Stderr);
        var camera = JsonDocument.Parse(devices.Stdout).RootElement.GetProperty("devices").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(camera.GetProperty("chain").GetString(), Is.EqualTo("block-all"), "the camera drops everything instead of running the changed image");
            Assert.That(appliance.Output, Does.Contain("attestation-failure").And.Contain("camera-normal"));
        });
    }

    [TestCase("manifest", "does not verify")]
    [TestCase("key", "owned by this user with mode 0600")]
    public void A_tampered_manifest_or_a_hypervisor_key_others_can_read_stops_the_start(string tampered, string message)
    {
        using var dir = new TempDir();
        var umboxes = CopyUmboxes(dir);
        if (tampered == "manifest")
        {
            var manifest = Path.Combine(umboxes, "manifest", "manifest.json");
            File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"images\"", " \"images\"", StringComparison.Ordinal));
        }
        else
        {
            File.WriteAllBytes(dir.File("hypervisor.key"), new byte[32]);
            File.SetUnixFileMode(dir.File("hypervisor.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        }

        var config = WriteConfig(dir, $"management: {{listen: \"127.0.0.1:0\"}}\n{Hypervisor(dir)}", umboxes);
        var run = KalkiEdgeCli.Run("run", "--config", config);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.Stdout + run.Stderr);
        Assert.That(run.Stdout + run.Stderr, Does.Contain(message));
        Assert.That(run.Stdout, Does.Not.Contain("management server on"), "nothing is served");
    }

    /// <summary>A site of one D-Link camera under its pack; <paramref name="umboxes"/> defaults to the repository's.</summary>
    private static string WriteConfig(TempDir dir, string sections, string? umboxes = null)
    {
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(umboxes ?? SiteConfigLoader.DefaultUmboxesDir(), [PackScenarios.Device("dlink-camera")]) + sections + "\n");
        return config;
    }

    private static string Hypervisor(TempDir dir) => $"hypervisor: {{backend: emulated, key: {dir.File("hypervisor.key")}}}";

    /// <summary>The shipped images, packs, rules and signed manifest, copied so that a test may tamper with them.</summary>
    private static string CopyUmboxes(TempDir dir)
    {
        var source = SiteConfigLoader.DefaultUmboxesDir();
        var target = dir.File("umboxes");
        foreach (var sub in (string[])["images", "packs", "rules", "manifest"])
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(source, sub), "*", SearchOption.AllDirectories))
            {
                var copy = Path.Combine(target, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }
        }

        return target;
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex ManagementAddress();
}
