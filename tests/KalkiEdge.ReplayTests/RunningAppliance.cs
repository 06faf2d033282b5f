using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace KalkiEdge.ReplayTests;

/// <summary>`kalki-edge run [--config FILE]` as a child process until disposed (SIGTERM, bounded wait, then kill).</summary>
public sealed class RunningAppliance : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private RunningAppliance(Process process) => _process = process;

    public string Output => string.Join('\n', _output);

    /// <summary>Starts the appliance and waits (bounded) until <paramref name="ready"/> holds; fails the test otherwise.</summary>
    public static RunningAppliance Start(Func<RunningAppliance, bool> ready, params string[] args) =>
        Start(new Dictionary<string, string>(), ready, args);

    /// <summary>As <see cref="Start(Func{RunningAppliance, bool}, string[])"/>, with <paramref name="environment"/> added to the process's.</summary>
    public static RunningAppliance Start(IReadOnlyDictionary<string, string> environment, Func<RunningAppliance, bool> ready, params string[] args)
    {
        var psi = Firmware.StartInfo(["run", .. args]);
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        psi.Environment.Remove("JOURNAL_STREAM"); // its log lines on its output, as the tests read them, even when the runner itself logs to a journal

        var running = new RunningAppliance(Process.Start(psi)!);
        running._process.OutputDataReceived += (_, e) => running._output.Enqueue(e.Data ?? "");
        running._process.ErrorDataReceived += (_, e) => running._output.Enqueue(e.Data ?? "");
        running._process.BeginOutputReadLine();
        running._process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!ready(running) && !running._process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(100);
        }

        if (!ready(running))
        {
            running.Dispose();
            Assert.Fail($"kalki-edge run {string.Join(' ', args)} was not ready within 60 s:\n{running.Output}");
        }

        return running;
    }

    /// <summary>Until the control socket at <paramref name="socket"/> exists.</summary>
    public static RunningAppliance StartWithSocket(string config, string socket) => Start(_ => File.Exists(socket), "--config", config);

    public bool Printed(string text) => Lines(text) > 0;

    /// <summary>How many lines of its output so far contain <paramref name="text"/>.</summary>
    public int Lines(string text) => _output.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits (at most 30 s) until <paramref name="condition"/> holds; fails the test with the output otherwise.</summary>
    public void WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), Output);
            Thread.Sleep(50);
        }
    }

    /// <summary>GET /health on the address the appliance printed at start.</summary>
    public JsonElement Health()
    {
        var line = _output.FirstOrDefault(l => l.Contains("management server on http://", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, "the appliance prints its management address");
        var address = System.Text.RegularExpressions.Regex.Match(line!, @"http://\S+").Value;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return JsonDocument.Parse(http.GetStringAsync(new Uri(address + "/health")).GetAwaiter().GetResult()).RootElement.Clone();
    }

    /// <summary>SIGKILL (kill -9): no flush, no dispose, no signal handler.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Sends SIGHUP (systemctl reload; logrotate's postrotate).</summary>
    public void HangUp() => Signal("-HUP");

    /// <summary>Sends SIGTERM (the way systemd stops the service).</summary>
    public void Terminate() => Signal("-TERM");

    /// <summary>Freezes the process (SIGSTOP), so a test can order what happens around it while it cannot act.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>Lets a paused process run on (SIGCONT).</summary>
    public void Resume() => Signal("-CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Exit code after a bounded wait (the test fails if the process does not exit).</summary>
    public int WaitForExit(TimeSpan limit)
    {
        if (!_process.WaitForExit(limit))
        {
            Assert.Fail($"kalki-edge run did not exit within {limit.TotalSeconds:0} s:\n{Output}");
        }

        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Terminate();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
