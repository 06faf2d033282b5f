using KalkiEdge.Appliance.Backup;
using KalkiEdge.Appliance.Config;
using KalkiEdge.Core;

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
            if (ReadPassphrase(cl, "backup") is not { } p)
            {
                return ExitCodes.Usage;
            }

            passphrase = p;
        }

        // Written beside the target and renamed over it: an interrupted backup never leaves half an archive there.
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $".{Path.GetFileName(output)}.{Environment.ProcessId}.tmp");
        try
        {
            BackupManifest manifest;
            using (var file = PrivateFiles.Create(temp))
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

        var passphrase = cl.Option("--passphrase-file") is null ? null : ReadPassphrase(cl, "restore");

        try
        {
            using var file = File.OpenRead(archive);
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

    /// <summary>The first line of --passphrase-file (at most 1 KiB; "-" reads standard input).</summary>
    private static string? ReadPassphrase(CommandLine cl, string command)
    {
        if (cl.Option("--passphrase-file") is not { } path)
        {
            Console.Error.WriteLine($"kalki-edge {command}: --keys needs --passphrase-file FILE (the passphrase that seals the keys)");
            return null;
        }

        using var reader = path == "-" ? new StreamReader(Console.OpenStandardInput()) : new StreamReader(path);
        var buffer = new char[1025];
        var read = reader.ReadBlock(buffer);
        if (read > 1024)
        {
            throw new IOException($"{path}: a passphrase file holds one line of at most 1024 characters");
        }

        return new string(buffer, 0, read).Split('\n')[0].TrimEnd('\r');
    }
}
