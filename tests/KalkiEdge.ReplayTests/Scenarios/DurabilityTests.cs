using System.Diagnostics;
using System.Text.Json;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Appliance.Simulation;
using KalkiEdge.Store;

namespace KalkiEdge.ReplayTests.Scenarios;

/// <summary>The store across process lives: a clean exit, and kill -9 in the middle of a run.</summary>
public class DurabilityTests
{
    private static readonly ScenarioDevice[] Devices = [.. PackScenarios.Types.Select((t, i) => PackScenarios.Device(t, i))];

    [Test]
    public void A_restarted_appliance_resumes_every_device_in_its_committed_state_and_chain()
    {
        using var dir = new TempDir();
        var config = WriteConfig(dir);
        var attacks = new Timeline();
        foreach (var d in Devices)
        {
            PackScenarios.Attack(attacks, d, PackScenarios.Start);
        }

        attacks.WritePcap(dir.File("attacks.pcap"));
        var first = KalkiEdgeCli.Run("replay", "--pcap", dir.File("attacks.pcap"), "--config", config, "--json", "--persist");
        Assert.That(first.ExitCode, Is.EqualTo(0), first.Stderr);

        var second = KalkiEdgeCli.Run("replay", "--pcap", Benign(dir), "--config", config, "--json", "--persist");
        Assert.That(second.ExitCode, Is.EqualTo(0), second.Stderr);
        Assert.That(second.OfKind("transition"), Is.Empty, "nothing happened in the second life");
        foreach (var d in Devices)
        {
            var summary = second.Summary.GetProperty("devices").GetProperty(d.Host.Name);
            Assert.That(summary.GetProperty("state").GetString(), Is.EqualTo("Attack"), d.Host.Name);
            Assert.That(summary.GetProperty("chain").GetString(), Is.EqualTo(first.Summary.GetProperty("devices").GetProperty(d.Host.Name).GetProperty("chain").GetString()));
        }
    }

    [Test]
    public void Kill_9_in_the_middle_of_a_run_leaves_a_consistent_store_and_committed_states_come_back()
    {
        using var dir = new TempDir();
        var config = WriteConfig(dir);
        var pcap = AttacksThenBusy(dir, 400_000); // busy after the attacks so the kill lands while it runs

        using (var p = StartReplay(pcap, config))
        {
            int attacks = 0;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (attacks < Devices.Length && DateTime.UtcNow < deadline && p.StandardOutput.ReadLine() is { } line)
            {
                var json = JsonDocument.Parse(line).RootElement;
                attacks += json.GetProperty("kind").GetString() == "transition" && json.GetProperty("to").GetString() == "Attack" ? 1 : 0;
            }

            Assert.That(p.HasExited, Is.False, "the run must still be going when it is killed");
            p.Kill(); // SIGKILL: no flush, no dispose
            p.WaitForExit();
            Assert.That(attacks, Is.EqualTo(Devices.Length));
        }

        Dictionary<string, CommittedDeviceState> committed;
        using (var store = KalkiStore.Open(Path.Combine(dir.Path, "data", "kalki-edge.db")))
        {
            Assert.That(store.Column("PRAGMA integrity_check").Single(), Is.EqualTo("ok"));
            committed = store.LoadDeviceStates();
            // Each committed transition is whole: four stages, one history row, one chain instance.
            Assert.That(store.Count("stage_logs"), Is.EqualTo(4 * store.Count("transitions")));
            Assert.That(store.Count("device_state_history"), Is.EqualTo(store.Count("transitions")));
            Assert.That(store.Count("chain_instances"), Is.EqualTo(store.Count("transitions")));
        }

        var restarted = KalkiEdgeCli.Run("replay", "--pcap", Benign(dir), "--config", config, "--json", "--persist");
        Assert.That(restarted.ExitCode, Is.EqualTo(0), restarted.Stderr);
        foreach (var d in Devices)
        {
            var expected = committed.TryGetValue(d.Host.Name, out var c) ? c.State : "Normal";
            var summary = restarted.Summary.GetProperty("devices").GetProperty(d.Host.Name);
            Assert.That(summary.GetProperty("state").GetString(), Is.EqualTo(expected), d.Host.Name);
            if (c?.Image is { } image)
            {
                Assert.That(summary.GetProperty("chain").GetString(), Is.EqualTo(image), d.Host.Name);
            }
        }
    }

