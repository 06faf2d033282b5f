using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KalkiEdge.Export.Events;
using KalkiEdge.DataPlane.Tls;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Export.Syslog;

/// <summary>Syslog sink counters.</summary>
public sealed class SyslogCounters
{
    public long Sent;
    public long Dropped;
    public long ConnectFailures;
    public long SendFailures;
}

/// <summary>
/// EVE events to a remote collector as RFC 5424 messages, over UDP (one datagram each), TCP or TLS (octet-counted,
/// RFC 6587 / 5425). A thread of its own sends; the control loop only queues (bounded: beyond
/// <see cref="SyslogOptions.QueueCapacity"/> waiting, new events are dropped and counted). A collector that is down
/// keeps events queued while the sink reconnects (backing off to 30 s), and a failed send is retried once on a new
/// connection before the message counts as lost.
/// </summary>
public sealed partial class SyslogSink : IEventSink, IQueuedSink, IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly SyslogOptions _options;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ArrayBufferWriter<byte> _message = new(4096);
    private readonly string _host = Rfc5424.HostName(Environment.MachineName);
    private readonly SiteTrust _trust;
    private readonly Thread _sender;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _socket;
    private Stream? _stream;
    private readonly BoundedEventQueue _queue;
    private volatile bool _disposed;
    private TimeSpan _backoff = TimeSpan.FromMilliseconds(250);

    public SyslogSink(SyslogOptions options, ILogger log)
    {
        _options = options;
        _queue = new BoundedEventQueue(options.QueueCapacity);
        _log = log;
        _trust = new SiteTrust(options.CaFile);

        _sender = new Thread(Run) { IsBackground = true, Name = "syslog" };
        _sender.Start();
    }

    public SyslogCounters Counters { get; } = new();

    public IEnumerable<SinkQueue> Queues => [new("syslog", _queue.Count, Interlocked.Read(ref Counters.Dropped))];

    public void Publish(ApplianceEvent e)
    {
        if (_disposed || !_queue.TryAdd(e))
        {
            Interlocked.Increment(ref Counters.Dropped);
            return;
        }

        _signal.Release();
    }

    /// <summary>Sends what is queued (bounded: 5 s), then closes the connection; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop.CancelAfter(TimeSpan.FromSeconds(5));
        _signal.Release();
        if (_sender.Join(TimeSpan.FromSeconds(10)))
        {
            _stop.Dispose();
        }

        Close();
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                _signal.Wait(TimeSpan.FromSeconds(1), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            while (_queue.TryPeek(out var e) && !_stop.IsCancellationRequested)
            {
                if (!Connected())
                {
                    _stop.Token.WaitHandle.WaitOne(_backoff);
                    _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
                    continue;
                }

                _backoff = TimeSpan.FromMilliseconds(250);
                if (!Send(e) && !(Connected() && Send(e)))
                {
                    Interlocked.Increment(ref Counters.SendFailures);
                }

                _queue.TryTake(out _);
            }

            if (_disposed && _queue.IsEmpty)
            {
                break;
            }
        }
    }

    private bool Connected()
    {
        if (_socket is not null)
        {
            return true;
        }

        try
        {
            var udp = _options.Transport == SyslogTransport.Udp;
            var socket = new Socket(udp ? SocketType.Dgram : SocketType.Stream, udp ? ProtocolType.Udp : ProtocolType.Tcp);
            if (!socket.ConnectAsync(_options.Host, _options.Port, _stop.Token).AsTask().Wait(TimeSpan.FromSeconds(10)) || !socket.Connected)
            {
                socket.Dispose();
                throw new SocketException((int)SocketError.TimedOut);
            }

            _socket = socket;
            if (_options.Transport == SyslogTransport.Tls)
            {
                var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false, ValidateServer);
                _stream = tls;
                if (!tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _options.Host }, _stop.Token).Wait(TimeSpan.FromSeconds(10)))
                {
                    throw new IOException("TLS handshake did not finish within 10 s");
                }
            }
            else if (!udp)
            {
                _stream = new NetworkStream(socket, ownsSocket: false);
            }

            Log.Connected(_log, _options.Transport.ToString().ToUpperInvariant(), _options.Host, _options.Port);
            return true;
        }
#pragma warning disable CA1031 // any failure to reach the collector is counted and retried, never fatal
        catch (Exception e)
#pragma warning restore CA1031
        {
            Close();
            if (Interlocked.Increment(ref Counters.ConnectFailures) == 1 || Counters.ConnectFailures % 100 == 0)
            {
                Log.ConnectFailed(_log, _options.Host, _options.Port, (e.InnerException ?? e).Message, Counters.ConnectFailures);
            }

            return false;
        }
    }

    private bool Send(ApplianceEvent e)
    {
        _message.ResetWrittenCount();
        if (_options.Transport != SyslogTransport.Udp)
        {
            // Octet counting: the message length, a space, the message. Its digits are written after formatting.
            var body = new ArrayBufferWriter<byte>(4096);
            Rfc5424.Write(e, _options.Facility, _host, Environment.ProcessId, body);
            _message.Write(Encoding.ASCII.GetBytes(body.WrittenCount.ToString(CultureInfo.InvariantCulture) + " "));
            _message.Write(body.WrittenSpan);
        }
        else
        {
            Rfc5424.Write(e, _options.Facility, _host, Environment.ProcessId, _message);
        }

        try
        {
            if (_stream is not null)
            {
                _stream.Write(_message.WrittenSpan);
                _stream.Flush();
            }
            else
            {
                _socket!.Send(_message.WrittenSpan);
            }

            Interlocked.Increment(ref Counters.Sent);
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Close();
            return false;
        }
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => _trust.Accepts(certificate, errors);

    private void Close()
    {
        _stream?.Dispose();
        _socket?.Dispose();
        _stream = null;
        _socket = null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "syslog: sending EVE events over {Transport} to {Host}:{Port}")]
        public static partial void Connected(ILogger logger, string transport, string host, int port);

        [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "syslog: cannot reach {Host}:{Port}: {Reason} ({Failures} failures so far); events stay queued")]
        public static partial void ConnectFailed(ILogger logger, string host, int port, string reason, long failures);
    }
}
