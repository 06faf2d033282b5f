using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KalkiEdge.Devices.Http;

namespace KalkiEdge.Devices.Camera;

/// <summary>
/// A bounded SMTP receiver (RFC 5321, no relay, no AUTH, no TLS) for the e-mails cameras send on motion: every line,
/// message, recipient count, session time and session count is limited (<see cref="SmtpLimits"/>), and a session
/// that breaks a limit is answered with a reply naming it, then closed. <paramref name="accept"/> decides whether
/// the connecting address may send (null: allowed; else the refusal, answered 554); <paramref name="delivered"/>
/// gets each complete message's sender address and subject. Message bodies are counted, never kept.
/// </summary>
public sealed class SmtpReceiver : IDisposable
{
    private const int MaxSubject = 200;
    private readonly AcceptLoop _loop;
    private readonly SmtpLimits _limits;
    private readonly Func<IPAddress, string?> _accept;
    private readonly Action<IPAddress, string> _delivered;
    private readonly Action<string> _log;
    private int _sessions;

    public SmtpReceiver(IPEndPoint endPoint, SmtpLimits limits, Func<IPAddress, string?> accept, Action<IPAddress, string> delivered, Action<string> log)
    {
        _limits = limits;
        _accept = accept;
        _delivered = delivered;
        _log = log;
        _loop = new AcceptLoop(endPoint, Serve);
    }

    public IPEndPoint EndPoint => _loop.EndPoint;

    public void Dispose() => _loop.Dispose();

    private async Task Serve(Socket socket, CancellationToken stopping)
    {
        var remote = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        using var stream = new NetworkStream(socket, ownsSocket: true);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(_limits.SessionTime);
        var session = new Session(stream, _limits, deadline.Token);
        try
        {
            if (Interlocked.Increment(ref _sessions) > _limits.MaxSessions)
            {
                await session.Reply($"421 4.7.0 more than {_limits.MaxSessions} sessions at once; try again later").ConfigureAwait(false);
                return;
            }

            if (_accept(remote) is { } refusal)
            {
                await session.Reply($"554 5.7.1 {refusal}").ConfigureAwait(false);
                _log($"camera e-mail from {remote} refused: {refusal}");
                return;
            }

            await Converse(session, remote).ConfigureAwait(false);
        }
        catch (SmtpLimitException e)
        {
            _log($"camera e-mail from {remote}: {e.Message}");
            await session.TryReply(e.Reply).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            var why = $"session over {_limits.SessionTime.TotalSeconds:0} s";
            _log($"camera e-mail from {remote}: {why}, cut off");
            await session.TryReply($"421 4.4.2 {why}; closing").ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or we are stopping.
        }
        finally
        {
            Interlocked.Decrement(ref _sessions);
        }
    }

