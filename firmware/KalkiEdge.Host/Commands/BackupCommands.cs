using KalkiEdge.Appliance.Backup;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;
using KalkiEdge.DataPlane.Io;

namespace KalkiEdge.Host.Commands;

/// <summary>kalki-edge backup / restore: the site's data directory to an archive and back (<see cref="BackupFormat"/>).</summary>
internal static class BackupCommands
{
    public static int Backup(CommandLine cl)
    {
        var (config, configPath) = LoadConfig(cl, "backup");
        if (config is null)
        {
            return configPath is null ? ExitCodes.Usage : ExitCodes.Invalid;
        }

        if (cl.Option("--out") is not { } output)
        {
            Console.Error.WriteLine("kalki-edge backup: --out ARCHIVE is required");
            return ExitCodes.Usage;
        }

        string? passphrase = null;
        if (cl.Flag("--keys"))
        {
            if (cl.Option("--passphrase-file") is not { } passphraseFile)
            {
                Console.Error.WriteLine("kalki-edge backup: --keys needs --passphrase-file FILE (the passphrase that seals the keys)");
                return ExitCodes.Usage;
            }

            if (ReadPassphrase("backup", passphraseFile) is not { } p)
            {
                return ExitCodes.Invalid;
            }

            passphrase = p;
        }

        // Written beside the target and renamed over it: an interrupted backup never leaves half an archive there.
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $".{Path.GetFileName(output)}.{Environment.ProcessId}.tmp");
        if (CreateArchive(output, temp) is not { } created)
        {
            return ExitCodes.Invalid;
        }

        try
        {
            BackupManifest manifest;
            using (var file = created)
            {
                manifest = BackupWriter.Write(config.DataDir, file, passphrase);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, output, overwrite: true);
            Console.WriteLine($"{output}: backup of {config.DataDir} (schema {manifest.Schema}, {manifest.Entries.Count(e => e.Name.StartsWith(BackupFormat.PacksPrefix, StringComparison.Ordinal))} edited packs, keys {(manifest.HasKeys ? "sealed with the passphrase" : "not included")})");
            return ExitCodes.Ok;
        }
        catch (BackupException e)
        {
            Console.Error.WriteLine($"kalki-edge backup: {e.Message}");
            return ExitCodes.Invalid;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static int Restore(CommandLine cl)
    {
        if (cl.Argument is not { } archive)
        {
            Console.Error.WriteLine("kalki-edge restore: the ARCHIVE to restore is required");
            return ExitCodes.Usage;
        }

        var (config, configPath) = LoadConfig(cl, "restore");
        if (config is null)
        {
            return configPath is null ? ExitCodes.Usage : ExitCodes.Invalid;
        }

        string? passphrase = null;
        if (cl.Option("--passphrase-file") is { } passphraseFile && (passphrase = ReadPassphrase("restore", passphraseFile)) is null)
        {
            return ExitCodes.Invalid;
        }

        if (InputFile.TryOpenRead(archive, out var refusal) is not { } opened)
        {
            Console.Error.WriteLine($"kalki-edge restore: {archive}: {refusal}");
            return ExitCodes.Invalid;
        }

        try
        {
            using var file = opened;
            var s = SiteRestore.Stage(file, config, passphrase);
            Console.WriteLine($"{archive}: valid backup from firmware {s.Manifest.Firmware} ({s.Manifest.Created:u}): {s.RuntimeDevices} run-time devices, {s.EditedPacks} edited packs, {s.AuditEntries} audit entries, "
                + (s.KeyFiles.Count > 0 ? $"{s.KeyFiles.Count} key files" : s.KeysLeftOut ? "keys left out (no --passphrase-file)" : "no keys"));
            Console.WriteLine($"staged in {Path.Combine(config.DataDir, SiteRestore.PendingName)}: it replaces the site's data when kalki-edge next starts (systemctl restart kalki-edge)");
            return ExitCodes.Ok;
        }
        catch (BackupException e)
        {
            Console.Error.WriteLine($"kalki-edge restore: {archive}: {e.Message}");
            return ExitCodes.Invalid;
        }
    }

    private static (SiteConfig? Config, string? Path) LoadConfig(CommandLine cl, string command)
    {
        if (cl.Option("--config") is not { } path)
        {
            Console.Error.WriteLine($"kalki-edge {command}: --config FILE is required");
            return (null, null);
        }

        var diagnostics = new DiagnosticBag();
        var config = SiteConfigLoader.Load(path, diagnostics);
        foreach (var d in diagnostics.Items)
        {
            Console.Error.WriteLine(d);
        }

        return (config, path);
    }

    /// <summary>
    /// The backup's temporary file beside <paramref name="output"/>, or null after saying why it cannot be written there
    /// (--out names a folder, its folder is missing, no permission).
    /// </summary>
    private static FileStream? CreateArchive(string output, string temp)
    {
        var why = Directory.Exists(output) ? "is a directory; --out names the archive file to write"
            : !Directory.Exists(Path.GetDirectoryName(temp)) ? $"no such directory {Path.GetDirectoryName(temp)}"
            : null;
        if (why is null)
        {
            try
            {
                return PrivateFiles.Create(temp);
            }
            catch (UnauthorizedAccessException)
            {
                why = $"cannot write in {Path.GetDirectoryName(temp)}: permission denied";
            }
            catch (IOException e)
            {
                why = $"cannot write in {Path.GetDirectoryName(temp)}: {e.Message}";
            }
        }

        Console.Error.WriteLine($"kalki-edge backup: --out {output}: {why}");
        return null;
    }

    /// <summary>
    /// The first line of the passphrase file (at most 1 KiB; "-" reads standard input), or null after saying why it
    /// cannot be read.
    /// </summary>
    private static string? ReadPassphrase(string command, string path)
    {
        var refusal = "";
        var stream = path == "-" ? Console.OpenStandardInput() : InputFile.TryOpenRead(path, out refusal);
        if (stream is null)
        {
            Console.Error.WriteLine($"kalki-edge {command}: --passphrase-file {path}: {refusal}");
            return null;
        }

        using var reader = new StreamReader(stream);
        var buffer = new char[1025];
        var read = reader.ReadBlock(buffer);
        if (read > 1024)
        {
            Console.Error.WriteLine($"kalki-edge {command}: --passphrase-file {path}: more than 1024 characters; a passphrase file holds one line");
            return null;
        }

        return new string(buffer, 0, read).Split('\n')[0].TrimEnd('\r');
    }
}
