using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Serialization.Metadata;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Management;

/// <summary>The CLI's side of the control socket: HTTP over AF_UNIX to the running appliance.</summary>
internal sealed class OperatorClient : IDisposable
{
    private readonly HttpClient _http;

    public OperatorClient(string socketPath, TimeSpan timeout)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancel).ConfigureAwait(false);
                    // The kernel names the server: whatever the path's owners, only root or this user may answer.
                    if (PeerCredentials.Of(socket) is { } server && server.Uid != 0 && server.Uid != PosixFileStatus.EffectiveUser)
                    {
                        throw new UntrustedServerException($"the process serving it (pid {server.Pid}) runs as uid {server.Uid}, not as this user (uid {PosixFileStatus.EffectiveUser}) or root");
                    }

                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://kalki-edge/"), Timeout = timeout };
    }

    public string SocketPath { get; }

    public Task<Answer<DeviceList>> DevicesAsync() => GetAsync("devices", OperatorJsonContext.Default.DeviceList);

    public Task<Answer<DeviceStatus>> DeviceAsync(string name) => GetAsync($"devices/{Uri.EscapeDataString(name)}", OperatorJsonContext.Default.DeviceStatus);

    public async Task<Answer<ResetAccepted>> ResetAsync(string name, string? reason)
    {
        using var body = JsonContent.Create(new ResetRequest(reason), OperatorJsonContext.Default.ResetRequest);
        return await SendAsync(() => _http.PostAsync(new Uri($"devices/{Uri.EscapeDataString(name)}/reset", UriKind.Relative), body), OperatorJsonContext.Default.ResetAccepted).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private Task<Answer<T>> GetAsync<T>(string path, JsonTypeInfo<T> type) =>
        SendAsync(() => _http.GetAsync(new Uri(path, UriKind.Relative)), type);

    private async Task<Answer<T>> SendAsync<T>(Func<Task<HttpResponseMessage>> send, JsonTypeInfo<T> type)
    {
        if (ControlSocketPath.Untrusted(SocketPath) is { } untrusted)
        {
            return new Answer<T>(default, $"refusing to talk to {SocketPath}: {untrusted}");
        }

        try
        {
            using var response = await send().ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return new Answer<T>(await response.Content.ReadFromJsonAsync(type).ConfigureAwait(false), null);
            }

            var error = await response.Content.ReadFromJsonAsync(OperatorJsonContext.Default.OperatorError).ConfigureAwait(false);
            return new Answer<T>(default, $"{(int)response.StatusCode} {response.StatusCode}: {error?.Error}");
        }
        catch (HttpRequestException e) when (e.InnerException is UntrustedServerException u)
        {
            return new Answer<T>(default, $"refusing to talk to {SocketPath}: {u.Message}");
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException s)
        {
            var why = s.SocketErrorCode switch
            {
                SocketError.AccessDenied => "permission denied (run as the appliance's user or root)",
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused => "no kalki-edge is running there",
                _ => s.Message,
            };
            return new Answer<T>(default, $"cannot reach the appliance on {SocketPath}: {why}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return new Answer<T>(default, $"the appliance on {SocketPath} did not answer properly: {e.Message}");
        }
    }

    private sealed class UntrustedServerException(string message) : IOException(message);

    /// <summary>A value, or the error that explains its absence.</summary>
    public sealed record Answer<T>(T? Value, string? Error);
}
