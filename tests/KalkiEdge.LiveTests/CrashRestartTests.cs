using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using KalkiEdge.LiveTests.Support;
using KalkiEdge.Store;
using Microsoft.Data.Sqlite;

namespace KalkiEdge.LiveTests;

/// <summary>
/// kill -9 of the real bridging appliance at seeded random points while a camera's state changes many times a
/// second (a default-credentials login every 100 ms moves it Normal → Suspicious → Attack, operator resets over the
/// control socket bring it back), then a restart as systemd does it (the image unit's RestartSec later). Across the
/// lives: every transition another reader saw committed before a kill is still in the store, every committed one is
/// whole, the restarted camera is in its last committed state with that state's chain, no heartbeat crosses the
/// bridge while the process is down, and heartbeats cross again after the restart. The number of transitions is
/// <c>KALKI_CRASH_TRANSITIONS</c> (default 60 in <c>make test</c>; <c>make crash-test</c> runs 1,000).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class CrashRestartTests : TestbedFixture
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private static int Transitions => int.Parse(Environment.GetEnvironmentVariable("KALKI_CRASH_TRANSITIONS") ?? "60", CultureInfo.InvariantCulture);

    [Test]
    public void Kill_9_at_random_points_of_many_transitions_loses_no_committed_one_resumes_the_committed_chain_and_bridges_nothing_while_down()
    {
        Assert.That(Stopwatch.Frequency, Is.EqualTo(1_000_000_000), "Stopwatch reads CLOCK_MONOTONIC in ns, as the heartbeats do");
        var restartDelay = UnitRestartDelay();
        var data = Path.Combine(_configs.Dir, "data-" + Guid.NewGuid().ToString("N")[..6]);
        var socket = Path.Combine(_configs.Dir, $"ctl-{Guid.NewGuid().ToString("N")[..6]}.sock");
        var config = _configs.Write(_testbed, types: new Dictionary<string, string> { ["cam"] = "dlink-camera" },
            sections: $"data-dir: {data}\nmanagement: {{listen: \"127.0.0.1:0\", control-socket: {socket}}}");
        var db = Path.Combine(data, "kalki-edge.db");
        var random = new Random(1207);
        var table = new List<string> { "life | seen committed by a reader just before the kill | in the store after the restart | state after restart | chain | heartbeats while down | restart → first line / management up / warmed up / bridge up | restart → first frame across" };
        var forwardTimes = new List<double>();
        var bridgingTimes = new List<double>();
        using var client = new ControlSocketClient(socket, TimeSpan.FromSeconds(30));
        ApplianceProcess? appliance = Start(config, client);
        var beats = Heartbeats.Start(_testbed, _configs.Dir, 0);
        try
        {
            for (int life = 1; ReadTransitions(db) < Transitions; life++)
            {
                var stopLogins = Path.Combine(_configs.Dir, $"stop-login-{life}");
                var logins = _testbed.RunInBackground("attacker", "heartbeat", "login", "--target", _testbed["cam"].Ip, "--dst-mac", _testbed["cam"].Mac, "--interval-ms", "100", "--stop-file", stopLogins, "--duration", "600");
                using var stopResets = new CancellationTokenSource();
                var resets = Task.Run(() => client.ResetUntil("cam", TimeSpan.FromMilliseconds(150), stopResets.Token));

                // Killed at a random point: after a random number of further commits, a random few milliseconds on.
                var target = ReadTransitions(db) + random.Next(4, 30);
                WaitUntil(() => ReadTransitions(db) >= target, $"life {life}: {target} transitions committed", appliance);
                Thread.Sleep(random.Next(0, 100));
                var seen = ReadTransitions(db);
                appliance.Kill();
                var killedAt = Stopwatch.GetTimestamp();
                stopResets.Cancel();
                File.WriteAllText(stopLogins, "");
                Assert.That(resets.Wait(Bound) && logins.Wait(Bound), Is.True, $"life {life}: the traffic tools stopped");

                var committed = CheckStore(db, seen, life);
                Thread.Sleep(restartDelay); // systemd's RestartSec
                var restartedAt = Stopwatch.GetTimestamp();
                appliance.Dispose();
                appliance = null;
                appliance = Start(config, client);
                var firstAcross = beats.WaitForFirstSentAfter(restartedAt, Bound);
                var whileDown = beats.Across(killedAt, restartedAt);
                Assert.That(whileDown, Is.Zero, $"life {life}: nothing crosses the bridge while the appliance is down");
                var forward = Stopwatch.GetElapsedTime(restartedAt, firstAcross).TotalSeconds;
                var marks = StartupMarks.Select(m => Stopwatch.GetElapsedTime(restartedAt, appliance.FirstLineAt(m)).TotalSeconds).ToList();
                var bridging = marks[^1];
                forwardTimes.Add(forward);
                bridgingTimes.Add(bridging);
                beats.Dispose();
                beats = Heartbeats.Start(_testbed, _configs.Dir, life);

                var (state, chain) = CameraNow(client);
                var expected = committed.TryGetValue("cam", out var c) ? c : null;
                Assert.That(state, Is.EqualTo(expected?.State ?? "Normal"), $"life {life}: the camera resumes its last committed state");
                Assert.That(chain, Is.EqualTo(expected?.Image ?? "camera-normal"), $"life {life}: with that state's chain");
                Assert.That(chain, Is.EqualTo(CameraChains[state]), $"life {life}: the chain is the pack's for {state}");
                table.Add($"{life} | {seen} | {ReadTransitions(db)} | {state} | {chain} | {whileDown} | {string.Join(" / ", marks.Select(m => m.ToString("F2", CultureInfo.InvariantCulture)))} s | {forward:F2} s");
                TestContext.Progress.WriteLine(table[^1]);
            }
        }
        finally
        {
            beats.Dispose();
            appliance?.Dispose();
        }

        TestContext.Out.WriteLine(string.Join('\n', table));
        TestContext.Out.WriteLine($"restart (RestartSec {restartDelay.TotalSeconds:0.#} s later) → first frame across: {Spread(forwardTimes)}; → the appliance's bridge up: {Spread(bridgingTimes)}; " +
            $"over {forwardTimes.Count} restarts (design bound 5 s on an idle appliance; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        Assert.That(forwardTimes.Max(), Is.LessThan(Bound.TotalSeconds), "every restart forwards again");
    }

    /// <summary>
    /// The line the appliance prints once its bridge runs. The first heartbeat crosses within milliseconds of it (the
    /// sender writes raw frames to a fixed MAC, so no neighbour resolution is on the path): the time from a restart to
    /// the first frame across is the appliance's own start-up, not the testbed's.
    /// </summary>
    private static bool BridgeLine(string line) => line.Contains("KalkiEdge live bridge", StringComparison.Ordinal);

    /// <summary>Where a start-up spends its time: the first console line (runtime and config loaded), the management
    /// server up, the warm-up done, the bridge up.</summary>
    private static readonly Func<string, bool>[] StartupMarks =
    [
        _ => true,
        l => l.Contains("management server on", StringComparison.Ordinal),
        l => l.Contains("warmed up the data and control planes", StringComparison.Ordinal),
        BridgeLine,
    ];

    private static string Spread(List<double> seconds) =>
        $"median {seconds.Order().ElementAt(seconds.Count / 2):F2} s, max {seconds.Max():F2} s";

    /// <summary>The dlink-camera pack's chain per state (umboxes/packs/dlink-camera.yaml).</summary>
    private static readonly Dictionary<string, string> CameraChains = new() { ["Normal"] = "camera-normal", ["Suspicious"] = "camera-strict", ["Attack"] = "block-all" };

    private ApplianceProcess Start(string config, ControlSocketClient client)
    {
        var appliance = ApplianceProcess.StartBridging(_testbed, config);
        if (!client.WaitUntilServing(Bound))
        {
            appliance.Dispose();
            Assert.Fail($"the control socket did not answer within {Bound.TotalSeconds} s\nstdout: {appliance.Stdout}\nstderr: {appliance.Stderr}");
        }

        return appliance;
    }

    /// <summary>The image unit's RestartSec= (how long systemd waits before starting the killed firmware again).</summary>
    private static TimeSpan UnitRestartDelay()
    {
        var unit = File.ReadAllText(Path.Combine(RepoPaths.Root, "image-build", "overlay", "usr", "lib", "systemd", "system", "kalki-edge.service"));
        Assert.That(unit, Does.Contain("\nRestart=always\n"), "the unit restarts the firmware whatever ended it");
        var seconds = RestartSec().Match(unit);
        Assert.That(seconds.Success, Is.True, "the unit sets RestartSec in seconds");
        return TimeSpan.FromSeconds(double.Parse(seconds.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Committed transitions, read by a connection of the test's own (as a consumer would), or 0 before the store exists.</summary>
    private static long ReadTransitions(string db)
    {
        if (!File.Exists(db))
        {
            return 0;
        }

        try
        {
            using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM transitions";
            return (long)cmd.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            return 0; // not created or not migrated yet
        }
    }

    /// <summary>With the process dead: the file is sound, nothing seen committed is gone, every transition is whole.</summary>
    private static Dictionary<string, CommittedDeviceState> CheckStore(string db, long seen, int life)
    {
        using var store = KalkiStore.Open(db);
        Assert.That(store.Column("PRAGMA integrity_check").Single(), Is.EqualTo("ok"), $"life {life}");
        var transitions = store.Count("transitions");
        Assert.That(transitions, Is.GreaterThanOrEqualTo(seen), $"life {life}: every transition committed before the kill is still there");
        Assert.That(store.Count("stage_logs"), Is.EqualTo(4 * transitions), $"life {life}: four stages per transition");
        Assert.That(store.Count("device_state_history"), Is.EqualTo(transitions), $"life {life}: one history row per transition");
        return store.LoadDeviceStates();
    }

    private static (string State, string Chain) CameraNow(ControlSocketClient client)
    {
        var devices = client.TryDevices();
        Assert.That(devices, Is.Not.Null, "the restarted appliance answers on its control socket");
        var cam = devices!.Value.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "cam");
        return (cam.GetProperty("state").GetString()!, cam.GetProperty("chain").GetString()!);
    }

    private static void WaitUntil(Func<bool> condition, string what, ApplianceProcess appliance)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Bound)
            {
                Assert.Fail($"not within {Bound.TotalSeconds} s: {what}\nstdout: {appliance.Stdout}\nstderr: {appliance.Stderr}");
            }

            Thread.Sleep(20);
        }
    }

    [GeneratedRegex(@"\nRestartSec=(\d+(?:\.\d+)?)s?\n")]
    private static partial Regex RestartSec();

    /// <summary>
    /// Numbered heartbeats from the cloud to the Hue bridge (a pass chain) through the appliance: the receiver logs
    /// each arrival with its send and receive times (CLOCK_MONOTONIC, the clock <see cref="Stopwatch"/> reads here).
    /// </summary>
    private sealed class Heartbeats : IDisposable
    {
        private readonly string _log;
        private readonly string _stop;
        private readonly Task _sender;
        private readonly Task _receiver;

        private Heartbeats(string log, string stop, Task sender, Task receiver)
        {
            _log = log;
            _stop = stop;
            _sender = sender;
            _receiver = receiver;
        }

        public static Heartbeats Start(Testbed testbed, string dir, int n)
        {
            var log = Path.Combine(dir, $"beats-{n}.log");
            var stop = Path.Combine(dir, $"stop-beats-{n}");
            var port = (9100 + n).ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(log, "");
            var receiver = testbed.RunInBackground("hue", "heartbeat", "recv", "--port", port, "--log", log, "--stop-file", stop, "--duration", "600");
            Thread.Sleep(300); // the receiver binds before the first heartbeat leaves (lost ones are only not counted)
            var sender = testbed.RunInBackground("cloud", "heartbeat", "send", "--target", testbed["hue"].Ip, "--dst-mac", testbed["hue"].Mac, "--port", port, "--interval-ms", "10", "--stop-file", stop, "--duration", "600");
            return new Heartbeats(log, stop, sender, receiver);
        }

        /// <summary>The receive time of the first heartbeat sent after <paramref name="since"/> (a timestamp).</summary>
        public long WaitForFirstSentAfter(long since, TimeSpan limit)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < limit)
            {
                if (Arrivals().Where(a => a.Sent > since).Select(a => a.Received).DefaultIfEmpty(-1).Min() is > 0 and var received)
                {
                    return received;
                }

                Thread.Sleep(20);
            }

            Assert.Fail($"no heartbeat crossed within {limit.TotalSeconds} s of the restart");
            return 0;
        }

        /// <summary>Heartbeats sent or received between the two timestamps.</summary>
        public int Across(long from, long to) =>
            Arrivals().Count(a => (a.Sent > from && a.Sent < to) || (a.Received > from && a.Received < to));

        public void Dispose()
        {
            File.WriteAllText(_stop, "");
            Task.WaitAll([_sender, _receiver], Bound);
        }

        private IEnumerable<(long Sent, long Received)> Arrivals()
        {
            foreach (var line in File.ReadAllLines(_log))
            {
                var parts = line.Split(' ');
                if (parts.Length == 3 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var sent) && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var received))
                {
                    yield return (sent, received);
                }
            }
        }
    }
}
