using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Appliance.Simulation;

/// <summary>Frames with capture times, built in any order and played in time order.</summary>
public sealed class Timeline
{
    private readonly List<(long Micros, long Seq, byte[] Frame)> _frames = [];

    public int Count => _frames.Count;

    public void Add(long micros, byte[] frame) => _frames.Add((micros, _frames.Count, frame));

    /// <summary>A complete TCP exchange (handshake, request, response, close) so stateful elements see real flows.</summary>
    public long TcpSession(long at, Host client, Host server, ushort clientPort, ushort serverPort, byte[] request, byte[] response, long stepMicros = 2_000)
    {
        uint c = 1000, s = 5000;
        var t = at;
        Add(t, PacketFactory.Tcp(client, server, clientPort, serverPort, syn: true, ack: false, fin: false, c, 0, []));
        Add(t += stepMicros, PacketFactory.Tcp(server, client, serverPort, clientPort, syn: true, ack: true, fin: false, s, c + 1, []));
        Add(t += stepMicros, PacketFactory.Tcp(client, server, clientPort, serverPort, syn: false, ack: true, fin: false, c + 1, s + 1, []));
        Add(t += stepMicros, PacketFactory.Tcp(client, server, clientPort, serverPort, syn: false, ack: true, fin: false, c + 1, s + 1, request, psh: true));
        Add(t += stepMicros, PacketFactory.Tcp(server, client, serverPort, clientPort, syn: false, ack: true, fin: false, s + 1, c + 1 + (uint)request.Length, response, psh: true));
        Add(t += stepMicros, PacketFactory.Tcp(client, server, clientPort, serverPort, syn: false, ack: true, fin: true, c + 1 + (uint)request.Length, s + 1 + (uint)response.Length, []));
        Add(t += stepMicros, PacketFactory.Tcp(server, client, serverPort, clientPort, syn: false, ack: true, fin: true, s + 1 + (uint)response.Length, c + 2 + (uint)request.Length, []));
        return t;
    }

    public IReadOnlyList<(long Micros, byte[] Frame)> Ordered() =>
        [.. _frames.OrderBy(f => f.Micros).ThenBy(f => f.Seq).Select(f => (f.Micros, f.Frame))];

    public MemoryFrameSource ToSource(string name) => new(name, Ordered());

    /// <summary>Writes the timeline as a pcap file (for replay tests and the CLI).</summary>
    public void WritePcap(string path)
    {
        using var sink = new PcapFileSink(path);
        var frame = new Frame();
        foreach (var (micros, bytes) in Ordered())
        {
            frame.Load(bytes, micros, Direction.FromDevice);
            sink.Send(frame);
        }
    }
}

/// <summary>A frame source over frames held in memory.</summary>
public sealed class MemoryFrameSource(string name, IReadOnlyList<(long Micros, byte[] Frame)> frames) : IFrameSource
{
    private int _next;

    public string Name { get; } = name;

    public bool TryRead(Frame frame)
    {
        if (_next >= frames.Count)
        {
            return false;
        }

        var (micros, bytes) = frames[_next++];
        frame.Load(bytes, micros, Direction.FromDevice);
        frame.Number = _next;
        return true;
    }

    public void Dispose()
    {
    }
}
