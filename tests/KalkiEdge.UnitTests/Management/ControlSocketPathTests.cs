using System.Net.Sockets;
using System.Runtime.Versioning;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Output;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.Management;

namespace KalkiEdge.UnitTests.Host;

/// <summary>
/// Where the operator's control socket goes and when it is refused. The socket's filesystem permissions are the
/// operator's authentication, so every refusal here is a hole closed. Real directories and real Unix sockets in
/// a temporary directory; the process environment is injected, so nothing touches the real /run.
/// </summary>
[SupportedOSPlatform("linux")] // socket permissions are POSIX; the appliance is Linux-only
public class ControlSocketPathTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir("kalki-socket-");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void The_systemd_runtime_directory_comes_first_even_for_root()
    {
        var env = new ControlSocketEnvironment("/run/kalki-edge-unit", Privileged: true, "/run/user/1000", "/tmp/", "kalki");
        Assert.That(env.DefaultControlSocket, Is.EqualTo("/run/kalki-edge-unit/control.sock"));
        Assert.That((env with { RuntimeDirectory = "/run/a:/run/b" }).DefaultControlSocket, Is.EqualTo("/run/a/control.sock"), "the first of several RuntimeDirectory entries");
    }

    [Test]
    public void Root_without_systemd_uses_the_run_directory()
    {
        var env = new ControlSocketEnvironment(null, Privileged: true, "/run/user/0", "/tmp/", "root");
        Assert.That(env.DefaultControlSocket, Is.EqualTo("/run/kalki-edge/control.sock"));
    }

    [Test]
    public void A_user_gets_their_runtime_directory_else_a_per_user_temp_directory()
    {
        var env = new ControlSocketEnvironment(null, Privileged: false, "/run/user/1000", "/tmp/", "alice");
        Assert.That(env.DefaultControlSocket, Is.EqualTo("/run/user/1000/kalki-edge/control.sock"));
        Assert.That((env with { UserRuntimeDirectory = null }).DefaultControlSocket, Is.EqualTo("/tmp/kalki-edge-alice/control.sock"));
        Assert.That((env with { UserRuntimeDirectory = "" }).DefaultControlSocket, Is.EqualTo("/tmp/kalki-edge-alice/control.sock"));
    }

    [Test]
    public void A_relative_runtime_directory_is_not_trusted()
    {
        var env = new ControlSocketEnvironment("kalki-edge", Privileged: false, null, "/tmp/", "alice");
        Assert.That(env.DefaultControlSocket, Is.EqualTo("/tmp/kalki-edge-alice/control.sock"));
    }

    [Test]
    public void Outside_systemd_each_data_directory_has_its_own_socket_and_under_systemd_the_unit_has_one()
    {
        var env = new ControlSocketEnvironment(null, Privileged: true, "/run/user/0", "/tmp/", "root");
        Assert.That(env.ControlSocketFor("/srv/bench-a/data"), Is.EqualTo("/srv/bench-a/data/control.sock"));
        Assert.That(env.ControlSocketFor("/srv/bench-b/data"), Is.EqualTo("/srv/bench-b/data/control.sock"));
        Assert.That(env.ControlSocketFor(""), Is.EqualTo("/run/kalki-edge/control.sock"), "no data directory (the CLI without a config): the service's");
        Assert.That((env with { RuntimeDirectory = "/run/kalki-edge" }).ControlSocketFor("/var/lib/kalki-edge"), Is.EqualTo("/run/kalki-edge/control.sock"),
            "the unit is the instance: `sudo kalki-edge reset` finds it without a config");
    }

    [Test]
    public void A_data_directory_too_long_for_its_default_socket_is_a_config_error_that_names_the_fix()
    {
        Assume.That(Environment.GetEnvironmentVariable("RUNTIME_DIRECTORY"), Is.Null, "outside systemd the default is in the data directory");
        var dataDir = "/srv/" + new string('d', 100);
        var diagnostics = new DiagnosticBag();
        ManagementSettings.Read(new Dictionary<string, ArgNode>(), diagnostics, dataDir);
        Assert.That(diagnostics.ToString(), Does.Contain($"the default control socket '{dataDir}/control.sock'").And.Contain("set management.control-socket"));
        Assert.That(ManagementSettings.Read(new Dictionary<string, ArgNode>(), new DiagnosticBag(), "/srv/a/data").ControlSocket, Is.EqualTo("/srv/a/data/control.sock"));
    }

    [Test]
    public void The_process_environment_resolves_to_an_absolute_path_that_fits_a_socket_address()
    {
        var path = ManagementSettings.DefaultControlSocket;
        Assert.That(Path.IsPathRooted(path), Is.True, path);
        Assert.That(System.Text.Encoding.UTF8.GetByteCount(path), Is.LessThanOrEqualTo(107), path);
    }

    [Test]
    public void A_missing_directory_is_created_for_the_owner_only()
    {
        var path = Path.Combine(_dir.Path, "run", "control.sock");
        Assert.That(ControlSocketPath.Prepare(path), Is.Null);
        Assert.That(File.GetUnixFileMode(Path.Combine(_dir.Path, "run")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [TestCase(UnixFileMode.GroupWrite)]
    [TestCase(UnixFileMode.OtherWrite)]
    public void A_directory_others_can_write_is_refused(UnixFileMode extra)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir.Path, "shared")).FullName;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | extra);
        var problem = ControlSocketPath.Prepare(Path.Combine(dir, "control.sock"));
        Assert.That(problem, Is.EqualTo($"directory {dir} is writable by others; refusing to place the control socket there"));
    }

    [Test]
    public void A_sticky_shared_directory_like_tmp_is_accepted()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir.Path, "sticky")).FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0b1_111_111_111); // 1777, as /tmp: others cannot replace what they do not own
        Assert.That(ControlSocketPath.Prepare(Path.Combine(dir, "control.sock")), Is.Null);
    }

    [Test]
    public void A_directory_another_user_owns_is_refused_even_with_owner_only_permissions()
    {
        // Another local user made the fallback directory first (0700, theirs): they could serve forged answers there.
        var dir = Directory.CreateDirectory(Path.Combine(_dir.Path, "theirs")).FullName;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        GiveTo(dir, Nobody);
        var problem = ControlSocketPath.Prepare(Path.Combine(dir, "control.sock"));
        Assert.That(problem, Does.StartWith($"directory {dir} is owned by uid {Nobody}, not by this user"));
        Assert.That(problem, Does.EndWith("refusing to place the control socket there"));
    }

    [Test]
    public void A_symbolic_link_in_place_of_the_directory_is_refused()
    {
        var target = Directory.CreateDirectory(Path.Combine(_dir.Path, "target")).FullName;
        var link = Path.Combine(_dir.Path, "link");
        File.CreateSymbolicLink(link, target);
        Assert.That(ControlSocketPath.Prepare(Path.Combine(link, "control.sock")), Does.StartWith($"{link} is not a directory"));
    }

    [Test]
    public async Task The_client_refuses_a_socket_in_a_directory_another_user_owns_without_connecting()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir.Path, "theirs")).FullName;
        var path = Path.Combine(dir, "control.sock");
        using var forger = Listening(path);
        GiveTo(dir, Nobody);

        using var client = new OperatorClient(path, TimeSpan.FromSeconds(2));
        var devices = await client.DevicesAsync();
        Assert.That(devices.Value, Is.Null);
        Assert.That(devices.Error, Does.StartWith($"refusing to talk to {path}: directory {dir} is owned by uid {Nobody}"));
        Assert.That(forger.Poll(0, SelectMode.SelectRead), Is.False, "no connection reached the forged socket");
    }

    [Test]
    public async Task The_client_refuses_another_users_socket_in_a_sticky_shared_directory()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir.Path, "sticky")).FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0b1_111_111_111);
        var path = Path.Combine(dir, "control.sock");
        using var forger = Listening(path);
        GiveTo(path, Nobody);

        using var client = new OperatorClient(path, TimeSpan.FromSeconds(2));
        var devices = await client.DevicesAsync();
        Assert.That(devices.Error, Is.EqualTo($"refusing to talk to {path}: {path} is owned by uid {Nobody}, not by this user (uid 0) or root"));
        Assert.That(forger.Poll(0, SelectMode.SelectRead), Is.False, "no connection reached the forged socket");
    }

    [Test]
    public async Task The_client_refuses_a_server_the_kernel_says_runs_as_another_user()
    {
        // The socket file is root's, in root's directory; the process that listens on it has dropped to nobody.
        // Only SO_PEERCRED, read after connecting, can tell: the path checks all pass.
        var path = _dir.File("control.sock");
        const string server = "import os,socket,sys\n" +
            "s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.setuid(int(sys.argv[2])); s.listen(1)\n" +
            "print('listening', flush=True); s.settimeout(10)\n" +
            "try:\n c,_=s.accept(); c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 14\\r\\n\\r\\n{\\\"devices\\\":[]}'); c.close()\n" +
            "except socket.timeout: pass\n";
        using var python = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", ["-c", server, path, Nobody.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.That(await python.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("listening"));
            using var client = new OperatorClient(path, TimeSpan.FromSeconds(2));
            var devices = await client.DevicesAsync();
            Assert.That(devices.Error, Does.StartWith($"refusing to talk to {path}: the process serving it (pid {python.Id}) runs as uid {Nobody}, not as this user"));
        }
        finally
        {
            python.Kill();
            await python.WaitForExitAsync();
        }
    }

    [Test]
    public void A_socket_left_by_a_killed_process_is_removed()
    {
        var path = _dir.File("control.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            stale.Bind(new UnixDomainSocketEndPoint(path)); // bound, never listening: a connect is refused, as after kill -9
            Assert.That(ControlSocketPath.Prepare(path), Is.Null);
        }

        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void A_socket_another_process_answers_on_is_left_alone()
    {
        var path = _dir.File("control.sock");
        using var live = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        live.Bind(new UnixDomainSocketEndPoint(path));
        live.Listen(1);
        Assert.That(ControlSocketPath.Prepare(path), Is.EqualTo($"another kalki-edge already serves {path} (pid {Environment.ProcessId}, uid {PosixFileStatus.EffectiveUser})"),
            "the kernel names the process that answers");
        Assert.That(File.Exists(path), Is.True);
    }

    [Test]
    public async Task A_second_instance_on_the_same_socket_warns_and_the_first_keeps_serving()
    {
        var path = _dir.File("control.sock");
        using var appliance = OneDeviceAppliance();
        var actions = new OperatorActions(appliance);
        var firstLog = new StringWriter();
        await using var first = await OperatorApi.StartAsync(path, actions, firstLog);
        Assert.That(first, Is.Not.Null, firstLog.ToString());
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "only the appliance's user may connect");

        var secondLog = new StringWriter();
        var second = await OperatorApi.StartAsync(path, actions, secondLog);
        Assert.That(second, Is.Null);
        Assert.That(secondLog.ToString(), Does.Contain($"WARNING: operator control socket not available: another kalki-edge already serves {path}"));

        using var client = new OperatorClient(path, TimeSpan.FromSeconds(10));
        var devices = await client.DevicesAsync();
        Assert.That(devices.Error, Is.Null);
        Assert.That(devices.Value!.Devices.Select(d => d.Name), Is.EqualTo(new[] { "cam" }));
    }

    private const uint Nobody = 65534;

    private static Socket Listening(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(1);
        return socket;
    }

    /// <summary>Hands a path to another user; the unit tests run as root (as the appliance's own tests need).</summary>
    private static void GiveTo(string path, uint uid)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Ignore("needs root to give a file to another user");
        }

        BoundedProcess.Output(TimeSpan.FromSeconds(10), "chown", "-h", uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path);
    }

    private static KalkiEdge.Appliance.EdgeAppliance OneDeviceAppliance()
    {
        var config = new SiteConfig
        {
            File = "unit",
            UmboxesDir = RepoPaths.Umboxes,
            Devices = [new DeviceConfig("cam", 0x0200_0000_0001, [], SourceSpan.None("unit")) { Chain = "pass" }],
        };
        var diagnostics = new DiagnosticBag();
        return KalkiEdge.Appliance.EdgeAppliance.Build(config, diagnostics, new ConsoleObserver(TextWriter.Null))
            ?? throw new InvalidOperationException(diagnostics.ToString());
    }
}
