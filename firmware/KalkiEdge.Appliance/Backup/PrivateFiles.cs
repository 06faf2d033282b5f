namespace KalkiEdge.Appliance.Backup;

/// <summary>Files and folders readable by this user only (the data directory holds keys and credentials).</summary>
public static class PrivateFiles
{
    public static void CreateDirectory(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public static FileStream Create(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    public static void Write(string path, ReadOnlySpan<byte> data)
    {
        using var stream = Create(path);
        stream.Write(data);
        stream.Flush(flushToDisk: true);
    }
}
