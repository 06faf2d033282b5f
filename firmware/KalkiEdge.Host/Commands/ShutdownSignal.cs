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
    // Registrations live as long as the process (see Dispose): a static root keeps them from being finalized.
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private bool _disposed;

    public ShutdownSignal()
    {
        lock (Registrations)
        {
            Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
            Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        }
    }

    public CancellationToken Token => _stop.Token;

    public bool Requested => _stop.IsCancellationRequested;

    /// <summary>
    /// Ends the command's use of the token. The handlers stay registered until the process exits: a signal in the
    /// last milliseconds (after the store is closed) is then ignored, where the runtime's default would turn a
    /// clean exit into "killed by SIGTERM" (143).
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _stop.Dispose();
    }

    /// <summary>Stops the command as SIGTERM does (the panel's factory reset: systemd starts the service again).</summary>
    public void Request()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _stop.Cancel();
            }
        }
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
