using System.Text;
using KalkiEdge.Store;

namespace KalkiEdge.UnitTests.Export.Fleet;

/// <summary>The on-disk outbox on a real SQLite file: order, bounds, and a disk that refuses.</summary>
public class FleetOutboxTests
{
    [Test]
    public void Messages_come_back_in_order_and_survive_reopening()
    {
        using var dir = new TempDir();
        var path = dir.File("kalki-edge.db");
        KalkiStore.Open(path).Dispose();
        using (var outbox = FleetOutbox.Open(path, 10))
        {
            Assert.That(outbox.Append([.. Enumerable.Range(1, 5).Select(i => ("t", Encoding.ASCII.GetBytes($"m{i}")))], 1), Is.True);
        }

        using var reopened = FleetOutbox.Open(path, 10);
        Assert.That(reopened.Count, Is.EqualTo(5));
        var first = reopened.Oldest(3);
        Assert.That(first.Select(m => Encoding.ASCII.GetString(m.Payload)), Is.EqualTo(new[] { "m1", "m2", "m3" }));
        reopened.Remove(first[^1].Id, 3);
        Assert.That(reopened.Oldest(10).Select(m => Encoding.ASCII.GetString(m.Payload)), Is.EqualTo(new[] { "m4", "m5" }));
        Assert.That(reopened.Count, Is.EqualTo(2));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public void A_full_disk_refuses_the_batch_which_is_counted_lost_and_the_outbox_stays_usable()
    {
        using var dir = new TempDir();
        var path = dir.File("kalki-edge.db");
        KalkiStore.Open(path).Dispose();
        using var outbox = FleetOutbox.Open(path, 1_000_000);
        outbox.Append([("t", new byte[100])], 1);
        outbox.CapPages(outbox.PageCount() + 2); // the file may grow by two pages: SQLite answers SQLITE_FULL beyond
        var big = Enumerable.Range(0, 64).Select(_ => ("t", new byte[4096])).ToList();
        Assert.That(outbox.Append(big, 2), Is.False);
        Assert.That(outbox.Lost, Is.EqualTo(64));
        Assert.That(outbox.LastError, Does.Contain("full"));
        Assert.That(outbox.Count, Is.EqualTo(1), "the refused batch was rolled back whole");
        Assert.That(outbox.Oldest(10), Has.Count.EqualTo(1));
        Assert.That(outbox.Append([("t", new byte[10])], 3), Is.True, "a small message still fits");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public void A_row_of_lines_counts_each_event_and_overflow_keeps_exactly_the_newest_events()
    {
        using var dir = new TempDir();
        var path = dir.File("kalki-edge.db");
        KalkiStore.Open(path).Dispose();
        using (var outbox = FleetOutbox.Open(path, 10))
        {
            Assert.That(outbox.Append([("t", Lines(1, 4)), ("u", Encoding.ASCII.GetBytes("{\"doc\":5}")), ("t", Lines(6, 4))], 1), Is.True);
            Assert.That((outbox.Count, outbox.Dropped), Is.EqualTo((9, 0L)), "three rows, nine events");
            Assert.That(outbox.Append([("t", Lines(10, 3))], 2), Is.True);
            Assert.That((outbox.Count, outbox.Dropped), Is.EqualTo((10, 2L)), "the two oldest events dropped: the first row cut, not deleted whole");
        }

        using var reopened = FleetOutbox.Open(path, 10);
        Assert.That(reopened.Count, Is.EqualTo(10), "the count of events survives reopening");
        var rows = reopened.Oldest(10);
        Assert.That(string.Concat(rows.Select(m => Encoding.ASCII.GetString(m.Payload) + (m.Topic == "u" ? "|" : ""))),
            Is.EqualTo(Encoding.ASCII.GetString([.. Lines(3, 2)]) + "{\"doc\":5}|" + Encoding.ASCII.GetString([.. Lines(6, 4), .. Lines(10, 3)])));
        Assert.That(rows.Select(m => m.Events), Is.EqualTo(new[] { 2, 1, 4, 3 }));
        reopened.Remove(rows[1].Id, rows[0].Events + rows[1].Events);
        Assert.That(reopened.Count, Is.EqualTo(7));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public void A_row_larger_than_the_limit_keeps_only_its_newest_lines()
    {
        using var dir = new TempDir();
        var path = dir.File("kalki-edge.db");
        KalkiStore.Open(path).Dispose();
        using var outbox = FleetOutbox.Open(path, 5);
        Assert.That(outbox.Append([("t", Lines(1, 8))], 1), Is.True);
        Assert.That((outbox.Count, outbox.Dropped), Is.EqualTo((5, 3L)));
        Assert.That(Encoding.ASCII.GetString(outbox.Oldest(10).Single().Payload), Is.EqualTo(Encoding.ASCII.GetString(Lines(4, 5))));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary><paramref name="count"/> newline-ended JSON lines numbered from <paramref name="first"/>.</summary>
    private static byte[] Lines(int first, int count) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(first, count).Select(n => $"{{\"n\":{n}}}\n")));
}
