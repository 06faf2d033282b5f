using System.Buffers.Binary;
using System.Security.Cryptography;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// The per-frame digest that tags bind: SHA-256(header ‖ frame bytes), where the 64-byte header is
/// "KEPKTv1\0" ‖ device MAC (u64 BE) ‖ chain measurement (32) ‖ state epoch (i64 BE) ‖ direction (u8) ‖ 0 0 0 ‖
/// frame length (u32 BE). Computed identically when tagging and at egress, each side with its own view of the
/// device. Reuses one hash object: not thread-safe, allocation-free.
/// </summary>
public sealed class PacketBinding : IDisposable
{
    public const int HeaderSize = 64;
    public const int DigestSize = 32;

    private static ReadOnlySpan<byte> Domain => "KEPKTv1\0"u8;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public void Digest(ulong deviceMac, ReadOnlySpan<byte> chainMeasurement, long epoch, Direction direction, ReadOnlySpan<byte> frame, Span<byte> digest)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        Domain.CopyTo(header);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], deviceMac);
        chainMeasurement[..DigestSize].CopyTo(header[16..]);
        BinaryPrimitives.WriteInt64BigEndian(header[48..], epoch);
        header[56] = (byte)direction;
        header[57..60].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(header[60..], (uint)frame.Length);
        _hash.AppendData(header);
        _hash.AppendData(frame);
        _hash.GetHashAndReset(digest);
    }

    public void Dispose() => _hash.Dispose();
}
