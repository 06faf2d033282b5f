using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace KalkiEdge.LiveTests.Support;

/// <summary>A host of the testbed as `testbed.sh status --json` describes it.</summary>
public sealed record TestbedHost(string Name, string Role, string Mac, string Ip);

/// <summary>
/// One testbed (tests/testbed/testbed.sh) under a fresh prefix: namespaces, veths, fake device and cloud
/// servers. Every command is bounded in time; <see cref="Dispose"/> always tears everything down.
/// </summary>
public sealed partial class Testbed : IDisposable
{
    private static readonly TimeSpan ScriptLimit = TimeSpan.FromSeconds(90);

    private Testbed(string prefix) => Prefix = prefix;

    public string Prefix { get; }

    public IReadOnlyList<TestbedHost> Hosts { get; private set; } = [];

    public IEnumerable<TestbedHost> Devices => Hosts.Where(h => h.Role == "device");

    public static string Script => Path.Combine(RepoPaths.Testbed, "testbed.sh");

    public TestbedHost this[string name] => Hosts.Single(h => h.Name == name);

    /// <summary>Why live tests cannot run here (not root, no `ip netns`, no testbed), or null.</summary>
    public static string? WhyUnavailable()
    {
        if (!OperatingSystem.IsLinux() || geteuid() != 0)
        {
            return "live tests need root on Linux (network namespaces and packet capture); run `make test` as root";
        }

        if (!File.Exists(Script))
        {
            return $"no testbed script at {Script}";
        }

        try
        {
            var ip = BoundedProcess.Run(TimeSpan.FromSeconds(10), "ip", "netns", "list");
            return ip.ExitCode == 0 ? null : $"`ip netns` is unavailable here: {ip.Stderr.Trim()}";
        }
        catch (Win32Exception e)
        {
            return $"`ip` (iproute2) is not installed: {e.Message}";
        }
    }

    /// <summary>Builds a new testbed and starts its servers; tears it down again if that fails.</summary>
    public static Testbed Up()
    {
        var prefix = Run(TimeSpan.FromSeconds(10), "new-prefix").Stdout.Trim();
        var testbed = new Testbed(prefix);
        try
        {
            testbed.Call("up");
            testbed.Call("start-servers", "--max-seconds", "1800");
            testbed.ReadStatus();
            return testbed;
        }
        catch
        {
            testbed.Dispose();
            throw;
        }
    }

    public string Namespace(string host) => $"{Prefix}-{host}";

    /// <summary>testbed.sh --prefix P ARGS; fails the test on a non-zero exit.</summary>
    public ProcessResult Call(params string[] args)
    {
        var result = Run(ScriptLimit, ["--prefix", Prefix, .. args]);
        Assert.That(result.ExitCode, Is.Zero, $"testbed.sh {string.Join(' ', args)}: {result}");
        return result;
    }

    /// <summary>Runs a command inside a host's namespace (bounded).</summary>
    public ProcessResult Exec(string host, TimeSpan limit, params string[] command) =>
        BoundedProcess.Run(limit, "ip", ["netns", "exec", Namespace(host), .. command]);

    /// <summary>Runs a traffic tool (traffic/NAME.py) in a host; returns its exit code and one-line JSON result.</summary>
    public (int ExitCode, JsonElement Result) Tool(string host, string tool, params string[] args)
    {
        var result = Exec(host, TimeSpan.FromSeconds(120), ["python3", Path.Combine(RepoPaths.Testbed, "traffic", tool + ".py"), .. args]);
        var last = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (last is null)
        {
            Assert.Fail($"{tool} in {host} printed no result: {result}");
        }

        return (result.ExitCode, JsonDocument.Parse(last!).RootElement.Clone());
    }

    /// <summary>
    /// Starts a traffic tool (traffic/NAME.py) in a host without waiting: the task ends with the tool (which stops at
    /// its own --duration or stop file), and fails if it runs past 15 minutes (killed) or exits non-zero.
    /// </summary>
    public Task RunInBackground(string host, string tool, params string[] args) => Task.Run(() =>
    {
        var result = Exec(host, TimeSpan.FromMinutes(15), ["python3", Path.Combine(RepoPaths.Testbed, "traffic", tool + ".py"), .. args]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} in {host}: {result}");
        }
    });

    /// <summary>probe.py: true when the expectation held (reachable, or unreachable with --expect-fail).</summary>
    public bool Probe(string host, params string[] args) => Tool(host, "probe", args).ExitCode == 0;

    public void Dispose() => Run(ScriptLimit, "--prefix", Prefix, "down");

    private static ProcessResult Run(TimeSpan limit, params string[] args) => BoundedProcess.Run(limit, Script, args);

    private void ReadStatus()
    {
        using var status = JsonDocument.Parse(Call("status", "--json").Stdout);
        Hosts = [.. status.RootElement.GetProperty("hosts").EnumerateArray().Select(h => new TestbedHost(
            h.GetProperty("name").GetString()!, h.GetProperty("role").GetString()!, h.GetProperty("mac").GetString()!, h.GetProperty("ip").GetString()!))];
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
