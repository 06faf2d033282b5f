using System.Text;
using KalkiEdge.Umboxes.Application;
using KalkiEdge.Umboxes.Common;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Umboxes;

/// <summary>The private helpers of the application-layer elements, at their edges.</summary>
public class ApplicationHelpersTests
{
    [Test]
    public void Set_associative_table_reuses_idle_entries_without_counting_evictions_and_evicts_the_least_recently_seen()
    {
        var table = new SetAssociativeTable<UInt128, int>(TableHash.Address, capacity: 8, idleMicros: 100);
        for (int i = 0; i < 8; i++)
        {
            table[table.Acquire((UInt128)i, now: i, out _)] = i;
        }

        Assert.That(table.Capacity, Is.EqualTo(8));
        Assert.That(table.Acquire(0, 20, out bool created), Is.Not.Negative);
        Assert.That(created, Is.False, "known key");

        table.Acquire(100, 21, out created);
        Assert.That(created, Is.True);
        Assert.That(table.Evictions, Is.EqualTo(1));
        Assert.That(table.Find(1, 21), Is.EqualTo(-1), "key 1 was the least recently seen");
        Assert.That(table.Find(0, 21), Is.Not.Negative, "key 0 was refreshed at 20");

        table.Acquire(200, 1_000, out created);
        Assert.That(created, Is.True);
        Assert.That(table.Evictions, Is.EqualTo(1), "an idle entry is reused, not evicted");
        Assert.That(table.Find(0, 1_000), Is.EqualTo(-1), "idle entries are gone for lookups");
    }

    [Test]
    public void Set_associative_table_grows_on_demand_up_to_its_capacity_keeping_entries_and_their_storage()
    {
        var table = new SetAssociativeTable<UInt128, int>(TableHash.Address, capacity: 4096, idleMicros: 1_000_000, extraPerSlot: 2);
        Assert.That(table.Size, Is.LessThanOrEqualTo(16), "a device that talks to few hosts pays for few");
        for (int i = 0; i < 1000; i++)
        {
            int slot = table.Acquire((UInt128)i, now: 1, out _);
            table[slot] = i;
            table.Extra(slot)[1] = i * 10;
        }

        Assert.That(table.Size, Is.InRange(1024, 4096));
        Assert.That(table.Evictions, Is.Zero, "below capacity nothing is evicted");
        for (int i = 0; i < 1000; i++)
        {
            int slot = table.Find((UInt128)i, 2);
            Assert.That(slot, Is.Not.Negative);
            Assert.That((table[slot], table.Extra(slot)[1]), Is.EqualTo((i, i * 10L)));
        }
    }

