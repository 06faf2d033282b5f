using System.Diagnostics;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Ips.Peer;

/// <summary>One alert as (packet number in the capture, sid): what both engines must agree on.</summary>
public readonly record struct PeerAlert(long Packet, long Sid)
{
    public override string ToString() => $"#{Packet}:sid {Sid}";
}

/// <summary>
/// Runs the same rules over the same capture through Suricata 7 (offline, single thread, checksums off, the
/// minimal configuration in tests/peers/suricata.yaml) and through KalkiEdge's ips element.
/// </summary>
public static class SuricataPeer
{
    public const string InstallHint = "Suricata 7 is required for the IPS peer check and was not found: run 'sudo tests/peers/install-suricata.sh' (make test does this).";

    private static readonly Lazy<string?> Binary = new(() =>
        Find([.. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'), "/usr/bin", "/usr/sbin"]));

    public static string ConfigPath => Path.Combine(RepoPaths.Root, "tests", "peers", "suricata.yaml");

    /// <summary>Fails the test (never skips) when Suricata 7 is missing.</summary>
    public static string RequireSuricata() => Require(Binary.Value);

    public static string Require(string? path)
    {
        if (path is null)
        {
            Assert.Fail(InstallHint);
        }

        return path!;
    }

    public static List<PeerAlert> RunSuricata(string rules, PeerCapture capture, string? rulesPath = null, params string[] extraArgs)
    {
        var suricata = RequireSuricata();
        var dir = Directory.CreateTempSubdirectory("kalkiedge-peer-").FullName;
        var pcap = Path.Combine(dir, "capture.pcap");
        capture.WritePcap(pcap);
        if (rulesPath is null)
        {
            rulesPath = Path.Combine(dir, "test.rules");
            File.WriteAllText(rulesPath, rules);
        }

        var log = Path.Combine(dir, "log");
        Directory.CreateDirectory(log);
        var psi = new ProcessStartInfo(suricata)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-c", ConfigPath, "-r", pcap, "-S", rulesPath, "--runmode", "single", "-k", "none", "-l", log }.Concat(extraArgs))
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"suricata did not finish within 120 s ({dir})");
        }

        if (process.ExitCode != 0)
        {
            Assert.Fail($"suricata exited with {process.ExitCode} ({dir}):\n{stdout.Result}\n{stderr.Result}");
        }

        var alerts = new List<PeerAlert>();
        var eve = Path.Combine(log, "eve.json");
        if (File.Exists(eve))
        {
            foreach (var line in File.ReadLines(eve))
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.GetProperty("event_type").GetString() == "alert")
                {
                    alerts.Add(new PeerAlert(root.GetProperty("pcap_cnt").GetInt64(), root.GetProperty("alert").GetProperty("signature_id").GetInt64()));
                }
            }
        }

        Directory.Delete(dir, recursive: true);
        return Sorted(alerts);
    }

    /// <summary>Our alerts for the same capture: every packet through <c>ips(...)</c>, in order, with its timestamp.</summary>
    public static List<PeerAlert> RunKalkiEdge(string rules, PeerCapture capture, string chainArgs = "", string? rulesFile = null)
    {
        var h = rulesFile is null
            ? IpsTestSupport.Harness($"ips(rules: peer.rules{chainArgs})", ("peer.rules", rules))
            : new ChainHarness($"ips(rules: {rulesFile}{chainArgs})");
        foreach (var (time, bytes) in capture.Packets)
        {
            h.NowMicros = time;
            h.Run(bytes, Direction.ToDevice);
        }

        return Sorted([.. h.Sink.OfType(AlertTypes.Ips).Select(a => new PeerAlert(a.FrameNumber!.Value, a.Sid!.Value))]);
    }

    /// <summary>Runs both and asserts equality; returns the alerts so tests can also check they are the intended ones.</summary>
    public static List<PeerAlert> AssertSameAlerts(string rules, PeerCapture capture)
    {
        var theirs = RunSuricata(rules, capture);
        var ours = RunKalkiEdge(rules, capture);
        Assert.That(ours, Is.EqualTo(theirs),
            $"only ours: {string.Join(" ", ours.Except(theirs))}\nonly suricata: {string.Join(" ", theirs.Except(ours))}\nsuricata: {string.Join(" ", theirs)}");
        return ours;
    }

    /// <summary>
    /// For captures with reassembled TCP sessions. Suricata (inline) inspects each data segment with the stream data
    /// before it and so repeats a match on every later segment of the request and of the next ones; the ips element
    /// alerts once per turn. So both sides are compared per (sid, flow, direction, turn) — the first alert of each —
    /// and every alert of ours must also be one of Suricata's (same packet, same sid). Alerts outside sessions stay
    /// per packet.
    /// </summary>
    public static List<PeerAlert> AssertSameStreamAlerts(string rules, PeerCapture capture)
    {
        var theirs = RunSuricata(rules, capture);
        // Every alert counts here: the element's per-rule alert cap would fold a flood of overlap alerts into counts.
        var ours = RunKalkiEdge(rules, capture, ", alert-cap: 1000000");
        var turns = StreamTurns.Of(capture);
        var firstTheirs = StreamTurns.FirstPerTurn(theirs, turns);
        var firstOurs = StreamTurns.FirstPerTurn(ours, turns);
        Assert.That(firstOurs, Is.EqualTo(firstTheirs),
            $"per (sid, flow, turn) only ours: {string.Join(" ", firstOurs.Except(firstTheirs))}\nonly suricata: {string.Join(" ", firstTheirs.Except(firstOurs))}\nsuricata: {string.Join(" ", theirs)}\nours: {string.Join(" ", ours)}");
        Assert.That(ours.Except(theirs), Is.Empty, $"every alert of ours is one of Suricata's; not: {string.Join(" ", ours.Except(theirs))}");
        return ours;
    }

    private static List<PeerAlert> Sorted(List<PeerAlert> alerts) =>
        [.. alerts.OrderBy(a => a.Packet).ThenBy(a => a.Sid)];

    /// <summary>The first <c>suricata</c> in the directories that reports version 7, or null.</summary>
    public static string? Find(IEnumerable<string> directories)
    {
        foreach (var dir in directories)
        {
            var candidate = Path.Combine(dir, "suricata");
            if (File.Exists(candidate) && VersionOf(candidate).StartsWith('7'))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string VersionOf(string path)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(path, "-V") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var marker = "version ";
            int at = text.IndexOf(marker, StringComparison.Ordinal);
            return at < 0 ? "" : text[(at + marker.Length)..];
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