    private async Task Converse(Session s, IPAddress remote)
    {
        await s.Reply("220 kalki-edge ESMTP camera event receiver").ConfigureAwait(false);
        bool greeted = false, mail = false;
        int recipients = 0, messages = 0;
        while (true)
        {
            var line = await s.ReadLine().ConfigureAwait(false);
            if (line is null)
            {
                return;
            }

            var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    greeted = true;
                    await s.Reply($"250-kalki-edge\r\n250-SIZE {_limits.MaxMessageBytes.ToString(CultureInfo.InvariantCulture)}\r\n250 8BITMIME").ConfigureAwait(false);
                    break;
                case "HELO":
                    greeted = true;
                    await s.Reply("250 kalki-edge").ConfigureAwait(false);
                    break;
                case "MAIL" when !greeted:
                    await s.Reply("503 5.5.1 EHLO or HELO first").ConfigureAwait(false);
                    break;
                case "MAIL":
                    if (DeclaredSize(line) is { } size && size > _limits.MaxMessageBytes)
                    {
                        await s.Reply($"552 5.3.4 message of {size} bytes is over the {_limits.MaxMessageBytes}-byte limit").ConfigureAwait(false);
                        break;
                    }

                    mail = true;
                    recipients = 0;
                    await s.Reply("250 2.1.0 ok").ConfigureAwait(false);
                    break;
                case "RCPT" when !mail:
                    await s.Reply("503 5.5.1 MAIL first").ConfigureAwait(false);
                    break;
                case "RCPT" when recipients >= _limits.MaxRecipients:
                    await s.Reply($"452 4.5.3 more than {_limits.MaxRecipients} recipients").ConfigureAwait(false);
                    break;
                case "RCPT":
                    recipients++;
                    await s.Reply("250 2.1.5 ok").ConfigureAwait(false);
                    break;
                case "DATA" when recipients == 0:
                    await s.Reply("503 5.5.1 RCPT first").ConfigureAwait(false);
                    break;
                case "DATA":
                    if (++messages > _limits.MaxMessages)
                    {
                        throw new SmtpLimitException($"more than {_limits.MaxMessages} messages in one session", $"421 4.7.0 more than {_limits.MaxMessages} messages in one session; closing");
                    }

                    await s.Reply("354 end data with <CR><LF>.<CR><LF>").ConfigureAwait(false);
                    var subject = await ReadData(s).ConfigureAwait(false);
                    _delivered(remote, subject);
                    mail = false;
                    recipients = 0;
                    await s.Reply("250 2.0.0 accepted").ConfigureAwait(false);
                    break;
                case "RSET":
                    mail = false;
                    recipients = 0;
                    await s.Reply("250 2.0.0 ok").ConfigureAwait(false);
                    break;
                case "NOOP":
                    await s.Reply("250 2.0.0 ok").ConfigureAwait(false);
                    break;
                case "QUIT":
                    await s.Reply("221 2.0.0 bye").ConfigureAwait(false);
                    return;
                default:
                    await s.Reply("502 5.5.2 command not implemented").ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>Reads DATA to its lone "."; counts the bytes (over the limit: cut off) and keeps only the subject.</summary>
    private async Task<string> ReadData(Session s)
    {
        long size = 0;
        bool headers = true;
        string subject = "";
        while (true)
        {
            var line = await s.ReadLine().ConfigureAwait(false) ?? throw new IOException("connection closed in DATA");
            if (line == ".")
            {
                return subject;
            }

            size += line.Length + 2;
            if (size > _limits.MaxMessageBytes)
            {
                throw new SmtpLimitException($"message over {_limits.MaxMessageBytes} bytes, cut off",
                    $"552 5.3.4 message is over the {_limits.MaxMessageBytes}-byte limit; closing");
            }

            if (headers && line.Length == 0)
            {
                headers = false;
            }
            else if (headers && line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
            {
                var text = line[8..].Trim();
                subject = text.Length <= MaxSubject ? text : text[..MaxSubject];
            }
        }
    }

    private static long? DeclaredSize(string mailFrom)
    {
        var at = mailFrom.IndexOf(" SIZE=", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }

        var digits = new string([.. mailFrom[(at + 6)..].TakeWhile(char.IsAsciiDigit).Take(19)]);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>One connection: bounded line reads (ASCII/UTF-8 text, CRLF or LF), replies, all under the session's deadline.</summary>
    private sealed class Session(NetworkStream stream, SmtpLimits limits, CancellationToken token)
    {
        private readonly byte[] _buffer = new byte[4096];
        private readonly byte[] _line = new byte[limits.MaxLineBytes];
        private int _start;
        private int _end;

        public async Task<string?> ReadLine()
        {
            int length = 0;
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await stream.ReadAsync(_buffer, token).ConfigureAwait(false);
                    if (_end == 0)
                    {
                        return null;
                    }
                }

                var b = _buffer[_start++];
                if (b == (byte)'\n')
                {
                    if (length > 0 && _line[length - 1] == (byte)'\r')
                    {
                        length--;
                    }

                    return Encoding.UTF8.GetString(_line, 0, length);
                }

                if (length == _line.Length - 1)
                {
                    throw new SmtpLimitException($"line over {limits.MaxLineBytes} bytes",
                        $"500 5.5.0 line over the {limits.MaxLineBytes}-byte limit; closing");
                }

                _line[length++] = b;
            }
        }

        public async Task Reply(string text) =>
            await stream.WriteAsync(Encoding.ASCII.GetBytes(text + "\r\n"), token).ConfigureAwait(false);

        /// <summary>A last word before closing, bounded on its own: the session's deadline may be what ended it.</summary>
        public async Task TryReply(string text)
        {
            try
            {
                using var writeTime = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await stream.WriteAsync(Encoding.ASCII.GetBytes(text + "\r\n"), writeTime.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client is gone: the log line above says why the session ended.
            }
        }
    }

    private sealed class SmtpLimitException(string message, string reply) : Exception(message)
    {
        public string Reply { get; } = reply;
    }
}
