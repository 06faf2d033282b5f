using System.Security.Cryptography;
using System.Text;

namespace KalkiEdge.Store;

/// <summary>
/// Device credentials at rest: AES-256-GCM under a key of its own in the data directory's <c>keys</c> folder, with the
/// appliance's other keys, so a backup made with its keys carries it (<see cref="KeyFileName"/>, created 0600 at first use), bound to the device's name, so the database file alone — a copy, a backup — never
/// gives a device's login away, nor can a sealed value be moved to another device. A value that does not open
/// (another key, tampered) opens as null: the device then has no credentials, which its monitor reports.
/// </summary>
internal sealed class CredentialVault
{
    public const string KeyFileName = "device-credentials.key";

    /// <summary>The folder beside the store that holds the appliance's keys.</summary>
    public const string KeysDirectoryName = "keys";
    private const string Prefix = "aesgcm1:";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private readonly byte[] _key;

    private CredentialVault(byte[] key) => _key = key;

    public static CredentialVault Open(string directory)
    {
        var file = Path.Combine(directory, KeyFileName);
        if (!File.Exists(file))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var fresh = RandomNumberGenerator.GetBytes(32);
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var created = new FileStream(file, options);
                created.Write(fresh);
                created.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process created it first: use theirs.
            }
        }

        var key = File.ReadAllBytes(file);
        if (key.Length != 32)
        {
            throw new InvalidDataException($"{file}: a device-credential key is 32 bytes, this file has {key.Length}");
        }

        return new CredentialVault(key);
    }

    public string? Seal(string? plain, string device)
    {
        if (plain is null)
        {
            return null;
        }

        var data = Encoding.UTF8.GetBytes(plain);
        var sealedBytes = new byte[NonceBytes + TagBytes + data.Length];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, data, sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), Context(device));
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    public string? Open(string? stored, string device)
    {
        if (stored is null || !stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return stored; // written before credentials were sealed: sealed at the device's next save
        }

        try
        {
            var sealedBytes = Convert.FromBase64String(stored[Prefix.Length..]);
            if (sealedBytes.Length < NonceBytes + TagBytes)
            {
                return null;
            }

            var plain = new byte[sealedBytes.Length - NonceBytes - TagBytes];
            using var aes = new AesGcm(_key, TagBytes);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), plain, Context(device));
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return null;
        }
    }

    private static byte[] Context(string device) => Encoding.UTF8.GetBytes("kalki-edge/device-credential/v1/" + device);
}
