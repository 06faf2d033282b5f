using System.Diagnostics;
using System.Text.Json;
using KalkiEdge.Core;
using KalkiEdge.Export.Eve;
using KalkiEdge.Export.Events;

namespace KalkiEdge.UnitTests.Export;

public class EveFileSinkTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "kalki-eve-" + Guid.NewGuid().ToString("N")[..12]));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Lines_are_appended_and_the_file_is_rotated_by_size_keeping_the_configured_number()
    {
        var path = Path.Combine(_dir, "eve.json");
        using (var sink = new EveFileSink(new EveFileOptions(path) { RotateBytes = 4096, Keep = 2 }))
        {
            for (int i = 0; i < 100; i++)
            {
                sink.Publish(Event(i));
                WaitFor(() => sink.Counters.Written == i + 1); // one event per write: rotation is checked each time
            }

            Assert.That(sink.Counters.Rotations, Is.GreaterThan(2));
        }

        var files = new[] { path, path + ".1", path + ".2" };
        Assert.That(files.All(File.Exists), Is.True);
        Assert.That(File.Exists(path + ".3"), Is.False, "only 'keep' rotated files stay");
        var lines = files.Reverse().SelectMany(File.ReadAllLines).ToList();
        Assert.That(files.Select(f => new FileInfo(f).Length), Has.All.LessThanOrEqualTo(4096));
        var numbers = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kalki").GetProperty("count").GetInt32()).ToList();
        Assert.That(numbers, Is.Ordered.And.Unique);
        Assert.That(numbers[^1], Is.EqualTo(99), "the newest line is in the current file");
        Assert.That(OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
    }

    [Test]
    public void A_torn_last_line_left_by_a_crash_or_a_failed_write_is_cut_before_the_next_event_is_appended()
    {
        var path = Path.Combine(_dir, "eve.json");
        using (var sink = new EveFileSink(new EveFileOptions(path)))
        {
            sink.Publish(Event(1));
            WaitFor(() => sink.Counters.Written == 1);
        }

        var whole = File.ReadAllText(path);
        File.AppendAllText(path, whole[..(whole.Length / 2)]); // the second line, cut mid-way as power loss leaves it
        using (var sink = new EveFileSink(new EveFileOptions(path)))
        {
            Assert.That(sink.Counters.TornBytes, Is.EqualTo(whole.Length / 2));
            sink.Publish(Event(2));
            WaitFor(() => sink.Counters.Written == 1);
        }

        var lines = File.ReadAllLines(path);
        Assert.That(lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kalki").GetProperty("count").GetInt32()), Is.EqualTo(new[] { 1, 2 }), "whole JSON lines only, the torn one gone");
        Assert.That(TornLineRepair.Repair(path), Is.Zero, "a file ending in a newline is left alone");
    }

    [Test]
    public void Reopen_after_an_external_rename_starts_a_new_file_at_the_path()
    {
        var path = Path.Combine(_dir, "eve.json");
        using (var sink = new EveFileSink(new EveFileOptions(path)))
        {
            sink.Publish(Event(1));
            WaitFor(() => sink.Counters.Written == 1);
            File.Move(path, path + ".old"); // logrotate's rename
            sink.Reopen();
            WaitFor(() => sink.Counters.Reopens == 1);
            sink.Publish(Event(2));
            WaitFor(() => sink.Counters.Written == 2);
        }

        Assert.That(File.ReadAllLines(path + ".old"), Has.Length.EqualTo(1));
        Assert.That(File.ReadAllLines(path).Single(), Does.Contain("\"count\":2"));
    }

    [Test]
    public void A_flood_beyond_the_queue_is_dropped_and_counted_never_blocking_the_caller()
    {
        var path = Path.Combine(_dir, "eve.json");
        var sink = new EveFileSink(new EveFileOptions(path) { QueueCapacity = 16 });
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 100_000; i++)
        {
            sink.Publish(Event(i));
        }

        var publishing = clock.Elapsed;
        sink.Dispose();
        Assert.That(sink.Counters.Dropped, Is.GreaterThan(0));
        Assert.That(sink.Counters.Written + sink.Counters.Dropped, Is.EqualTo(100_000), "every event is written or counted");
        Assert.That(File.ReadAllLines(path), Has.Length.EqualTo(sink.Counters.Written));
        Assert.That(publishing, Is.LessThan(TimeSpan.FromSeconds(30)), "bounded: publishing only queues");
    }

    [Test]
    public void A_path_that_cannot_be_a_file_fails_at_start_with_the_reason()
    {
        var e = Assert.Catch(() => new EveFileSink(new EveFileOptions(_dir)).Dispose());
        Assert.That(e, Is.InstanceOf<IOException>().Or.InstanceOf<UnauthorizedAccessException>());
        Assert.That(e!.Message, Does.Contain(_dir));
    }

    internal static AlertEvent Event(int n) =>
        new(new Alert(AlertTypes.PortScan, "cam", AlertSource.Umbox, 1_796_413_579_000_000 + n, $"scan number {n} " + new string('x', 200)) { Count = n }, default);

    internal static void WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "condition not met within 10 s");
            Thread.Sleep(5);
        }
    }
}
