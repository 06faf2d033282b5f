using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace KalkiEdge.Assurance.Manifest;

/// <summary>
/// Loads and verifies the detached manifest signature: ECDSA P-256 over SHA-256 of the exact bytes of
/// manifest.json, stored base64 (DER, RFC 3279) in manifest.sig. Verified once at start; any failure throws
/// <see cref="ManifestException"/> with a message that says what to do.
/// </summary>
public static class SignedManifest
{
    public const string ManifestFile = "manifest.json";
    public const string SignatureFile = "manifest.sig";
    public const string PublicKeyFile = "signing-key.pub.pem";

    private const string EmbeddedKey = "KalkiEdge.Assurance.signing-key.pub.pem";

    /// <summary>The manifest public key built into this firmware (umboxes/manifest/signing-key.pub.pem at build time).</summary>
    public static ECDsa FirmwarePublicKey()
    {
        using var stream = typeof(SignedManifest).Assembly.GetManifestResourceStream(EmbeddedKey)
            ?? throw new ManifestException($"the firmware carries no manifest public key (resource {EmbeddedKey})");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return ImportPublicKey(reader.ReadToEnd(), EmbeddedKey);
    }

    public static ECDsa ImportPublicKey(string pem, string source)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new ManifestException($"{source}: not a PEM public key: {e.Message}");
        }

        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new ManifestException($"{source}: manifest keys are ECDSA P-256, this one has {key.KeySize} bits");
        }

        return key;
    }

    /// <summary>Loads manifest.json + manifest.sig from <paramref name="directory"/> and verifies them with the firmware key.</summary>
    public static ImageManifest Load(string directory)
    {
        using var key = FirmwarePublicKey();
        return Load(Path.Combine(directory, ManifestFile), Path.Combine(directory, SignatureFile), key);
    }

    public static ImageManifest Load(string manifestPath, string signaturePath, ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var json = Read(manifestPath, "image manifest");
        var signatureText = Encoding.ASCII.GetString(Read(signaturePath, "manifest signature")).Trim();
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureText);
        }
        catch (FormatException)
        {
            throw new ManifestException($"{signaturePath}: not a base64 signature; re-sign with `make sign-manifest`");
        }

        if (!Verify(json, signature, publicKey))
        {
            throw new ManifestException(
                $"{manifestPath}: signature in {signaturePath} does not verify with the firmware's manifest public key " +
                $"(fingerprint {Fingerprint(publicKey)}). The manifest was changed after signing or signed with another key: " +
                "refusing to start. Re-sign with `make sign-manifest` (and rebuild with the matching signing-key.pub.pem).");
        }

        return ImageManifest.Parse(json, manifestPath);
    }

    public static byte[] Sign(ReadOnlySpan<byte> manifestJson, ECDsa privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        return privateKey.SignData(manifestJson, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    public static bool Verify(ReadOnlySpan<byte> manifestJson, ReadOnlySpan<byte> signature, ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        try
        {
            return publicKey.VerifyData(manifestJson, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false; // a malformed DER blob is a bad signature, not a crash
        }
    }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo, first 16 hex digits: enough to tell keys apart in a message.</summary>
    public static string Fingerprint(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
    }

    private static byte[] Read(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ManifestException($"{path}: cannot read the {what}: {e.Message}. Refusing to start without a signed manifest (run `make sign-manifest`).");
        }
    }
}
