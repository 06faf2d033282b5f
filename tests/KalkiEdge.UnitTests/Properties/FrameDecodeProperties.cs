using FsCheck;
using FsCheck.Fluent;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.Properties;

/// <summary>The frame decoder on frames shaped by <see cref="FrameGen"/>: it never throws and never looks past the frame.</summary>
public class FrameDecodeProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(3000);

    [Test]
    public void Decoding_never_throws_and_every_decoded_offset_lies_inside_the_frame()
    {
        Prop.ForAll(FrameGen.Frames, bytes =>
        {
            var frame = new Frame();
            frame.Load(bytes, 1, Direction.ToDevice);
            bool ok = frame.Decode();
            if (!ok)
            {
                return !string.IsNullOrEmpty(frame.Malformation);
            }

            bool inside = frame.L3Offset <= frame.Length && frame.L4Offset <= frame.Length
                && frame.PayloadOffset >= 0 && frame.PayloadLength >= 0 && frame.PayloadOffset + frame.PayloadLength <= frame.Length;
            // Ports only ever come from a decoded TCP or UDP header.
            bool ports = frame.IsTcp || frame.IsUdp || (frame.SrcPort == 0 && frame.DstPort == 0);
            return inside && ports && (frame.ReadFlow() is not null || !frame.IsIp);
        }).Check(Runs);
    }

    [Test]
    public void Decoding_reads_nothing_past_the_frames_length()
    {
        // The same bytes decoded in a fresh frame and in a frame whose buffer still holds a longer frame's bytes
        // after them: any read past Length would see the leftovers and decode differently.
        Prop.ForAll(FrameGen.Frames, Arb.From(Gen.Choose(0, 255)), (bytes, fill) =>
        {
            var fresh = new Frame();
            fresh.Load(bytes, 1, Direction.ToDevice);
            fresh.Decode();
            var reused = new Frame();
            var leftovers = new byte[bytes.Length + 1500];
            Array.Fill(leftovers, (byte)fill);
            bytes.CopyTo(leftovers, 0);
            reused.Load(leftovers, 1, Direction.ToDevice);
            reused.Load(bytes, 1, Direction.ToDevice);
            reused.Decode();
            return Fields(fresh) == Fields(reused);
        }).Check(Runs);
    }

    private static string Fields(Frame f) =>
        $"{f.Malformation}|{f.EtherType}|{f.L3Offset}|{f.IpProtocol}|{f.SrcIp}|{f.DstIp}|{f.IsFragment}|{f.IsLaterFragment}|{f.L4Offset}|{f.SrcPort}|{f.DstPort}|{f.TcpFlags}|{f.PayloadOffset}|{f.PayloadLength}|{f.ArpOperation}|{f.ArpSenderMac}|{f.ArpSenderIp}|{f.ArpTargetIp}";
}
