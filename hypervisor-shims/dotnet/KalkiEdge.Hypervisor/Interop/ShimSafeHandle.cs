using Microsoft.Win32.SafeHandles;

namespace KalkiEdge.Hypervisor.Interop;

/// <summary>Owns a <c>ks_handle_t*</c>; releasing it wipes the call page and the PCR bank.</summary>
internal sealed class ShimSafeHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    // Created by the P/Invoke marshaller for ks_open's out parameter.
    public ShimSafeHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.Close(handle);
        return true;
    }
}
