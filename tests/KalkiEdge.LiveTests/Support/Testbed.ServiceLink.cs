using System.Diagnostics;
using System.Text.Json;

namespace KalkiEdge.LiveTests.Support;

/// <summary>A host the appliance itself talks to (a MUD file server), and servers a test starts in the testbed's hosts.</summary>
public sealed partial class Testbed
{
    /// <summary>
    /// A new host <paramref name="host"/> (namespace <c>P-host</c>, removed by `testbed.sh down` with the rest) wired
    /// to the appliance's namespace by its own link, off the bridged ports: the appliance's end <paramref name="port"/>
    /// gets <paramref name="applianceIp"/>, the host's eth0 <paramref name="hostIp"/> (both /24).
    /// </summary>
    public void AddServiceHost(string host, string port, string applianceIp, string hostIp)
    {
        Checked(BoundedProcess.Run(CommandLimit, "ip", "netns", "add", Namespace(host)));
        Checked(Exec(host, CommandLimit, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"));
        Checked(Exec(host, CommandLimit, "ip", "link", "set", "lo", "up"));
        Checked(BoundedProcess.Run(CommandLimit, "ip", "link", "add", port, "netns", Namespace("app"), "type", "veth", "peer", "name", "eth0", "netns", Namespace(host)));
        Checked(Exec("app", CommandLimit, "ip", "addr", "add", applianceIp + "/24", "dev", port));
        Checked(Exec("app", CommandLimit, "ip", "link", "set", port, "up"));
        Checked(Exec(host, CommandLimit, "ip", "addr", "add", hostIp + "/24", "dev", "eth0"));
        Checked(Exec(host, CommandLimit, "ip", "link", "set", "eth0", "up"));
    }

    /// <summary>
    /// Starts tests/testbed/servers/<paramref name="script"/> in <paramref name="host"/> (bounded to 5 minutes by the
    /// server itself) and waits until it listens; its JSON-lines log is <see cref="TestServer.Log"/>.
    /// </summary>
    public TestServer StartServer(string host, string script, string logDir, params string[] args)
    {
        var log = Path.Combine(logDir, $"{host}-{Path.GetFileNameWithoutExtension(script)}-{Guid.NewGuid().ToString("N")[..6]}.log");
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Namespace(host), "python3", Path.Combine(RepoPaths.Testbed, "servers", script), "--log", log, "--max-seconds", "300", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        var server = new TestServer(Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {script}"), log);
        if (server.WaitStarted(TimeSpan.FromSeconds(30)) is null)
        {
            var output = server.Stop();
            Assert.Fail($"{script} in {host} did not start within 30 s: {output}");
        }

        return server;
    }
}

/// <summary>A server process a test started; <see cref="Dispose"/> stops it.</summary>
public sealed class TestServer(Process process, string log) : IDisposable
{
    private bool _disposed;

    public string Log => log;

    /// <summary>The ports of its "started" log event (the bound ones: a port asked as 0 is named here).</summary>
    public IReadOnlyList<int> Ports => WaitStarted(TimeSpan.Zero) ?? [];

    /// <summary>The log's events of kind <paramref name="kind"/>.</summary>
    public IReadOnlyList<JsonElement> Events(string kind) =>
        [.. Lines().Select(l => JsonDocument.Parse(l).RootElement.Clone()).Where(e => e.GetProperty("event").GetString() == kind)];

    internal IReadOnlyList<int>? WaitStarted(TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        do
        {
            if (Events("started") is [var started, ..])
            {
                return [.. started.GetProperty("ports").EnumerateArray().Select(p => p.GetInt32())];
            }

            if (process.HasExited)
            {
                return null;
            }

            Thread.Sleep(100);
        }
        while (deadline.Elapsed < limit);
        return null;
    }

    /// <summary>Stops the server; what it printed.</summary>
    public string Stop()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit(10_000);
        return process.HasExited ? $"exit {process.ExitCode}: {process.StandardError.ReadToEnd()}" : "still running";
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Stop();
        process.Dispose();
    }

    private string[] Lines()
    {
        try
        {
            return File.Exists(log) ? File.ReadAllLines(log).Where(l => l.EndsWith('}')).ToArray() : [];
        }
        catch (IOException)
        {
            return []; // being written: the next poll reads it
        }
    }
}
