namespace KalkiEdge.UnitTests.Ips.Peer;

/// <summary>
/// How a sender cuts one TCP payload into segments, modelled on fragroute's rules (<c>tcp_seg N [old|new]</c>,
/// <c>order reverse|random</c>, <c>dup</c>) and the classic insertion/evasion papers: tiny segments, segments
/// out of order, a gap filled late, retransmissions, overlaps that repeat the same bytes, and overlaps whose
/// bytes differ (the first copy is the real one, or the second is). Each yields (offset in the payload, bytes).
/// </summary>
public sealed class SegmentationStrategy(string name, Func<byte[], IEnumerable<(int Offset, byte[] Data)>> cut)
{
    public string Name => name;

    public IEnumerable<(int Offset, byte[] Data)> Segments(byte[] payload) => cut(payload);

    public override string ToString() => name;

    public static readonly SegmentationStrategy Whole = new("whole", p => [(0, p)]);

    /// <summary>Every strategy, each with the sizes that matter for a content of a few to a few dozen bytes.</summary>
    public static IReadOnlyList<SegmentationStrategy> All { get; } =
    [
        Whole,
        new("tcp_seg 1", p => Cut(p, 1)),
        new("tcp_seg 3 order reverse", p => Cut(p, 3).Reverse()),
        new("tcp_seg 5 order random", p => Shuffle(Cut(p, 5), seed: p.Length)),
        new("tcp_seg 7 dup", p => Cut(p, 7).SelectMany(s => new[] { s, s })),
        new("tcp_seg 8 old", p => Cut(p, 8).SelectMany(s => new[] { s, (s.Offset, Chaff(s.Data)) })),
        new("tcp_seg 8 new", p => Cut(p, 8).SelectMany(s => new[] { (s.Offset, Chaff(s.Data)), s })),
        new("gap filled last", p => p.Length < 2 ? [(0, p)] : [(p.Length / 2, p[(p.Length / 2)..]), (0, p[..(p.Length / 2)])]),
        new("overlapping same bytes", p => Overlapping(p, size: 8, step: 4)),
    ];

    private static IEnumerable<(int Offset, byte[] Data)> Cut(byte[] payload, int size)
    {
        for (int at = 0; at < payload.Length; at += size)
        {
            yield return (at, payload[at..Math.Min(payload.Length, at + size)]);
        }
    }

    private static IEnumerable<(int Offset, byte[] Data)> Overlapping(byte[] payload, int size, int step)
    {
        for (int at = 0; at < payload.Length; at += step)
        {
            yield return (at, payload[at..Math.Min(payload.Length, at + size)]);
        }
    }

    /// <summary>Bytes of the same length that match no rule (what an evader hides the real bytes behind).</summary>
    private static byte[] Chaff(byte[] real) => [.. real.Select((b, i) => (byte)(b == (byte)'x' ? 'y' : 'x'))];

    private static List<(int Offset, byte[] Data)> Shuffle(IEnumerable<(int Offset, byte[] Data)> segments, int seed)
    {
        var list = segments.ToList();
        var random = new Random(seed);
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }
}
