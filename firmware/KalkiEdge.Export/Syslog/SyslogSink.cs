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
/// RFC 6587 / 5425). A thread of its own sends (<see cref="EventQueueWorker"/>); the control loop only queues, waking
/// the sender only when it sleeps (bounded: beyond <see cref="SyslogOptions.QueueCapacity"/> waiting, new events are
/// dropped and counted). An event leaves the queue once sent, so the queue's depth shows a collector that is away. A collector that is down
/// keeps events queued while the sink reconnects (backing off to 30 s), and a failed send is retried once on a new
/// connection before the message counts as lost.
/// </summary>
public sealed partial class SyslogSink : IEventSink, IQueuedSink, IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly SyslogOptions _options;
    private readonly ILogger _log;
    private readonly ArrayBufferWriter<byte> _message = new(4096);
    private readonly string _host = Rfc5424.HostName(Environment.MachineName);
    private readonly SiteTrust _trust;
    private readonly EventQueueWorker _sender;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _socket;
    private Stream? _stream;
    private TimeSpan _backoff = TimeSpan.FromMilliseconds(250);

    public SyslogSink(SyslogOptions options, ILogger log)
    {
        _options = options;
        _log = log;
        _trust = new SiteTrust(options.CaFile);
        _sender = new EventQueueWorker("syslog", options.QueueCapacity, SendQueued);
    }

    public SyslogCounters Counters { get; } = new();

    public IEnumerable<SinkQueue> Queues => [new("syslog", _sender.Depth, Interlocked.Read(ref Counters.Dropped))];

    public void Publish(ApplianceEvent e) => _sender.PostOrDrop(e, ref Counters.Dropped);

    /// <summary>Sends what is queued (bounded: 5 s), then closes the connection; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_sender.Stopping)
        {
            return;
        }

        _stop.CancelAfter(TimeSpan.FromSeconds(5));
        _sender.Stop(TimeSpan.FromSeconds(10));
        if (!_sender.Running)
        {
            _stop.Dispose();
        }

        Close();
    }

    /// <summary>
    /// A turn of the sender: every queued event sent, oldest first, each taken from the queue only once sent (or
    /// counted lost), while the collector is reached with back-off. Past the stop's 5 s the rest stays queued.
    /// </summary>
    private EventQueueWorker.Turn SendQueued(BoundedEventQueue queue)
    {
        while (queue.TryPeek(out var e) && !_stop.IsCancellationRequested)
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

            queue.TryTake(out _);
        }

        return _stop.IsCancellationRequested ? EventQueueWorker.Turn.Finished : EventQueueWorker.Turn.Idle;
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