    [Test]
    public void Kill_9_at_seeded_random_moments_never_leaves_a_corrupt_store_or_half_a_transition()
    {
        // Eight lives on one store: odd lives are killed at a random moment after the process starts (opening,
        // migrating, syncing the packs), even lives a random moment after their k-th transition is reported (while
        // the writer commits). After each: the file is sound, every committed transition is whole, and the next
        // start resumes exactly the committed states. Seeded, so a failure repeats.
        using var dir = new TempDir();
        var config = WriteConfig(dir);
        var pcap = AttacksThenBusy(dir, 100_000);
        var random = new Random(1204);
        var table = new List<string> { "life | killed | exited first | transitions committed | restart" };
        for (int life = 1; life <= 8; life++)
        {
            int afterTransitions = life % 2 == 0 ? random.Next(1, Devices.Length + 1) : 0;
            var delay = afterTransitions > 0 ? random.Next(0, 50) : random.Next(0, 2500);
            bool exited;
            using (var p = StartReplay(pcap, config))
            {
                _ = p.StandardError.ReadToEndAsync();
                var deadline = DateTime.UtcNow.AddSeconds(60);
                for (int seen = 0; seen < afterTransitions && DateTime.UtcNow < deadline && p.StandardOutput.ReadLine() is { } line;)
                {
                    seen += line.Contains("\"kind\":\"transition\"", StringComparison.Ordinal) ? 1 : 0;
                }

                _ = p.StandardOutput.ReadToEndAsync();
                exited = p.WaitForExit(delay);
                if (!exited)
                {
                    p.Kill(); // SIGKILL: no flush, no dispose
                }

                p.WaitForExit();
            }

            Dictionary<string, CommittedDeviceState> committed;
            long transitions;
            using (var store = KalkiStore.Open(Path.Combine(dir.Path, "data", "kalki-edge.db")))
            {
                Assert.That(store.Column("PRAGMA integrity_check").Single(), Is.EqualTo("ok"), $"life {life}");
                committed = store.LoadDeviceStates();
                transitions = store.Count("transitions");
                Assert.That(store.Count("stage_logs"), Is.EqualTo(4 * transitions), $"life {life}");
                Assert.That(store.Count("device_state_history"), Is.EqualTo(transitions), $"life {life}");
                Assert.That(store.Count("chain_instances"), Is.EqualTo(transitions), $"life {life}");
            }

            var restarted = KalkiEdgeCli.Run("replay", "--pcap", Benign(dir), "--config", config, "--json", "--persist");
            Assert.That(restarted.ExitCode, Is.EqualTo(0), $"life {life}: {restarted.Stderr}");
            foreach (var d in Devices)
            {
                var expected = committed.TryGetValue(d.Host.Name, out var c) ? c.State : "Normal";
                Assert.That(restarted.Summary.GetProperty("devices").GetProperty(d.Host.Name).GetProperty("state").GetString(), Is.EqualTo(expected), $"life {life}: {d.Host.Name}");
            }

            var when = afterTransitions > 0 ? $"{delay} ms after transition {afterTransitions}" : $"{delay} ms after start";
            table.Add($"{life} | {when} | {(exited ? "yes" : "no")} | {transitions} | committed states resumed");
        }

        TestContext.Out.WriteLine(string.Join('\n', table));
    }

