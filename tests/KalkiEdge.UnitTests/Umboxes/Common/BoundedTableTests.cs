using KalkiEdge.Umboxes.Common;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Umboxes.Common;

public class BoundedTableTests
{
    [Test]
    public void Adds_finds_and_updates_values_in_place()
    {
        var t = new BoundedTable<int, long>(4);
        ref var v = ref t.GetOrAdd(7, 100, out bool added);
        Assert.That(added, Is.True);
        v = 42;
        ref var again = ref t.GetOrAdd(7, 200, out added);
        Assert.That(added, Is.False);
        Assert.That(again, Is.EqualTo(42));
        again++;
        Assert.That(t.Find(7, 300, out bool found), Is.EqualTo(43));
        Assert.That(found, Is.True);
        Assert.That(t.LastTouched(7), Is.EqualTo(300));
        t.Find(8, 300, out found);
        Assert.That(found, Is.False);
    }

    [Test]
    public void Evicts_the_least_recently_used_entry_when_full()
    {
        var t = new BoundedTable<int, int>(3);
        t.GetOrAdd(1, 1, out _);
        t.GetOrAdd(2, 2, out _);
        t.GetOrAdd(3, 3, out _);
        t.Find(1, 4, out _); // 2 is now the least recently used
        t.GetOrAdd(4, 5, out _);
        Assert.That(t.Contains(2), Is.False);
        Assert.That(new[] { 1, 3, 4 }.All(t.Contains), Is.True);
        Assert.That(t.Count, Is.EqualTo(3));
        Assert.That(t.Evictions, Is.EqualTo(1));
    }

    [Test]
    public void New_entries_start_from_default_even_in_recycled_slots()
    {
        var t = new BoundedTable<int, int>(1);
        t.GetOrAdd(1, 1, out _) = 99;
        Assert.That(t.GetOrAdd(2, 2, out _), Is.Zero);
        t.Remove(2);
        Assert.That(t.GetOrAdd(3, 3, out _), Is.Zero);
    }

    [Test]
    public void Expires_idle_entries_oldest_first_up_to_a_limit()
    {
        var t = new BoundedTable<int, int>(10);
        for (int i = 0; i < 5; i++)
        {
            t.GetOrAdd(i, i * 10, out _);
        }

        Assert.That(t.ExpireIdle(45, 20, max: 1), Is.EqualTo(1), "limited to one");
        Assert.That(t.Contains(0), Is.False);
        Assert.That(t.ExpireIdle(45, 20), Is.EqualTo(2), "keys 1 and 2 are idle for ≥ 20");
        Assert.That(t.Count, Is.EqualTo(2));
        Assert.That(t.Expirations, Is.EqualTo(3));
        Assert.That(t.Evictions, Is.Zero);
    }

    [Test]
    public void Remove_frees_the_slot_for_reuse_without_eviction()
    {
        var t = new BoundedTable<int, int>(2);
        t.GetOrAdd(1, 0, out _);
        t.GetOrAdd(2, 0, out _);
        Assert.That(t.Remove(1), Is.True);
        Assert.That(t.Remove(1), Is.False);
        t.GetOrAdd(3, 0, out _);
        Assert.That(t.Evictions, Is.Zero);
        Assert.That(t.Count, Is.EqualTo(2));
    }

    [Test]
    public void Churn_through_a_full_table_allocates_nothing_and_keeps_lru_order_consistent()
    {
        var t = new BoundedTable<UInt128, long>(256);
        for (int i = 0; i < 512; i++)
        {
            t.GetOrAdd((UInt128)i, i, out _) = i;
        }

        int next = 512;
        long allocated = SteadyAllocations.Fewest(pass =>
        {
            for (int n = 0; n < 50_000; n++, next++)
            {
                t.GetOrAdd((UInt128)next, next, out _) = next;
                if (next % 3 == 0)
                {
                    t.Remove((UInt128)(next - 100));
                }
            }
        });

        Assert.That(allocated, Is.Zero);
        Assert.That(t.Count, Is.LessThanOrEqualTo(256));

        // The survivors are exactly the most recent keys (minus removals): LRU order stayed intact.
        int last = next - 1;
        for (int i = last; i > last - 100; i--)
        {
            Assert.That(t.Contains((UInt128)i), Is.True, $"recent key {i}");
        }

        Assert.That(t.Contains((UInt128)(last - 999)), Is.False);
    }

    [Test]
    public void Grows_storage_only_as_needed()
    {
        var t = new BoundedTable<int, int>(1_000_000);
        t.GetOrAdd(1, 0, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var small = new BoundedTable<int, int>(1_000_000);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(4096), "a big capacity costs nothing until used");
        Assert.That(small.Capacity, Is.EqualTo(1_000_000));
    }

    [Test]
    public void Starts_without_storage_and_grows_from_one_slot_to_the_capacity_then_evicts()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var t = new BoundedTable<UInt128, long>(capacity: 3);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(256), "no slots before the first entry");
        Assert.That(t.Contains(1), Is.False);
        Assert.That(t.ExpireIdle(1_000, 1), Is.Zero);

        for (int i = 1; i <= 10; i++)
        {
            t.GetOrAdd((UInt128)i, i, out bool added) = i * 100;
            Assert.That(added, Is.True);
            Assert.That(t.Find((UInt128)i, i, out _), Is.EqualTo(i * 100L), "values survive growth");
        }

        Assert.That((t.Count, t.Evictions), Is.EqualTo((3, 7L)));
        Assert.That(t.Contains(8) && t.Contains(9) && t.Contains(10), Is.True, "the three most recent remain");
        Assert.That(t.Find(10, 11, out bool found), Is.EqualTo(1_000L));
        Assert.That(found, Is.True);
    }

    [Test]
    public void Keys_that_share_a_hash_are_found_removed_evicted_and_regrown_apart()
    {
        // Every key in one bucket: each lookup, removal from the chain's head, middle and tail, eviction and
        // re-hash on growth walks the same chain.
        var t = new BoundedTable<int, int>(8, new OneHash());
        for (int i = 0; i < 8; i++)
        {
            t.GetOrAdd(i, i, out _) = i * 10;
        }

        Assert.That(Enumerable.Range(0, 8).Select(i => t.Find(i, 10, out _)), Is.EqualTo(Enumerable.Range(0, 8).Select(i => i * 10)));
        Assert.That(t.Remove(7) && t.Remove(3) && t.Remove(0), Is.True);
        Assert.That(t.Remove(3), Is.False);
        Assert.That(new[] { 1, 2, 4, 5, 6 }.All(t.Contains) && !new[] { 0, 3, 7 }.Any(t.Contains), Is.True);
        for (int i = 8; i < 12; i++)
        {
            t.GetOrAdd(i, 20 + i, out _) = i * 10;
        }

        Assert.That((t.Count, t.Evictions), Is.EqualTo((8, 1L)), "three freed slots reused, then the least recently used evicted");
        Assert.That(t.Contains(1), Is.False);
        Assert.That(new[] { 2, 4, 5, 6, 8, 9, 10, 11 }.Select(k => t.Find(k, 40, out _)), Is.EqualTo(new[] { 20, 40, 50, 60, 80, 90, 100, 110 }));
    }

    private sealed class OneHash : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => x == y;

        public int GetHashCode(int obj) => 42;
    }
}
