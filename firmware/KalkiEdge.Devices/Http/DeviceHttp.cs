using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace KalkiEdge.Devices.Http;

/// <summary>A device's answer: status code and body text (at most <see cref="DeviceHttp.MaxBodyBytes"/>).</summary>
public sealed record DeviceAnswer(int Status, string Body);

/// <summary>
/// HTTP to devices, bounded: connections leave from the appliance's device-side address (when configured), headers
/// are limited to 16 KiB and bodies to <see cref="MaxBodyBytes"/> (a longer answer is an error, read no further),
/// nothing is followed, decompressed, proxied or kept as a cookie. Time is bounded by the caller's token.
/// </summary>
public sealed class DeviceHttp : IDisposable
{
    public const int DefaultMaxBodyBytes = 256 * 1024;

    private readonly HttpClient _client;

    /// <param name="localAddress">The device-side address sockets are bound to; null: the kernel chooses.</param>
    public DeviceHttp(IPAddress? localAddress, int maxBodyBytes = DefaultMaxBodyBytes)
    {
        LocalAddress = localAddress;
        MaxBodyBytes = maxBodyBytes;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (context, token) => Connect(localAddress, context.DnsEndPoint, token),
            MaxResponseHeadersLength = 16, // KiB
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 4,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ResponseDrainTimeout = TimeSpan.FromMilliseconds(100),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = maxBodyBytes };
    }

    public int MaxBodyBytes { get; }

    /// <summary>The device-side address connections leave from (null: the kernel chooses).</summary>
    public IPAddress? LocalAddress { get; }

    /// <summary>Sends and reads the whole answer, or throws <see cref="DeviceProtocolException"/> saying what was wrong.</summary>
    public async Task<DeviceAnswer> SendAsync(HttpRequestMessage request, CancellationToken token)
    {
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DeviceProtocolException(Describe(e));
        }

        using (response)
        {
            if (response.Content.Headers.ContentLength is { } length && length > MaxBodyBytes)
            {
                throw new DeviceProtocolException($"answer of {length} bytes is over the {MaxBodyBytes}-byte limit");
            }

            var body = await ReadBounded(response.Content, token).ConfigureAwait(false);
            return new DeviceAnswer((int)response.StatusCode, body);
        }
    }

    public static HttpRequestMessage Request(HttpMethod method, Uri uri, string? body = null, string mediaType = "application/json")
    {
        var request = new HttpRequestMessage(method, uri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, MediaTypeHeaderValue.Parse(mediaType));
        }

        return request;
    }

    public void Dispose() => _client.Dispose();

    private async Task<string> ReadBounded(HttpContent content, CancellationToken token)
    {
        var stream = await content.ReadAsStreamAsync(token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[Math.Min(MaxBodyBytes + 1, 16 * 1024)];
            using var kept = new MemoryStream();
            int n;
            try
            {
                while ((n = await stream.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                {
                    if (kept.Length + n > MaxBodyBytes)
                    {
                        throw new DeviceProtocolException($"answer is over the {MaxBodyBytes}-byte limit");
                    }

                    kept.Write(buffer, 0, n);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new DeviceProtocolException($"answer cut off: {e.Message}");
            }

            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(kept.GetBuffer(), 0, (int)kept.Length);
            }
            catch (DecoderFallbackException)
            {
                throw new DeviceProtocolException("answer is not UTF-8 text");
            }
        }
    }

    private static async ValueTask<Stream> Connect(IPAddress? local, DnsEndPoint target, CancellationToken token)
    {
        if (!IPAddress.TryParse(target.Host, out var address))
        {
            throw new DeviceProtocolException($"'{target.Host}' is not an IP address (devices are reached by address)");
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (local is not null)
            {
                socket.Bind(new IPEndPoint(local, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(address, target.Port), token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Describe(HttpRequestException e) =>
        e.InnerException is SocketException s ? $"connection failed: {s.SocketErrorCode}" : $"HTTP error: {e.Message}";
}

/// <summary>A device answered wrongly (too much, malformed, an error) or not at all; the message says which.</summary>
public sealed class DeviceProtocolException(string message) : Exception(message);
