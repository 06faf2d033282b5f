using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KalkiEdge.Assurance.Measurement;

/// <summary>A SHA-256 image measurement (32 bytes), compared and printed as lowercase hex.</summary>
public readonly struct ImageMeasurement : IEquatable<ImageMeasurement>
{
    public const int Size = 32;

    private readonly byte[]? _bytes;

    public ImageMeasurement(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a measurement is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Size];

    public static bool TryParse(string? hex, out ImageMeasurement measurement)
    {
        measurement = default;
        if (hex is null || hex.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        measurement = new ImageMeasurement(bytes);
        return true;
    }

    /// <summary>The 20-byte PCR extend input: SHA-1 of the measurement (PCRs are SHA-1 wide).</summary>
    // The PCR bank is SHA-1 (the µTPM's width); the SHA-256 measurement is what is compared, SHA-1 only names it in the PCR.
#pragma warning disable CA5350 // SHA-1 is imposed by the PCR format, not used for integrity decisions
    public void PcrDigest(Span<byte> sha1) => SHA1.HashData(Bytes, sha1);
#pragma warning restore CA5350

    public bool Equals(ImageMeasurement other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is ImageMeasurement m && Equals(m);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(Bytes);

    public override string ToString() => Convert.ToHexStringLower(Bytes);

    public static bool operator ==(ImageMeasurement left, ImageMeasurement right) => left.Equals(right);

    public static bool operator !=(ImageMeasurement left, ImageMeasurement right) => !left.Equals(right);
}