    [Test]
    public void A_paired_device_whose_commit_completed_survives_kill_9()
    {
        // Pairing admits before the store commits. Once the commit is seen in the file (another connection reads
        // it), a kill -9 must not lose the device: the next start has it registered, in force, in its initial state.
        using var dir = new TempDir();
        var config = dir.File("site.yaml");
        File.WriteAllText(config, $"umboxes: {SiteConfigLoader.DefaultUmboxesDir()}\nunknown-devices: drop\ndevices: []\ndata-dir: {Path.Combine(dir.Path, "data")}\n");
        var hue = new KalkiEdge.Appliance.Simulation.Host("hue", "00:17:88:5e:6f:70", "192.0.2.21");
        var timeline = new Timeline();
        var end = PairingTraffic.Introduce(timeline, PairingTraffic.Hue, hue, PackScenarios.Start + Micros.Second);
        var payload = new byte[64];
        var group = new KalkiEdge.Appliance.Simulation.Host("mdns", "01:00:5e:00:00:fb", "224.0.0.251");
        for (int i = 0; i < 400_000; i++)
        {
            // Keeps the run going after the window closed: network-side multicast, no device's business.
            timeline.Add(end + (300 * Micros.Second) + i, PacketFactory.Udp(PackScenarios.Cloud, group, 5353, 5353, payload));
        }

        var pcap = dir.File("pairing.pcap");
        timeline.WritePcap(pcap);
        var db = Path.Combine(dir.Path, "data", "kalki-edge.db");
        string? device = null;
        using (var p = StartReplay(pcap, config, "--pair-window", "0", "--network-mac", PairingTraffic.Gateway.Mac))
        {
            _ = p.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (device is null && DateTime.UtcNow < deadline && p.StandardOutput.ReadLine() is { } line)
            {
                var json = JsonDocument.Parse(line).RootElement;
                device = json.GetProperty("kind").GetString() == "paired" && json.GetProperty("admitted").GetBoolean() ? json.GetProperty("device").GetString() : null;
            }

            _ = p.StandardOutput.ReadToEndAsync();
            Assert.That(device, Is.Not.Null, "the Hue bridge is paired");
            while (!Committed(db, device!) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }

            Assert.That(p.HasExited, Is.False, "the run must still be going when it is killed");
            p.Kill(); // SIGKILL: no flush, no dispose
            p.WaitForExit();
        }

        Assert.That(Committed(db, device!), Is.True, "the commit completed before the kill");
        var restarted = KalkiEdgeCli.Run("replay", "--pcap", Benign(dir), "--config", config, "--json", "--persist");
        Assert.That(restarted.ExitCode, Is.EqualTo(0), restarted.Stderr);
        var summary = restarted.Summary.GetProperty("devices").GetProperty(device!);
        Assert.That(summary.GetProperty("state").GetString(), Is.EqualTo("Normal"));
    }

    private static bool Committed(string db, string device)
    {
        if (!File.Exists(db))
        {
            return false;
        }

        try
        {
            using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM runtime_devices WHERE name = $n";
            cmd.Parameters.AddWithValue("$n", device);
            return (long)cmd.ExecuteScalar()! == 1;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return false; // not created or not migrated yet
        }
    }

    /// <summary>Every device attacked, then <paramref name="busyFrames"/> benign frames to keep the run going.</summary>
    private static string AttacksThenBusy(TempDir dir, int busyFrames)
    {
        var timeline = new Timeline();
        long end = PackScenarios.Start;
        foreach (var d in Devices)
        {
            end = Math.Max(end, PackScenarios.Attack(timeline, d, PackScenarios.Start));
        }

        var payload = new byte[64];
        for (int i = 0; i < busyFrames; i++)
        {
            timeline.Add(end + i, PacketFactory.Udp(PackScenarios.Cloud, Devices[0].Host, 5353, 5353, payload));
        }

        var pcap = dir.File("long.pcap");
        timeline.WritePcap(pcap);
        return pcap;
    }

    /// <summary>`replay --persist --json` as a child process whose output the test reads.</summary>
    private static Process StartReplay(string pcap, string config, params string[] more)
    {
        return Process.Start(Firmware.StartInfo(["replay", "--pcap", pcap, "--config", config, "--json", "--persist", .. more]))!;
    }

    private static string WriteConfig(TempDir dir)
    {
        var config = dir.File("site.yaml");
        File.WriteAllText(config, PackScenarios.SiteConfig(SiteConfigLoader.DefaultUmboxesDir(), Devices) + $"data-dir: {Path.Combine(dir.Path, "data")}\n");
        return config;
    }

    private static string Benign(TempDir dir)
    {
        var t = new Timeline();
        t.Add(PackScenarios.Start + (3600 * Micros.Second), PacketFactory.Udp(PackScenarios.Cloud, Devices[0].Host, 5353, 5353, new byte[8]));
        var path = dir.File("benign.pcap");
        t.WritePcap(path);
        return path;
    }
}
