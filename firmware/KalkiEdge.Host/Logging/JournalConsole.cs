using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Logging;

/// <summary>
/// <c>run</c> with a site config logs through Microsoft.Extensions.Logging. Under systemd (its output going to the
/// journal) records go to the journal's native socket with their priority and structured fields
/// (<see cref="JournalNativeProvider"/>); otherwise through the systemd console formatter, each line starting with
/// its journal priority (<c>&lt;3&gt;</c> error, <c>&lt;4&gt;</c> warning, <c>&lt;6&gt;</c> info). Either way
/// <c>journalctl -p warning</c> shows capture loss, signing off and failed exports. What other modules still print
/// to the console becomes log lines too: standard error as errors, a line starting with <c>WARNING</c> as a
/// warning, the rest as information. Disposing restores the console and flushes the logger.
/// </summary>
internal sealed partial class JournalConsole : IDisposable
{
    private readonly TextWriter _out = Console.Out;
    private readonly TextWriter _error = Console.Error;

    private JournalConsole()
    {
        // The console provider takes the process's standard output when it is made, i.e. before the redirection.
        var journal = JournalNativeProvider.SocketUnderSystemd() is { } socket ? Connect(socket) : null;
        Factory = LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning);
            if (journal is not null)
            {
                b.AddProvider(journal);
                return;
            }

            b.AddSystemdConsole(o => o.IncludeScopes = false)
                // Errors stay on standard error, as every command's refusals are (scripts and the tests read them
                // there); a console too slow for a storm of lines drops them rather than stall the caller.
                .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o =>
                {
                    o.LogToStandardErrorThreshold = LogLevel.Error;
                    o.QueueFullMode = Microsoft.Extensions.Logging.Console.ConsoleLoggerQueueFullMode.DropWrite;
                });
        });
        Logger = Factory.CreateLogger("KalkiEdge");
        Logger.LogDebug("journal logging on"); // makes the provider open its writer now
        Console.SetOut(new LineLogger(Logger, LogLevel.Information));
        Console.SetError(new LineLogger(Logger, LogLevel.Error));
    }

    public ILoggerFactory Factory { get; }

    public ILogger Logger { get; }

    public static JournalConsole Start() => new();

    /// <summary>The journal's native socket, or null (then the console) when it cannot be reached.</summary>
    private static JournalNativeProvider? Connect(string socket)
    {
        try
        {
            return new JournalNativeProvider(socket, "kalki-edge");
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        Console.Out.Flush();
        Console.Error.Flush();
        Console.SetOut(_out);
        Console.SetError(_error);
        Factory.Dispose(); // drains the console logger's queue
    }

    [LoggerMessage(EventId = 0, Message = "{Line}")]
    private static partial void LogLine(ILogger logger, LogLevel level, string line);

    /// <summary>Turns written text into one log record per line.</summary>
    private sealed class LineLogger(ILogger logger, LogLevel level) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    Emit();
                }
                else if (value != '\r')
                {
                    _line.Append(value);
                }
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
            {
                Write(c);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_line)
            {
                Write(value);
                Write('\n');
            }
        }

        public override void Flush()
        {
            lock (_line)
            {
                if (_line.Length > 0)
                {
                    Emit();
                }
            }
        }

        private void Emit()
        {
            var text = _line.ToString();
            _line.Clear();
            if (string.IsNullOrWhiteSpace(text))
            {
                return;
            }

            var lineLevel = text.TrimStart().StartsWith("WARNING", StringComparison.Ordinal) ? LogLevel.Warning : level;
            LogLine(logger, lineLevel, text);
        }
    }
}
