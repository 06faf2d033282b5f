using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.DataPlane;

/// <summary>
/// The one walk over VLAN tags (<see cref="EtherTypes.BehindVlans"/>): what it reads from short, tagged and
/// over-stacked frames, that the decoder and the sharded reader's ARP check agree with it on every length, and that
/// it allocates nothing.
/// </summary>
public class EtherTypesTests
{
    private static readonly byte[] Plain = Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 40000, "answer");
    private static readonly byte[] Arp = Frames.ArpReply("02:00:00:00:00:fe", Frames.CloudIp, Frames.DeviceMac, Frames.DeviceIp);

    private static (EtherTypeRead Read, ushort Type, int Offset) Walk(byte[] frame)
    {
        var read = EtherTypes.BehindVlans(frame, out var type, out var offset);
        return (read, type, offset);
    }

    [Test]
    public void An_untagged_frame_carries_its_payload_right_after_the_Ethernet_header()
    {
        Assert.That(Walk(Plain), Is.EqualTo((EtherTypeRead.Found, EtherTypes.IPv4, 14)));
        Assert.That(Walk(Plain[..14]), Is.EqualTo((EtherTypeRead.Found, EtherTypes.IPv4, 14)), "a bare header: the type is there, its payload empty");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(12)]
    [TestCase(13)]
    public void A_frame_shorter_than_an_Ethernet_header_is_a_runt(int length) =>
        Assert.That(Walk(Plain[..length]), Is.EqualTo((EtherTypeRead.Runt, (ushort)0, 0)));

    [TestCase(EtherTypes.Vlan)]
    [TestCase(EtherTypes.QinQ)]
    [TestCase(EtherTypes.QinQLegacy)]
    public void One_tag_of_any_TPID_is_walked(ushort tpid) =>
        Assert.That(Walk(Frames.VlanTagged(Plain, tpid)), Is.EqualTo((EtherTypeRead.Found, EtherTypes.IPv4, 18)));

    [Test]
    public void A_QinQ_stack_of_two_tags_is_walked_and_a_third_tag_is_refused()
    {
        var qinq = Frames.VlanTagged(Frames.VlanTagged(Arp, EtherTypes.Vlan), EtherTypes.QinQ);
        Assert.That(Walk(qinq), Is.EqualTo((EtherTypeRead.Found, EtherTypes.Arp, 22)));
        Assert.That(Walk(Frames.VlanTagged(qinq, EtherTypes.QinQLegacy)), Is.EqualTo((EtherTypeRead.TooManyVlanTags, (ushort)0, 0)));
    }

    [Test]
    public void A_frame_that_ends_inside_or_right_after_a_tag_is_truncated()
    {
        var oneTag = Frames.VlanTagged(Plain, EtherTypes.Vlan);
        Assert.That(Walk(oneTag[..14]), Is.EqualTo((EtherTypeRead.TruncatedVlanTag, (ushort)0, 0)), "the TPID and nothing more");
        Assert.That(Walk(oneTag[..17]), Is.EqualTo((EtherTypeRead.TruncatedVlanTag, (ushort)0, 0)), "one byte of the EtherType behind the tag");
        Assert.That(Walk(oneTag[..18]), Is.EqualTo((EtherTypeRead.Found, EtherTypes.IPv4, 18)));

        var qinq = Frames.VlanTagged(oneTag, EtherTypes.QinQ);
        Assert.That(Walk(qinq[..21]), Is.EqualTo((EtherTypeRead.TruncatedVlanTag, (ushort)0, 0)), "the inner tag cut short");
    }

    [Test]
    public void The_decoder_reads_every_prefix_of_a_stacked_frame_as_the_walk_does_and_says_why_it_refuses_one()
    {
        var qinq = Frames.VlanTagged(Frames.VlanTagged(Plain, EtherTypes.Vlan), EtherTypes.QinQ);
        var frame = new Frame();
        for (int length = 0; length <= qinq.Length; length++)
        {
            frame.Load(qinq.AsSpan(0, length), 0, Direction.ToDevice);
            frame.Decode();
            var (read, type, offset) = Walk(qinq[..length]);
            if (read == EtherTypeRead.Found)
            {
                Assert.That((frame.EtherType, frame.L3Offset), Is.EqualTo((type, offset)), $"{length} bytes");
                continue;
            }

            // The texts operators already see in counters and logs stay as they were.
            Assert.That(frame.Malformation, Is.EqualTo(read == EtherTypeRead.Runt
                ? "runt frame: shorter than an Ethernet header (14 bytes)"
                : "truncated or over-stacked VLAN tags"), $"{length} bytes");
        }

        frame.Load(Frames.VlanTagged(qinq, EtherTypes.Vlan), 0, Direction.ToDevice);
        Assert.That(frame.Decode(), Is.False);
        Assert.That(frame.Malformation, Is.EqualTo("truncated or over-stacked VLAN tags"), "a third tag");
    }

    [Test]
    public void Only_a_whole_ARP_from_the_network_behind_its_tags_is_processed_alone_under_sharding()
    {
        var qinqArp = Frames.VlanTagged(Frames.VlanTagged(Arp, EtherTypes.Vlan), EtherTypes.QinQ);
        var frame = new Frame();
        bool Alone(byte[] bytes, Direction direction)
        {
            frame.Load(bytes, 0, direction);
            return PacketEngine.MayConcernAnotherDevice(frame);
        }

        Assert.That(Alone(Arp, Direction.ToDevice), Is.True);
        Assert.That(Alone(qinqArp, Direction.ToDevice), Is.True, "behind a QinQ stack");
        Assert.That(Alone(qinqArp, Direction.FromDevice), Is.False, "from the device: it concerns only itself");
        Assert.That(Alone(qinqArp[..21], Direction.ToDevice), Is.False, "cut inside its tags");
        Assert.That(Alone(Frames.VlanTagged(qinqArp, EtherTypes.Vlan), Direction.ToDevice), Is.False, "behind three tags: malformed");
        Assert.That(Alone(Arp[..13], Direction.ToDevice), Is.False, "a runt");
        Assert.That(Alone(Frames.VlanTagged(Plain, EtherTypes.Vlan), Direction.ToDevice), Is.False, "IPv4");
    }

    [Test]
    public void The_walk_allocates_nothing()
    {
        var qinq = Frames.VlanTagged(Frames.VlanTagged(Arp, EtherTypes.Vlan), EtherTypes.QinQ);
        var frame = new Frame();
        frame.Load(qinq, 0, Direction.ToDevice);
        int found = 0;
        long allocated = SteadyAllocations.Fewest(pass =>
        {
            for (int i = 0; i < 1000; i++)
            {
                found += PacketEngine.MayConcernAnotherDevice(frame) ? 1 : 0;
                found += EtherTypes.BehindVlans(qinq.AsSpan(0, 13 + (i % 10)), out _, out _) == EtherTypeRead.Found ? 1 : 0;
            }
        });

        Assert.That(allocated, Is.Zero);
        Assert.That(found, Is.GreaterThanOrEqualTo(1000));
    }
}
