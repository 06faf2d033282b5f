using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using KalkiEdge.Hypervisor.Interop;

namespace KalkiEdge.Hypervisor;

/// <summary>
/// <see cref="IHypervisor"/> over libkalkishim. Open with <see cref="Open"/>; the hot-path calls
/// pin the caller's spans and allocate nothing.
/// </summary>
public sealed unsafe class HypervisorShim : IHypervisor
{
    /// <summary>HMAC-SHA256 output size.</summary>
    public const int DigestSize = 32;

    /// <summary>PCR width and extend input size (SHA-1).</summary>
    public const int Sha1Size = 20;

    /// <summary>Largest HMAC input: the uhsign packet buffer, room for 50 SHA-256 digests.</summary>
    public const int MaxHmacInput = 1600;

    /// <summary>Number of PCRs.</summary>
    public const int PcrCount = 24;

    private readonly ShimSafeHandle _handle;
    private readonly KsCapabilities _capabilities;

    private HypervisorShim(ShimSafeHandle handle)
    {
        _handle = handle;
        Backend = (HypervisorBackend)NativeMethods.Backend(handle);
        ProbeStatus = (ShimStatus)NativeMethods.ProbeStatus(handle);
        _capabilities = (KsCapabilities)NativeMethods.Capabilities(handle);
        Description = Describe(Backend, ProbeStatus, IsHardwareProtected);
    }

    public HypervisorBackend Backend { get; }

    /// <summary>Why uberXMHF is (<see cref="ShimStatus.Ok"/>) or is not in use.</summary>
    public ShimStatus ProbeStatus { get; }

    // The emulated backend is never presented as hardware-protected, whatever the library reports.
    public bool IsHardwareProtected =>
        Backend == HypervisorBackend.UberXmhf && _capabilities.HasFlag(KsCapabilities.HardwareHmacKey);

    public string Description { get; }

    /// <summary>Opens the shim; throws <see cref="HypervisorShimException"/> with the native reason on failure.</summary>
    public static HypervisorShim Open(HypervisorShimOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ShimLibrary.EnsureLoaded();

        var keyPath = Marshal.StringToCoTaskMemUTF8(options.KeyPath);
        var devicePath = Marshal.StringToCoTaskMemUTF8(options.DevicePath);
        try
        {
            var native = new KsOptions
            {
                Size = (uint)sizeof(KsOptions),
                AllowHypercalls = options.AllowHypercalls ? 1u : 0u,
                KeyPath = keyPath,
                DevicePath = devicePath,
            };
            var status = NativeMethods.Open((int)options.Backend, in native, out var handle);
            if (status != 0)
            {
                handle.Dispose();
                throw new HypervisorShimException(
                    $"Opening the hypervisor shim ({options.Backend} requested) failed: {Message(status)} (status {status}).",
                    (ShimStatus)status);
            }

            return new HypervisorShim(handle);
        }
        finally
        {
            Marshal.FreeCoTaskMem(keyPath);
            Marshal.FreeCoTaskMem(devicePath);
        }
    }

