using System.Security.Cryptography;

namespace KalkiEdge.Assurance.Manifest;

/// <summary>
/// The builder's private manifest key. Developers get one generated on first use at
/// ~/.config/kalki-edge/dev-signing-key.pem (or <c>$KALKI_EDGE_SIGNING_KEY</c>), mode 0600. It is never committed:
/// production builders sign with their own key and ship its public half in the firmware.
/// </summary>
public static class DevSigningKey
{
    public const string EnvironmentVariable = "KALKI_EDGE_SIGNING_KEY";

    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv)
        {
            return fromEnv;
        }

        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(config, "kalki-edge", "dev-signing-key.pem");
    }

    /// <summary>Loads the private key at <paramref name="path"/>, creating a new P-256 key there if none exists.</summary>
    public static ECDsa LoadOrCreate(string path, out bool created)
    {
        created = false;
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(path, options))
            {
                writer.Write(fresh.ExportPkcs8PrivateKeyPem());
            }

            created = true;
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new ManifestException($"{path}: not a PEM private key: {e.Message}");
        }

        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new ManifestException($"{path}: manifest keys are ECDSA P-256, this one has {key.KeySize} bits");
        }

        return key;
    }
}
