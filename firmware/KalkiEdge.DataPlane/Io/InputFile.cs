namespace KalkiEdge.DataPlane.Io;

/// <summary>
/// Opens a file an operator named (a command's argument or option) for reading, and says in a few words why not when it
/// cannot: the caller prefixes the command and which file it was, so a wrong path is one line, never an exception.
/// A directory, FIFO, socket or device is refused before it is opened: opening a FIFO waits for a writer without end,
/// and .NET reports a directory only as "access denied".
/// </summary>
public static class InputFile
{
    /// <summary>The open file, or null with <paramref name="refusal"/> saying why ("no such file", "is a directory, not a file", …).</summary>
    public static FileStream? TryOpenRead(string path, out string refusal)
    {
        if (NotARegularFile(path) is { } why)
        {
            refusal = why;
            return null;
        }

        refusal = "";

        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            refusal = "no such file";
        }
        catch (UnauthorizedAccessException)
        {
            refusal = "cannot be read: permission denied";
        }
        catch (IOException e)
        {
            refusal = $"cannot be read: {e.Message}";
        }

        return null;
    }

    /// <summary>Why <paramref name="path"/> exists but cannot be read as a file; null for a regular file or a missing path.</summary>
    public static string? NotARegularFile(string path) => PosixFileStatus.OfTarget(path) is { IsRegularFile: false } status
        ? status.IsDirectory ? "is a directory, not a file" : "is not a regular file (a FIFO, socket or device cannot be read as one)"
        : null;
}
