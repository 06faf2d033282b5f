using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace KalkiEdge.TestKit;

/// <summary>
/// The tests' own client of a running appliance's operator control socket (HTTP/1.1 over AF_UNIX), in process, so a
/// test can reset devices many times a second without starting a CLI process for each. Paths are file-system names,
/// so it reaches an appliance in another network namespace too. Every request is bounded by the client's timeout.
/// A socket path that does not exist yet fails with <see cref="SocketError.AddressNotAvailable"/> (the runtime's name
/// for ENOENT): wait with <see cref="WaitUntilServing"/> before the first request.
/// </summary>
public sealed class ControlSocketClient(string socketPath, TimeSpan timeout) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancel) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancel).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = new Uri("http://kalki-edge/"), Timeout = timeout };

    /// <summary>Polls GET /devices until it answers 200 (true) or <paramref name="limit"/> passes (false).</summary>
    public bool WaitUntilServing(TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (TryDevices() is not null)
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return false;
    }

    /// <summary>GET /devices as JSON, or null when the appliance does not answer (not started, or killed).</summary>
    public JsonElement? TryDevices()
    {
        try
        {
            using var response = _http.GetAsync(new Uri("devices", UriKind.Relative)).GetAwaiter().GetResult();
            return response.StatusCode == HttpStatusCode.OK
                ? JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult()).RootElement.Clone()
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>POST /devices/NAME/reset: the status code, or null when the appliance did not answer.</summary>
    public HttpStatusCode? TryReset(string device, string reason)
    {
        try
        {
            using var body = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["reason"] = reason }), Encoding.UTF8, "application/json");
            using var response = _http.PostAsync(new Uri($"devices/{Uri.EscapeDataString(device)}/reset", UriKind.Relative), body).GetAwaiter().GetResult();
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Resets <paramref name="device"/> again and again (a <paramref name="pause"/> apart) until stopped or an answer
    /// is not 202 Accepted (the appliance was killed); returns how many were accepted.
    /// </summary>
    public int ResetUntil(string device, TimeSpan pause, CancellationToken stop)
    {
        int accepted = 0;
        for (int i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
        {
            if (TryReset(device, $"crash test {i}") is not HttpStatusCode.Accepted)
            {
                return accepted;
            }

            accepted++;
            if (pause > TimeSpan.Zero)
            {
                stop.WaitHandle.WaitOne(pause);
            }
        }

        return accepted;
    }

    public void Dispose() => _http.Dispose();
}
