using FsCheck;
using FsCheck.Fluent;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.UnitTests.Support;

namespace KalkiEdge.UnitTests.Properties;

/// <summary>
/// The Spin model's handoff property (tests/model/kalki.pml) of the real <c>PacketEngine</c>: a frame is handled by
/// the device's chain in force when it arrived, or by one installed while it ran, never by an older one and never by
/// half of one. Random runs swap a device through fresh chains on one thread while another forwards its frames; each
/// frame is attributed to the one chain whose counter moved.
/// </summary>
public class HandoffProperties
{
    [Test]
    public void A_frame_is_handled_only_by_the_chain_in_force_when_it_arrived_or_one_installed_while_it_ran()
    {
        var runs = Arb.From(from swaps in Gen.Choose(1, 40) from frames in Gen.Choose(1, 3_000) select (swaps, frames));
        Prop.ForAll(runs, r => Holds(r.swaps, r.frames)).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    private static bool Holds(int swaps, int frames)
    {
        var alerts = new RecordingAlertSink();
        var engine = new PacketEngine(alerts);
        Assert.That(Mac.TryParse(Frames.DeviceMac, out var mac), Is.True);
        Assert.That(Ip.TryParse(Frames.DeviceIp, out var ip), Is.True);
        var slot = new DeviceSlot("dev1", mac, [ip]);
        var chains = Enumerable.Range(0, swaps + 1).Select(_ => new ChainHarness("pass -> pass").Chain).ToArray();
        slot.Swap(chains[0]);
        engine.Devices.Add(slot);

        int installed = 0; // the newest chain whose Swap has returned
        var swapper = new Thread(() =>
        {
            for (int i = 1; i <= swaps; i++)
            {
                slot.Swap(chains[i]);
                Volatile.Write(ref installed, i);
                Thread.Yield();
            }
        });
        var bytes = Frames.Udp(Frames.CloudIp, 53, Frames.DeviceIp, 5000, "a");
        var frame = new Frame();
        var context = new ElementContext(alerts);
        var seen = new long[chains.Length];
        bool holds = true;
        swapper.Start();
        for (int n = 0; n < frames && holds; n++)
        {
            int before = Volatile.Read(ref installed);
            frame.Load(bytes, n, Direction.ToDevice);
            engine.Process(frame, context);
            int after = Volatile.Read(ref installed);
            int handledBy = -1;
            for (int c = 0; c < chains.Length; c++)
            {
                long received = chains[c].Elements[0].Counters.Received;
                if (received != seen[c])
                {
                    holds &= handledBy < 0 && received == seen[c] + 1;
                    handledBy = c;
                    seen[c] = received;
                }
            }

            // `before` was in force when the frame arrived; `after + 1` may have been published without being noted yet.
            holds &= handledBy >= before && handledBy <= after + 1;
        }

        swapper.Join();
        return holds && chains.All(c => c.Elements[0].Counters.Received == c.Elements[1].Counters.Received);
    }
}
