using System.Runtime.InteropServices;

namespace KalkiEdge.Host.Commands;

/// <summary>
/// SIGTERM and SIGINT as a cancellation token for a command that shuts down by itself (gracefully). A signal that
/// arrives while the command is already finishing (a second Ctrl-C, systemd's stop racing the end of a run) is
/// ignored instead of cancelling a disposed token on a signal thread, which would crash the process.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _interrupt;
    private bool _disposed;

    public ShutdownSignal()
    {
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    }

    public CancellationToken Token => _stop.Token;

    public bool Requested => _stop.IsCancellationRequested;

    public void Dispose()
    {
        _term.Dispose();
        _interrupt.Dispose();
        lock (_gate)
        {
            _disposed = true;
        }

        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // the command stops itself and prints its summary
        lock (_gate)
        {
            if (!_disposed)
            {
                _stop.Cancel();
            }
        }
    }
}
