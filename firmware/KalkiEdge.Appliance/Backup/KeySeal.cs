using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KalkiEdge.Appliance.Backup;

/// <summary>
/// Keys in a backup, sealed with a passphrase: PBKDF2-HMAC-SHA256 (600,000 iterations, 16-byte random salt) derives
/// a 256-bit key for AES-256-GCM (12-byte random nonce, 16-byte tag; the header is authenticated data). Layout:
/// "KKEY" · version 1 · iterations (u32 BE) · salt · nonce · tag · ciphertext. A wrong passphrase and a damaged
/// blob both fail the tag, and are told apart from nothing else on purpose.
/// </summary>
public static class KeySeal
{
    private static readonly byte[] Magic = "KKEY"u8.ToArray();
    private const byte FormatVersion = 1;
    public const int Iterations = 600_000;

    // Bounds on what an archive may ask for: enough for stronger settings later, never a multi-minute derivation.
    private const int MinIterations = 100_000;
    private const int MaxIterations = 10_000_000;
    private const int SaltBytes = 16;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int HeaderBytes = 4 + 1 + 4 + SaltBytes + NonceBytes;

    public const int MinPassphraseLength = 12;

    public static byte[] Seal(ReadOnlySpan<byte> plain, string passphrase)
    {
        CheckPassphrase(passphrase);
        var sealedBlob = new byte[HeaderBytes + TagBytes + plain.Length];
        var header = sealedBlob.AsSpan(0, HeaderBytes);
        Magic.CopyTo(header);
        header[4] = FormatVersion;
        BinaryPrimitives.WriteUInt32BigEndian(header[5..], Iterations);
        RandomNumberGenerator.Fill(header.Slice(9, SaltBytes));
        RandomNumberGenerator.Fill(header.Slice(9 + SaltBytes, NonceBytes));
        var key = DeriveKey(passphrase, header.Slice(9, SaltBytes), Iterations);
        try
        {
            using var gcm = new AesGcm(key, TagBytes);
            gcm.Encrypt(header.Slice(9 + SaltBytes, NonceBytes), plain, sealedBlob.AsSpan(HeaderBytes + TagBytes), sealedBlob.AsSpan(HeaderBytes, TagBytes), header);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        return sealedBlob;
    }

    public static byte[] Open(ReadOnlySpan<byte> sealedBlob, string passphrase)
    {
        if (sealedBlob.Length < HeaderBytes + TagBytes || !sealedBlob[..4].SequenceEqual(Magic))
        {
            throw new BackupException($"{BackupFormat.KeysEntry}: not sealed keys (too short or wrong header)");
        }

        if (sealedBlob[4] != FormatVersion)
        {
            throw new BackupException($"{BackupFormat.KeysEntry}: sealed with format {sealedBlob[4]}, this firmware reads {FormatVersion}");
        }

        var iterations = BinaryPrimitives.ReadUInt32BigEndian(sealedBlob[5..]);
        if (iterations is < MinIterations or > MaxIterations)
        {
            throw new BackupException($"{BackupFormat.KeysEntry}: {iterations} PBKDF2 iterations is outside {MinIterations}..{MaxIterations}");
        }

        var header = sealedBlob[..HeaderBytes];
        var key = DeriveKey(passphrase, header.Slice(9, SaltBytes), (int)iterations);
        var plain = new byte[sealedBlob.Length - HeaderBytes - TagBytes];
        try
        {
            using var gcm = new AesGcm(key, TagBytes);
            gcm.Decrypt(header.Slice(9 + SaltBytes, NonceBytes), sealedBlob[(HeaderBytes + TagBytes)..], sealedBlob.Slice(HeaderBytes, TagBytes), plain, header);
            return plain;
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new BackupException($"{BackupFormat.KeysEntry}: wrong passphrase, or the sealed keys are damaged");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>A passphrase shorter than this is refused when sealing: the keys leave the appliance with it.</summary>
    public static void CheckPassphrase(string passphrase)
    {
        if (string.IsNullOrEmpty(passphrase) || passphrase.Length < MinPassphraseLength)
        {
            throw new BackupException($"the passphrase must be at least {MinPassphraseLength} characters");
        }
    }

    private static byte[] DeriveKey(string passphrase, ReadOnlySpan<byte> salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 32);
}