    /// <summary>
    /// Null when libkalkishim.so loads here, else why not: every place looked for and how to build it (for tools
    /// that report a missing prerequisite instead of failing, such as the benchmarks).
    /// </summary>
    public static string? WhyUnavailable()
    {
        try
        {
            ShimLibrary.EnsureLoaded();
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }

    /// <summary>The native library's text for a status code.</summary>
    public static string Message(ShimStatus status) => Message((int)status);

    public void SelfTest() => ThrowIfFailed(NativeMethods.SelfTest(_handle), "self-test");

    public void Hmac(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        CheckHmacInput(data.Length, nameof(data));
        CheckExactLength(digest.Length, DigestSize, nameof(digest));
        int status;
        fixed (byte* dataPtr = data)
        fixed (byte* digestPtr = digest)
        {
            status = NativeMethods.Hmac(_handle, dataPtr, (nuint)data.Length, digestPtr);
        }

        ThrowIfFailed(status, "HMAC");
    }

    public bool VerifyHmac(ReadOnlySpan<byte> data, ReadOnlySpan<byte> digest)
    {
        CheckHmacInput(data.Length, nameof(data));
        CheckExactLength(digest.Length, DigestSize, nameof(digest));
        int status;
        fixed (byte* dataPtr = data)
        fixed (byte* digestPtr = digest)
        {
            status = NativeMethods.HmacVerify(_handle, dataPtr, (nuint)data.Length, digestPtr);
        }

        if (status == (int)ShimStatus.VerifyMismatch)
        {
            return false;
        }

        ThrowIfFailed(status, "HMAC verify");
        return true;
    }

    public void ExtendPcr(int index, ReadOnlySpan<byte> sha1)
    {
        CheckPcrIndex(index);
        CheckExactLength(sha1.Length, Sha1Size, nameof(sha1));
        int status;
        fixed (byte* sha1Ptr = sha1)
        {
            status = NativeMethods.PcrExtend(_handle, (uint)index, sha1Ptr);
        }

        ThrowIfFailed(status, "PCR extend");
    }

    public void ReadPcr(int index, Span<byte> value)
    {
        CheckPcrIndex(index);
        CheckExactLength(value.Length, Sha1Size, nameof(value));
        int status;
        fixed (byte* valuePtr = value)
        {
            status = NativeMethods.PcrRead(_handle, (uint)index, valuePtr);
        }

        ThrowIfFailed(status, "PCR read");
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => Description;

    private static string Describe(HypervisorBackend backend, ShimStatus probe, bool hardware) => backend switch
    {
        HypervisorBackend.UberXmhf when hardware =>
            "uberXMHF hypervisor: HMAC key held by the hypervisor (PCRs kept by the shim)",
        HypervisorBackend.UberXmhf => "uberXMHF hypervisor: no hardware-held key reported",
        _ => $"emulated, NOT hardware-protected (software key file; uberXMHF not used: {Message(probe)})",
    };

    private static string Message(int status) =>
        Marshal.PtrToStringUTF8(NativeMethods.StrError(status)) ?? $"status {status}";

    // Argument checks are in C# as well as in the library so the exception can name the value given.
    private static void CheckHmacInput(int length, string name)
    {
        if (length > MaxHmacInput)
        {
            ThrowInputTooLarge(length, name);
        }
    }

    private static void CheckExactLength(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            ThrowWrongLength(actual, expected, name);
        }
    }

    private static void CheckPcrIndex(int index)
    {
        if ((uint)index >= PcrCount)
        {
            ThrowPcrIndex(index);
        }
    }

    private void ThrowIfFailed(int status, string operation)
    {
        if (status != 0)
        {
            ThrowFailure(status, operation);
        }
    }

    // Throw helpers keep the hot methods small and free of string formatting.
    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowInputTooLarge(int length, string name) =>
        throw new ArgumentOutOfRangeException(
            name,
            length,
            $"HMAC input is {length} bytes; the hypervisor's uhsign call takes at most {MaxHmacInput} bytes " +
            $"(sign batches of up to {MaxHmacInput / DigestSize} SHA-256 digests).");

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowWrongLength(int actual, int expected, string name) =>
        throw new ArgumentException($"Buffer must be exactly {expected} bytes, got {actual}.", name);

    [DoesNotReturn]
    [StackTraceHidden]
    private static void ThrowPcrIndex(int index) =>
        throw new ArgumentOutOfRangeException(
            nameof(index), index, $"PCR index must be between 0 and {PcrCount - 1}.");

    [DoesNotReturn]
    [StackTraceHidden]
    private void ThrowFailure(int status, string operation) =>
        throw new HypervisorShimException(
            $"Hypervisor shim {operation} failed on the {Backend} backend: {Message(status)} (status {status}).",
            (ShimStatus)status);
}
