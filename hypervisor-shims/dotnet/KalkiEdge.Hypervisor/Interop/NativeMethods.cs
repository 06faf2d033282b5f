using System.Runtime.InteropServices;

namespace KalkiEdge.Hypervisor.Interop;

/// <summary>Source-generated bindings to libkalkishim.so (include/kalkishim.h).</summary>
/// <remarks>
/// Every entry point returns a status code; pointers are pinned spans, so the hot path
/// (HMAC, verify, PCR) marshals nothing and allocates nothing.
/// Callers must run <see cref="ShimLibrary.EnsureLoaded"/> first so the resolver is installed.
/// </remarks>
internal static unsafe partial class NativeMethods
{
    internal const string LibraryName = "kalkishim";

    [LibraryImport(LibraryName, EntryPoint = "ks_open")]
    internal static partial int Open(int backend, in KsOptions options, out ShimSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "ks_close")]
    internal static partial void Close(nint handle);

    [LibraryImport(LibraryName, EntryPoint = "ks_backend")]
    internal static partial int Backend(ShimSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "ks_probe_status")]
    internal static partial int ProbeStatus(ShimSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "ks_capabilities")]
    internal static partial uint Capabilities(ShimSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "ks_selftest")]
    internal static partial int SelfTest(ShimSafeHandle handle);

    [LibraryImport(LibraryName, EntryPoint = "ks_hmac")]
    internal static partial int Hmac(ShimSafeHandle handle, byte* data, nuint length, byte* digest);

    [LibraryImport(LibraryName, EntryPoint = "ks_hmac_verify")]
    internal static partial int HmacVerify(ShimSafeHandle handle, byte* data, nuint length, byte* digest);

    [LibraryImport(LibraryName, EntryPoint = "ks_pcr_extend")]
    internal static partial int PcrExtend(ShimSafeHandle handle, uint index, byte* sha1);

    [LibraryImport(LibraryName, EntryPoint = "ks_pcr_read")]
    internal static partial int PcrRead(ShimSafeHandle handle, uint index, byte* value);

    /// <summary>Returns a pointer to a static UTF-8 string owned by the library.</summary>
    [LibraryImport(LibraryName, EntryPoint = "ks_strerror")]
    internal static partial nint StrError(int status);
}

/// <summary>Mirror of <c>ks_options_t</c>: two uint32 then two pointers, on 32- and 64-bit alike.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KsOptions
{
    public uint Size;
    public uint AllowHypercalls;
    public nint KeyPath;
    public nint DevicePath;
}

/// <summary>Native capability bits (<c>enum ks_capability</c>).</summary>
[Flags]
internal enum KsCapabilities : uint
{
    None = 0,
    HardwareHmacKey = 1u << 0,
    HardwarePcr = 1u << 1,
}
