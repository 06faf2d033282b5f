using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using KalkiEdge.Host.Logging;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.UnitTests.Host;

/// <summary>
/// Log records in journald's native protocol: the wire format read back from a datagram socket of the test's own,
/// then a real systemd-journald (started in a mount namespace of its own, so the machine's journal is untouched)
/// filing them under their priority with their structured fields.
/// </summary>
public partial class JournalNativeTests
{
    private const string Journald = "/lib/systemd/systemd-journald";

    [Test]
    public void A_record_carries_its_priority_its_structured_values_as_fields_and_multi_line_text_intact()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "journal.socket");
        using var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journal.Bind(new UnixDomainSocketEndPoint(path));
        using (var provider = new JournalNativeProvider(path, "kalki-edge"))
        {
            var logger = provider.CreateLogger("KalkiEdge.Fleet");
            CaptureLoss(logger, "eth1", 1234);
            logger.LogError(new EventId(7), "first line\nsecond line with = sign");
        }

        var warning = Receive(journal);
        Assert.That(warning["PRIORITY"], Is.EqualTo("4"), "a warning is what journalctl -p warning selects");
        Assert.That(warning["MESSAGE"], Is.EqualTo("capture on eth1 lost 1234 frames"));
        Assert.That((warning["KALKI_PORT"], warning["KALKI_LOST_FRAMES"]), Is.EqualTo(("eth1", "1234")));
        Assert.That((warning["SYSLOG_IDENTIFIER"], warning["KALKI_CATEGORY"], warning["KALKI_EVENT_ID"]), Is.EqualTo(("kalki-edge", "KalkiEdge.Fleet", "90")));
        Assert.That(warning.Keys, Has.None.Contains("ORIGINAL"), "the template is not a field");

        var error = Receive(journal);
        Assert.That((error["PRIORITY"], error["MESSAGE"]), Is.EqualTo(("3", "first line\nsecond line with = sign")), "a value with a newline travels length-prefixed");
    }

    [TestCase("AlertType", "KALKI_ALERT_TYPE")]
    [TestCase("Device", "KALKI_DEVICE")]
    [TestCase("ReactionMicros", "KALKI_REACTION_MICROS")]
    [TestCase("odd-name.x", "KALKI_ODD_NAME_X")]
    [TestCase("", null)]
    public void Field_names_are_upper_snake_case_with_the_kalki_prefix(string key, string? field) =>
        Assert.That(JournalFields.FieldName(key), Is.EqualTo(field));

    [Test]
    public void A_journal_that_is_not_there_is_refused_at_once()
    {
        using var dir = new TempDir();
        Assert.Throws<SocketException>(() => new JournalNativeProvider(Path.Combine(dir.Path, "none"), "kalki-edge").Dispose());
    }

    [Test]
    public void A_real_journald_files_records_under_their_priority_with_their_fields()
    {
        Assert.That(File.Exists(Journald), Is.True, $"{Journald} (Debian's systemd; make test installs it)");
        // journald in a mount namespace of its own, its sockets and journal on tmpfs there; the test reaches them
        // through /proc/PID/root, which resolves paths in that namespace.
        var script = "set -e; mount -t tmpfs none /run/systemd 2>/dev/null || { mkdir -p /run/systemd; mount -t tmpfs none /run/systemd; }; "
            + "mkdir -p /run/systemd/journal /run/log; mount -t tmpfs none /run/log; "
            + "if [ -d /var/log/journal ]; then mount -t tmpfs none /var/log/journal; fi; exec " + Journald;
        using var journald = Process.Start(new ProcessStartInfo("unshare", ["-m", "sh", "-c", script]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            var root = $"/proc/{journald.Id}/root";
            var socket = root + "/run/systemd/journal/socket";
            Until(() => File.Exists(socket), "journald made its socket");
            var marker = Guid.NewGuid().ToString("N");
            using (var provider = new JournalNativeProvider(socket, "kalki-edge-test"))
            {
                var logger = provider.CreateLogger("KalkiEdge.Capture");
                CaptureLoss(logger, marker, 42);
                logger.LogInformation("an ordinary line {Marker}", marker);
            }

            List<JsonElement> warnings = [];
            Until(() => (warnings = Journalctl(root, "-p", "warning", "SYSLOG_IDENTIFIER=kalki-edge-test")).Count > 0 && Journalctl(root, "SYSLOG_IDENTIFIER=kalki-edge-test").Count >= 2, "journald filed both records");
            Assert.That(warnings, Has.Count.EqualTo(1), "only the warning is at priority warning or above");
            var w = warnings[0];
            Assert.That(w.GetProperty("MESSAGE").GetString(), Is.EqualTo($"capture on {marker} lost 42 frames"));
            Assert.That((w.GetProperty("PRIORITY").GetString(), w.GetProperty("KALKI_PORT").GetString(), w.GetProperty("KALKI_LOST_FRAMES").GetString()), Is.EqualTo(("4", marker, "42")));
            Assert.That(Journalctl(root, $"KALKI_PORT={marker}"), Has.Count.EqualTo(1), "journalctl selects by a structured field");
        }
        finally
        {
            journald.Kill();
            journald.WaitForExit(10_000);
        }
    }

    [LoggerMessage(EventId = 90, Level = LogLevel.Warning, Message = "capture on {Port} lost {LostFrames} frames")]
    private static partial void CaptureLoss(ILogger logger, string port, long lostFrames);

    /// <summary>The fields of the next datagram (native protocol: NAME=value lines, or NAME, a 64-bit length and the bytes).</summary>
    private static Dictionary<string, string> Receive(Socket journal)
    {
        journal.ReceiveTimeout = 30_000;
        var buffer = new byte[64 * 1024];
        int n = journal.Receive(buffer);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int at = 0; at < n;)
        {
            int end = Array.IndexOf(buffer, (byte)'\n', at, n - at);
            int eq = Array.IndexOf(buffer, (byte)'=', at, end - at);
            if (eq >= 0)
            {
                fields[Encoding.ASCII.GetString(buffer, at, eq - at)] = Encoding.UTF8.GetString(buffer, eq + 1, end - eq - 1);
                at = end + 1;
            }
            else
            {
                var name = Encoding.ASCII.GetString(buffer, at, end - at);
                int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(end + 1, 8));
                fields[name] = Encoding.UTF8.GetString(buffer, end + 9, length);
                Assert.That(buffer[end + 9 + length], Is.EqualTo((byte)'\n'));
                at = end + 10 + length;
            }
        }

        return fields;
    }

    private static List<JsonElement> Journalctl(string root, params string[] args)
    {
        var psi = new ProcessStartInfo("journalctl", ["-D", root + "/run/log/journal", "-o", "json", "--no-pager", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit(30_000);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static void Until(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), $"{what}: not within 60 s");
            Thread.Sleep(100);
        }
    }
}
