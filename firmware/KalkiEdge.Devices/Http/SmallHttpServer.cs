using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KalkiEdge.Devices.Http;

/// <summary>A request as a handler sees it, with the address it came from.</summary>
public sealed record SmallRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public IPAddress Remote { get; init; } = IPAddress.None;
}

/// <summary>
/// A handler's answer: status and body, or <see cref="Raw"/> to write anything at all on the socket (slow,
/// endless, truncated, garbage: how tests play a hostile device).
/// </summary>
public sealed record SmallResponse(int Status, string Body, string ContentType = "application/json")
{
    public Func<Stream, CancellationToken, Task>? Raw { get; init; }
}

/// <summary>
/// A small real HTTP/1.1 server, for device simulators and for the events devices push (camera motion): one request
/// per connection (Connection: close), request head at most 16 KiB, body at most 64 KiB (a longer one is answered
/// 413 and never read), 5 s to send a request, at most 64 connections at once.
/// </summary>
public sealed class SmallHttpServer : IDisposable
{
    private const int MaxHead = 16 * 1024;
    private const int MaxBody = 64 * 1024;
    private readonly AcceptLoop _loop;
    private readonly Func<SmallRequest, SmallResponse> _handler;
    private int _requests;

    public SmallHttpServer(Func<SmallRequest, SmallResponse> handler, IPAddress? address = null, int port = 0)
    {
        _handler = handler;
        _loop = new AcceptLoop(new IPEndPoint(address ?? IPAddress.Loopback, port), Serve, maxConnections: 64);
    }

    public int Port => _loop.EndPoint.Port;

    public IPAddress Address => _loop.EndPoint.Address;

    /// <summary>Requests served so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public void Dispose() => _loop.Dispose();

    private async Task Serve(Socket socket, CancellationToken stopping)
    {
        var remote = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        using (var stream = new NetworkStream(socket, ownsSocket: true))
        {
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                deadline.CancelAfter(TimeSpan.FromSeconds(5));
                var (request, refusal) = await Read(stream, deadline.Token).ConfigureAwait(false);
                if (request is null)
                {
                    await Write(stream, refusal!, stopping).ConfigureAwait(false);
                    return;
                }

                request = request with { Remote = remote };

                Interlocked.Increment(ref _requests);
                var response = _handler(request);
                if (response.Raw is { } raw)
                {
                    await raw(stream, stopping).ConfigureAwait(false);
                }
                else
                {
                    await Write(stream, response, stopping).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or took too long: nothing to answer.
            }
        }
    }

    private static async Task<(SmallRequest? Request, SmallResponse? Refusal)> Read(NetworkStream stream, CancellationToken token)
    {
        var bad = new SmallResponse(400, "bad request: not an HTTP/1.x request head of at most 16 KiB", "text/plain");
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < MaxHead)
        {
            if (await stream.ReadAsync(one, token).ConfigureAwait(false) == 0)
            {
                return (null, bad);
            }

            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
            {
                break;
            }
        }

        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n");
        var first = lines[0].Split(' ');
        if (first.Length != 3 || !first[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return (null, bad);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        if (headers.ContainsKey("Transfer-Encoding"))
        {
            return (null, new SmallResponse(411, "chunked bodies are not accepted: send Content-Length", "text/plain"));
        }

        var length = headers.TryGetValue("Content-Length", out var cl) && long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        if (length > MaxBody)
        {
            return (null, new SmallResponse(413, $"body of {length} bytes is over the {MaxBody}-byte limit", "text/plain"));
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, token).ConfigureAwait(false);
        return (new SmallRequest(first[0], first[1], headers, Encoding.UTF8.GetString(body)), null);
    }

    private static async Task Write(Stream stream, SmallResponse response, CancellationToken token)
    {
        var body = Encoding.UTF8.GetBytes(response.Body);
        var head = $"HTTP/1.1 {response.Status} {(response.Status < 400 ? "OK" : "Error")}\r\nContent-Type: {response.ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), token).ConfigureAwait(false);
        await stream.WriteAsync(body, token).ConfigureAwait(false);
    }
}
