using System.Net;
using System.Net.Sockets;

namespace KalkiEdge.Devices.Http;

/// <summary>
/// A listening socket whose connections are each served on the thread pool until it is disposed (the small servers'
/// shared accept loop). With <c>maxConnections</c>, at most that many are served at once; the next wait in the
/// kernel's backlog.
/// </summary>
public sealed class AcceptLoop : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Socket, CancellationToken, Task> _serve;
    private readonly CancellationTokenSource _stop = new();
    // Never disposed: a connection still being served releases its slot after the loop is gone (the semaphore's
    // wait handle is never asked for, so it holds nothing to release).
#pragma warning disable CA2213
    private readonly SemaphoreSlim? _slots;
#pragma warning restore CA2213
    private readonly Task _accepting;

    public AcceptLoop(IPEndPoint at, Func<Socket, CancellationToken, Task> serve, int? maxConnections = null)
    {
        _serve = serve;
        _slots = maxConnections is { } n ? new SemaphoreSlim(n) : null;
        _listener = new TcpListener(at);
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _accepting = Task.Run(Accept);
    }

    public IPEndPoint EndPoint { get; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // The accept loop ends with the listener.
        }

        _stop.Dispose();
    }

    private async Task Accept()
    {
        var stopping = _stop.Token;
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                if (_slots is not null)
                {
                    await _slots.WaitAsync(stopping).ConfigureAwait(false);
                }

                socket = await _listener.AcceptSocketAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await _serve(socket, stopping).ConfigureAwait(false);
                }
                finally
                {
                    _slots?.Release();
                }
            });
        }
    }
}
