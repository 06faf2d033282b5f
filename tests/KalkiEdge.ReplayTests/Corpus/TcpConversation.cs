using KalkiEdge.Appliance.Simulation;
using SimHost = KalkiEdge.Appliance.Simulation.Host;

namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// One TCP connection as two RFC 793 stacks carry it: three-way handshake with random initial sequence numbers,
/// then request/response exchanges on the same connection (HTTP keep-alive) with exact seq/ack arithmetic and
/// the client's ACK of every response, then an orderly FIN/FIN close. Times advance by seeded LAN round trips
/// plus the server's processing time, so the same seed gives the same capture.
/// </summary>
public sealed class TcpConversation
{
    private readonly Timeline _timeline;
    private readonly SimHost _client;
    private readonly SimHost _server;
    private readonly ushort _clientPort;
    private readonly ushort _serverPort;
    private readonly Random _random;
    private uint _clientSeq;
    private uint _serverSeq;

    private TcpConversation(Timeline timeline, SimHost client, SimHost server, ushort clientPort, ushort serverPort, Random random, long at)
    {
        _timeline = timeline;
        _client = client;
        _server = server;
        _clientPort = clientPort;
        _serverPort = serverPort;
        _random = random;
        _clientSeq = (uint)random.Next();
        _serverSeq = (uint)random.Next();
        Now = at;
    }

    /// <summary>Time of the last segment written.</summary>
    public long Now { get; private set; }

    /// <summary>Opens the connection at <paramref name="at"/> (SYN, SYN/ACK, ACK).</summary>
    public static TcpConversation Open(Timeline timeline, SimHost client, SimHost server, ushort clientPort, ushort serverPort, Random random, long at)
    {
        var c = new TcpConversation(timeline, client, server, clientPort, serverPort, random, at);
        c.Segment(fromClient: true, at, syn: true, ack: false, fin: false, []);
        c._clientSeq++;
        c.Segment(fromClient: false, c.Now + c.HalfRtt(), syn: true, ack: true, fin: false, []);
        c._serverSeq++;
        c.Segment(fromClient: true, c.Now + c.HalfRtt(), syn: false, ack: true, fin: false, []);
        return c;
    }

    /// <summary>
    /// The client sends <paramref name="request"/> <paramref name="thinkMicros"/> after the last segment; the
    /// server answers after 1–4 ms of processing; the client acknowledges the answer.
    /// </summary>
    public long Exchange(string request, string response, long thinkMicros = 0)
    {
        Send(fromClient: true, Now + thinkMicros + HalfRtt(), PacketFactory.Ascii(request));
        Send(fromClient: false, Now + HalfRtt() + 1_000 + _random.Next(3_000), PacketFactory.Ascii(response));
        Segment(fromClient: true, Now + HalfRtt(), syn: false, ack: true, fin: false, []);
        return Now;
    }

    /// <summary>
    /// The client sends <paramref name="request"/> (bytes: TLS records, SSH packets, MQTT) and, when
    /// <paramref name="response"/> is not empty, the server answers; the receiver acknowledges each.
    /// </summary>
    public long Exchange(byte[] request, byte[] response, long thinkMicros = 0)
    {
        Send(fromClient: true, Now + thinkMicros + HalfRtt(), request);
        if (response.Length == 0)
        {
            Segment(fromClient: false, Now + HalfRtt(), syn: false, ack: true, fin: false, []);
            return Now;
        }

        Send(fromClient: false, Now + HalfRtt() + 1_000 + _random.Next(3_000), response);
        Segment(fromClient: true, Now + HalfRtt(), syn: false, ack: true, fin: false, []);
        return Now;
    }

    /// <summary>
    /// The server pushes <paramref name="bytes"/> unasked (a stream, a download body) <paramref name="afterMicros"/>
    /// after the last segment, in full-size segments (MSS 1448) 120 µs apart; the client acknowledges every second
    /// segment and the last (RFC 1122 delayed ACK).
    /// </summary>
    public long ServerSends(int bytes, long afterMicros = 0, byte fill = 0x5a)
    {
        const int Mss = 1448;
        var at = Now + afterMicros;
        for (int sent = 0, n = 1; sent < bytes; n++)
        {
            int size = Math.Min(Mss, bytes - sent);
            var payload = new byte[size];
            Array.Fill(payload, (byte)(fill + n));
            Send(fromClient: false, at, payload);
            sent += size;
            at += 120;
            if (n % 2 == 0 || sent == bytes)
            {
                Segment(fromClient: true, Now + HalfRtt(), syn: false, ack: true, fin: false, []);
            }
        }

        return Now;
    }

    /// <summary>The client closes (FIN), the server closes too, the client acknowledges.</summary>
    public long Close()
    {
        Segment(fromClient: true, Now + HalfRtt(), syn: false, ack: true, fin: true, []);
        _clientSeq++;
        Segment(fromClient: false, Now + HalfRtt(), syn: false, ack: true, fin: true, []);
        _serverSeq++;
        Segment(fromClient: true, Now + HalfRtt(), syn: false, ack: true, fin: false, []);
        return Now;
    }

    /// <summary>Half a LAN round trip: 100–400 µs.</summary>
    private long HalfRtt() => 100 + _random.Next(300);

    private void Send(bool fromClient, long at, byte[] payload)
    {
        Segment(fromClient, at, syn: false, ack: true, fin: false, payload, psh: true);
        if (fromClient)
        {
            _clientSeq += (uint)payload.Length;
        }
        else
        {
            _serverSeq += (uint)payload.Length;
        }
    }

    private void Segment(bool fromClient, long at, bool syn, bool ack, bool fin, byte[] payload, bool psh = false)
    {
        var frame = fromClient
            ? PacketFactory.Tcp(_client, _server, _clientPort, _serverPort, syn, ack, fin, _clientSeq, ack ? _serverSeq : 0, payload, psh)
            : PacketFactory.Tcp(_server, _client, _serverPort, _clientPort, syn, ack, fin, _serverSeq, ack ? _clientSeq : 0, payload, psh);
        _timeline.Add(at, frame);
        Now = at;
    }
}
