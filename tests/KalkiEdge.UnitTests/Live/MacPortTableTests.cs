using KalkiEdge.DataPlane.Live;

namespace KalkiEdge.UnitTests.Live;

public sealed class MacPortTableTests
{
    [Test]
    public void Remembers_where_each_mac_was_last_seen()
    {
        var table = new MacPortTable(8);
        table.Learn(0x02_0000_0001, 0);
        table.Learn(0x02_0000_0002, 1);
        table.Learn(0x02_0000_0001, 2);

        Assert.That((table.PortOf(0x02_0000_0001), table.PortOf(0x02_0000_0002), table.PortOf(0x02_0000_0003)), Is.EqualTo((2, 1, -1)));
    }

    [Test]
    public void A_flood_of_new_macs_stays_within_capacity_forgetting_the_oldest_first()
    {
        var table = new MacPortTable(1000);
        for (ulong mac = 1; mac <= 100_000; mac++)
        {
            table.Learn(0x0200_0000_0000 | mac, (int)(mac % 3));
        }

        Assert.Multiple(() =>
        {
            Assert.That(table.Count, Is.EqualTo(1000));
            Assert.That(table.Evictions, Is.EqualTo(99_000));
            Assert.That(table.PortOf(0x0200_0000_0001), Is.EqualTo(-1));
            Assert.That(table.PortOf(0x0200_0000_0000 | 100_000), Is.EqualTo((int)(100_000 % 3)));
        });
    }
}
