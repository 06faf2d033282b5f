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
}
