namespace KalkiEdge.Panel.Display;

/// <summary>
/// A character display: the real LCD, the in-memory one tests read, or the console one <c>make run</c> draws.
/// <see cref="Show"/> gets exactly <see cref="Rows"/> lines of exactly <see cref="Columns"/> characters.
/// </summary>
public interface ICharacterDisplay : IDisposable
{
    int Columns { get; }

    int Rows { get; }

    /// <summary>Replaces the screen. May throw <see cref="IOException"/> (an unplugged display); the caller retries.</summary>
    void Show(IReadOnlyList<string> lines);
}

/// <summary>The screen in memory: what a test asserts on, exactly as the LCD would show it.</summary>
public sealed class MemoryDisplay(int columns, int rows) : ICharacterDisplay
{
    public int Columns => columns;

    public int Rows => rows;

    /// <summary>The lines on screen now.</summary>
    public IReadOnlyList<string> Lines { get; private set; } = [.. Enumerable.Repeat(new string(' ', columns), rows)];

    /// <summary>How many times the screen was redrawn.</summary>
    public int Writes { get; private set; }

    /// <summary>When set, the next <see cref="Show"/> calls throw as an unplugged I2C display does.</summary>
    public bool Unplugged { get; set; }

    public void Show(IReadOnlyList<string> lines)
    {
        if (Unplugged)
        {
            throw new IOException("Error 121 performing I2C data transfer (remote I/O error)");
        }

        Lines = [.. lines];
        Writes++;
    }

    public void Dispose()
    {
    }
}

/// <summary>The LCD drawn in a terminal, boxed, each time its contents change (the simulation's panel).</summary>
public sealed class ConsoleDisplay(TextWriter output, int columns, int rows) : ICharacterDisplay
{
    public int Columns => columns;

    public int Rows => rows;

    public void Show(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var border = "+" + new string('-', columns) + "+";
        lock (output)
        {
            output.WriteLine($"            LCD   {border}");
            foreach (var line in lines)
            {
                output.WriteLine($"                  |{line}|");
            }

            output.WriteLine($"                  {border}");
            output.Flush();
        }
    }

    public void Dispose()
    {
    }
}
