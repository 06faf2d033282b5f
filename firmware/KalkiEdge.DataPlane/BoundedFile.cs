namespace KalkiEdge.DataPlane;

/// <summary>
/// Reads configuration, image, pack and rule files with a size limit, so a huge file is a clear I/O error instead of
/// exhausting memory. Only regular files are read: a FIFO would wait for a writer without end, a device such as
/// /dev/zero never ends, and .NET reports a directory only as "access denied".
/// </summary>
public static class BoundedFile
{
    /// <summary>Far above any real site config (10,000 devices are about 1.5 MB) or rule set.</summary>
    public const int MaxBytes = 32 << 20;

    public static byte[] ReadAllBytes(string path)
    {
        if (Io.InputFile.NotARegularFile(path) is { } why)
        {
            throw new IOException(why);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                throw new IOException($"file is larger than the limit of {MaxBytes / (1 << 20)} MiB");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The file as text (UTF-8, or as its byte order mark says).</summary>
    public static string ReadAllText(string path)
    {
        using var reader = new StreamReader(new MemoryStream(ReadAllBytes(path)), detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }
}
