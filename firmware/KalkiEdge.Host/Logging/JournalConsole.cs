using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KalkiEdge.Host.Logging;

/// <summary>
/// <c>run</c> with a site config logs through Microsoft.Extensions.Logging with the systemd console formatter: each
/// line starts with its journal priority (<c>&lt;3&gt;</c> error, <c>&lt;4&gt;</c> warning, <c>&lt;6&gt;</c> info),
/// so <c>journalctl -p warning</c> shows capture loss, signing off and failed exports. What other modules still
/// print to the console becomes log lines too: standard error as errors, a line starting with <c>WARNING</c> as a
/// warning, the rest as information. Disposing restores the console and flushes the logger.
/// </summary>
internal sealed partial class JournalConsole : IDisposable
{
    private readonly TextWriter _out = Console.Out;
    private readonly TextWriter _error = Console.Error;

    private JournalConsole()
    {
        // The console provider takes the process's standard output when it is made, i.e. before the redirection.
        Factory = LoggerFactory.Create(b => b
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddSystemdConsole(o => o.IncludeScopes = false)
            // Errors stay on standard error, as every command's refusals are (scripts and the tests read them there).
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Error));
        Logger = Factory.CreateLogger("KalkiEdge");
        Logger.LogDebug("journal logging on"); // makes the provider open its writer now
        Console.SetOut(new LineLogger(Logger, LogLevel.Information));
        Console.SetError(new LineLogger(Logger, LogLevel.Error));
    }

    public ILoggerFactory Factory { get; }

    public ILogger Logger { get; }

    public static JournalConsole Start() => new();

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