    [Test]
    public void Set_associative_table_holds_no_storage_before_its_first_entry_and_never_grows_past_its_capacity()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var table = new SetAssociativeTable<UInt128, int>(TableHash.Address, capacity: 8, idleMicros: 1_000_000, extraPerSlot: 4);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(256), "an unused table costs its object, not slots");
        Assert.That(table.Size, Is.Zero);
        Assert.That(table.Find(7, now: 0), Is.EqualTo(-1), "nothing is found in an empty table");

        for (int i = 0; i < 100; i++)
        {
            int slot = table.Acquire((UInt128)i, now: i, out bool created);
            Assert.That(created, Is.True);
            table.Extra(slot)[3] = i;
        }

        Assert.That(table.Size, Is.EqualTo(table.Capacity), "grown on demand up to the bound, not beyond");
        Assert.That(table.Evictions, Is.EqualTo(92), "every source past the eighth displaced a live one");
        Assert.That(table.Extra(table.Find(99, 100))[3], Is.EqualTo(99));
        Assert.That(table.Find(0, 100), Is.EqualTo(-1), "the oldest sources were evicted");
    }

    [Test]
    public void Set_associative_table_entries_live_until_the_expiry_their_owner_sets()
    {
        var table = new SetAssociativeTable<UInt128, int>(TableHash.Address, capacity: 8, idleMicros: 100);
        int slot = table.Acquire(1, now: 0, out _);
        table.ExpireAt(slot, 1_000);
        Assert.That(table.Find(1, 1_000), Is.EqualTo(slot), "live up to its expiry, past the idle time");
        Assert.That(table.Find(1, 1_001), Is.EqualTo(-1));
        table.Acquire(1, 1_001, out bool created);
        Assert.That(created, Is.True, "an expired entry starts afresh");
    }

    [Test]
    public void Set_associative_table_without_growth_allocates_its_capacity_once_and_keeps_slots_in_place()
    {
        var table = new SetAssociativeTable<UInt128, int>(TableHash.Address, capacity: 64, idleMicros: 1_000, ways: 4, grow: false);
        Assert.That(table.Size, Is.EqualTo(64));
        int first = table.Acquire(7, now: 0, out _);
        for (int i = 100; i < 160; i++)
        {
            table.Acquire((UInt128)i, now: 1, out _);
        }

        Assert.That(table.Find(7, 2), Is.EqualTo(first).Or.EqualTo(-1), "a slot never moves: the entry is there or was evicted");
        Assert.That(table.Size, Is.EqualTo(64));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            table.Acquire((UInt128)(i * 7919), now: 2 + i, out _);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "lookups, inserts and evictions allocate nothing");
    }

    [Test]
    public void Set_associative_table_releases_every_value_it_lets_go_of_exactly_once()
    {
        var released = new List<int>();
        var table = new SetAssociativeTable<UInt128, int>(TableHash.Address, capacity: 256, idleMicros: 100, ways: 1, released: released.Add);
        int values = 0;

        // Phases far apart in frame time, each larger than the last: a phase finds the previous one's entries expired,
        // some where its keys go (reused), others only while the table grows (dropped); once full it evicts.
        for (int phase = 0; phase < 7; phase++)
        {
            for (int i = 0; i < 8 << phase; i++)
            {
                table[table.Acquire((UInt128)((phase * 1_000) + i), now: phase * 1_000, out _)] = ++values;
            }
        }

        // Much later, enough new keys to take every slot: whatever the phases left is let go of too.
        for (int i = 0; i < 10_000; i++)
        {
            table[table.Acquire((UInt128)(1_000_000 + i), now: 1_000_000, out _)] = -1;
        }

        Assert.That(released.Where(v => v > 0).Order(), Is.EqualTo(Enumerable.Range(1, values)), "each value of the phases, once");
    }

    [TestCase("brute-force(port: 22)")]
    [TestCase("egress-guard(allow: [{rport: 443, proto: tcp}])")]
    [TestCase("http-auth-guard")]
    [TestCase("hue-guard(restrict: true)")]
    [TestCase("decoy")]
    public void A_fresh_element_instance_costs_a_few_kilobytes_not_its_full_table(string chain)
    {
        var definition = new ChainHarness(chain).Chain.Definition;
        long before = GC.GetAllocatedBytesForCurrentThread();
        definition.Instantiate();
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(bytes, Is.LessThan(16_384), "10,000 devices must fit in the appliance's memory");
    }

    [TestCase("/api", "Root", "")]
    [TestCase("/api/", "Root", "")]
    [TestCase("/api/abc/lights/1", "Token", "abc")]
    [TestCase("//API//abc", "Token", "abc")]
    [TestCase("/%61%50i/abc", "Token", "abc")]
    [TestCase("/apis/abc", "Other", "")]
    [TestCase("/ap", "Other", "")]
    [TestCase("/%6", "Other", "")]
    [TestCase("api/abc", "Other", "")]
    [TestCase("", "Other", "")]
    public void Hue_paths_are_read_like_a_lenient_server_would(string path, string expected, string token)
    {
        Assert.That(HueApiPath.Classify(Encoding.ASCII.GetBytes(path), out var t).ToString(), Is.EqualTo(expected));
        Assert.That(Encoding.ASCII.GetString(t), Is.EqualTo(token));
    }

    [Test]
    public void Request_heads_expose_method_path_headers_and_body()
    {
        var text = "PUT http://192.0.2.10/api/x?y=1 HTTP/1.1\r\nHost: h\r\nX-A:  spaced value \t\r\n\r\nbody"u8;
        Assert.That(HttpRequestHead.TryParse(text, 8192, out var head), Is.True);
        Assert.That(Encoding.ASCII.GetString(head.Method), Is.EqualTo("PUT"));
        Assert.That(Encoding.ASCII.GetString(head.Path()), Is.EqualTo("/api/x"));
        Assert.That(head.IsComplete, Is.True);
        Assert.That(head.TryGetHeader("x-a"u8, out var value), Is.True);
        Assert.That(Encoding.ASCII.GetString(value), Is.EqualTo("spaced value"));
        Assert.That(head.TryGetHeader("X-B"u8, out _), Is.False);
        Assert.That(Encoding.ASCII.GetString(head.Body), Is.EqualTo("body"));

        Assert.That(HttpRequestHead.TryParse("GET / HTTP/1.0\n\nrest"u8, 8192, out var bare), Is.True, "bare LF line ends");
        Assert.That(Encoding.ASCII.GetString(bare.Body), Is.EqualTo("rest"));
        Assert.That(HttpRequestHead.TryParse("\u0016\u0003\u0001\u0002\u0000 GET / HTTP/1.1\r\n"u8, 8192, out _), Is.False);
    }
}
