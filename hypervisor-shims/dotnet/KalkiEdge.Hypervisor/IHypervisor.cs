namespace KalkiEdge.Hypervisor;

/// <summary>
/// The high-assurance services: a keyed MAC (packet signing) and PCRs (image measurements).
/// Implementations are thread-safe; calls are serialized by the native shim.
/// </summary>
public interface IHypervisor : IDisposable
{
    /// <summary>The backend actually in use. Show it wherever the appliance reports its state.</summary>
    HypervisorBackend Backend { get; }

    /// <summary>True only when the MAC key is held by the hypervisor. Never true for <see cref="HypervisorBackend.Emulated"/>.</summary>
    bool IsHardwareProtected { get; }

    /// <summary>One line for the dashboard, LCD and logs, including why uberXMHF is not in use.</summary>
    string Description { get; }

    /// <summary>Echo round trip through the backend plus hash known-answer tests; throws on failure.</summary>
    void SelfTest();

    /// <summary>Writes HMAC-SHA256(data) into <paramref name="digest"/> (exactly 32 bytes); data ≤ 1600 bytes.</summary>
    void Hmac(ReadOnlySpan<byte> data, Span<byte> digest);

    /// <summary>Constant-time check that <paramref name="digest"/> is the HMAC of <paramref name="data"/>.</summary>
    bool VerifyHmac(ReadOnlySpan<byte> data, ReadOnlySpan<byte> digest);

    /// <summary>PCR[index] = SHA1(PCR[index] || sha1), with a 20-byte <paramref name="sha1"/>.</summary>
    void ExtendPcr(int index, ReadOnlySpan<byte> sha1);

    /// <summary>Copies PCR[index] into <paramref name="value"/> (exactly 20 bytes).</summary>
    void ReadPcr(int index, Span<byte> value);
}
