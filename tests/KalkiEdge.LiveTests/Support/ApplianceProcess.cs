using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace KalkiEdge.LiveTests.Support;

/// <summary>
/// `kalki-edge run --config FILE` inside the testbed's appliance namespace, with its console output collected
/// line by line. Stopped with SIGTERM (graceful), killed if it does not exit in time; never outlives the test.
/// </summary>
public sealed partial class ApplianceProcess : IDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<(long At, string Line)> _timeline = [];
    private readonly object _gate = new(); // Monitor.Wait/Pulse need an object, not a Lock
    private bool _disposed;

    private ApplianceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The kalki-edge process id (ip netns exec replaces itself with dotnet).</summary>
    public int Pid => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public static ApplianceProcess Start(Testbed testbed, string config)
    {
        var psi = Firmware.Prefixed(["ip", "netns", "exec", testbed.Namespace("app")], "run", "--config", config);
        return new ApplianceProcess(Process.Start(psi) ?? throw new InvalidOperationException("cannot start kalki-edge"));
    }

    /// <summary>Starts the appliance and waits (at most 120 s: a JIT start on a loaded 2-core machine) until it bridges.</summary>
    public static ApplianceProcess StartBridging(Testbed testbed, string config)
    {
        var appliance = Start(testbed, config);
        if (!appliance.WaitFor(l => l.Contains("KalkiEdge live bridge", StringComparison.Ordinal), TimeSpan.FromSeconds(120)))
        {
            var (stdout, stderr) = (appliance.Stdout, appliance.Stderr);
            appliance.Dispose();
            Assert.Fail($"kalki-edge did not start bridging within 120 s\nstdout: {stdout}\nstderr: {stderr}");
        }

        return appliance;
    }

    /// <summary>Waits (bounded) for a stdout line matching <paramref name="match"/>; false if the time ran out or the process exited.</summary>
    public bool WaitFor(Func<string, bool> match, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        lock (_gate)
        {
            while (true)
            {
                if (_stdout.ToString().Split('\n').Any(match))
                {
                    return true;
                }

                var left = limit - deadline.Elapsed;
                if (left <= TimeSpan.Zero || _process.HasExited)
                {
                    return false;
                }

                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
            }
        }
    }

    /// <summary>The <see cref="Stopwatch"/> timestamp at which the first console line matching <paramref name="match"/> arrived.</summary>
    public long FirstLineAt(Func<string, bool> match)
    {
        lock (_gate)
        {
            return _timeline.First(l => match(l.Line)).At;
        }
    }

    /// <summary>A field of /proc/PID/status in kB (VmRSS, RssAnon, ...).</summary>
    public long MemoryKb(string field)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (bounded) for the process to exit by itself, e.g. after refusing to start.</summary>
    public ProcessResult WaitForExit(TimeSpan limit)
    {
        if (!_process.WaitForExit(limit))
        {
            Kill();
            Assert.Fail($"kalki-edge did not exit within {limit.TotalSeconds} s\nstdout: {Stdout}\nstderr: {Stderr}");
        }

        _process.WaitForExit(); // drains the output readers
        return new ProcessResult(_process.ExitCode, Stdout, Stderr);
    }

    /// <summary>SIGTERM, as systemd stops the service; the appliance must exit 0 and print its counters.</summary>
    public ProcessResult Stop()
    {
        if (!_process.HasExited)
        {
            _ = kill(Pid, SigTerm);
        }

        return WaitForExit(TimeSpan.FromSeconds(20));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Kill();
        _process.Dispose();
    }

    /// <summary>SIGKILL (kill -9): no flush, no dispose, no signal handler; returns once the process is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    private void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }

        var at = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _timeline.Add((at, line));
            to.Append(line).Append('\n');
            Monitor.PulseAll(_gate);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
