using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Logging;

/// <summary>
/// Log records to systemd-journald's native socket, each with its priority and its structured values as fields
/// (<see cref="JournalFields"/>). A logging call only formats the record and queues it (bounded: beyond
/// <see cref="Capacity"/> waiting, records are dropped and counted, never waited for); a thread of its own sends
/// them without blocking, so a busy journal never delays the control loop. Chosen by <see cref="JournalConsole"/>
/// when the process runs under systemd with its output going to the journal.
/// </summary>
internal sealed class JournalNativeProvider : ILoggerProvider
{
    public const string DefaultSocket = "/run/systemd/journal/socket";
    public const int Capacity = 4096;

    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string _identifier;
    private readonly ConcurrentQueue<byte[]> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _sender;
    private int _count;
    private long _dropped;
    private long _sendFailures;
    private volatile bool _stopping;

    /// <summary>Connects to the journal's socket at <paramref name="socketPath"/> (throws <see cref="SocketException"/> when there is none).</summary>
    public JournalNativeProvider(string socketPath, string identifier)
    {
        _identifier = identifier;
        _socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        _sender = new Thread(Run) { IsBackground = true, Name = "journal" };
        _sender.Start();
    }

    /// <summary>Records dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records the journal did not take (its socket buffer full, or it went away).</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>
    /// The journal's socket when the process runs under systemd with standard output or error connected to the
    /// journal (<c>JOURNAL_STREAM</c> set, as systemd sets it) and the socket exists; null otherwise.
    /// </summary>
    public static string? SocketUnderSystemd() =>
        Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 } && File.Exists(DefaultSocket) ? DefaultSocket : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Sends what is queued, then closes the socket.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _signal.Release();
        _sender.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
    }

    private void Enqueue(byte[] record)
    {
        if (_stopping || Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _queue.Enqueue(record);
        _signal.Release();
    }

    private void Run()
    {
        while (!_stopping || !_queue.IsEmpty)
        {
            if (!_queue.TryDequeue(out var record))
            {
                _signal.Wait(TimeSpan.FromMilliseconds(250));
                continue;
            }

            Interlocked.Decrement(ref _count);
            try
            {
                _socket.Send(record, SocketFlags.None);
            }
            catch (SocketException)
            {
                Interlocked.Increment(ref _sendFailures); // the journal is gone or full: the record is lost, the appliance goes on
            }
        }
    }

    private sealed class Logger(JournalNativeProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
            provider.Enqueue(JournalFields.Record(provider._identifier, category, logLevel, eventId, formatter(state, exception), values, exception));
        }
    }
}
