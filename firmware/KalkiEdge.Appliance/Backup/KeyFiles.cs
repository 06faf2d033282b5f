using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace KalkiEdge.Appliance.Backup;

/// <summary>
/// The files of <c>DATA_DIR/keys</c> as one blob to seal: count (u16 BE), then per file its name (u16 length, UTF-8)
/// and contents (u32 length). Only plain file names are packed or unpacked, so nothing can land outside the folder.
/// </summary>
public static partial class KeyFiles
{
    public const string DirectoryName = "keys";
    private const int MaxFiles = 256;

    public static byte[] Pack(string keysDir)
    {
        var files = Directory.Exists(keysDir)
            ? Directory.GetFiles(keysDir).Where(f => FileName().IsMatch(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList()
            : [];
        if (files.Count > MaxFiles)
        {
            throw new BackupException($"{keysDir}: more than {MaxFiles} key files");
        }

        using var blob = new MemoryStream();
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(number, (ushort)files.Count);
        blob.Write(number[..2]);
        foreach (var file in files)
        {
            var name = Encoding.UTF8.GetBytes(Path.GetFileName(file));
            var data = File.ReadAllBytes(file);
            BinaryPrimitives.WriteUInt16BigEndian(number, (ushort)name.Length);
            blob.Write(number[..2]);
            blob.Write(name);
            BinaryPrimitives.WriteUInt32BigEndian(number, (uint)data.Length);
            blob.Write(number);
            blob.Write(data);
            if (blob.Length > BackupFormat.MaxKeysBytes / 2)
            {
                throw new BackupException($"{keysDir}: the key files exceed {BackupFormat.MaxKeysBytes / 2} bytes");
            }
        }

        return blob.ToArray();
    }

    /// <summary>Writes the packed files into <paramref name="keysDir"/> (created 0700, files 0600); returns their names.</summary>
    public static IReadOnlyList<string> Unpack(ReadOnlySpan<byte> blob, string keysDir)
    {
        var files = new List<(string Name, byte[] Data)>();
        var at = 0;
        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> all, int count, ref int offset)
        {
            if (count < 0 || offset + count > all.Length)
            {
                throw new BackupException($"{BackupFormat.KeysEntry}: the key files are truncated");
            }

            var part = all.Slice(offset, count);
            offset += count;
            return part;
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(Take(blob, 2, ref at));
        for (int i = 0; i < count; i++)
        {
            var name = Encoding.UTF8.GetString(Take(blob, BinaryPrimitives.ReadUInt16BigEndian(Take(blob, 2, ref at)), ref at));
            if (!FileName().IsMatch(name) || files.Any(f => f.Name == name))
            {
                throw new BackupException($"{BackupFormat.KeysEntry}: refused key file name '{name}' (a plain file name, once)");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(Take(blob, 4, ref at));
            files.Add((name, Take(blob, length > int.MaxValue ? -1 : (int)length, ref at).ToArray()));
        }

        if (at != blob.Length)
        {
            throw new BackupException($"{BackupFormat.KeysEntry}: {blob.Length - at} bytes after the last key file");
        }

        PrivateFiles.CreateDirectory(keysDir);
        foreach (var (name, data) in files)
        {
            PrivateFiles.Write(Path.Combine(keysDir, name), data);
        }

        return [.. files.Select(f => f.Name)];
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex FileName();
}
