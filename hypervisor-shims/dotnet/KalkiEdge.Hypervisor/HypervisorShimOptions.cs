namespace KalkiEdge.Hypervisor;

/// <summary>How to open the shim. The defaults never issue a hypercall.</summary>
public sealed class HypervisorShimOptions
{
    public HypervisorBackendRequest Backend { get; init; } = HypervisorBackendRequest.Auto;

    /// <summary>
    /// Configuration opt-in for uberXMHF. Without it no hypercall is ever issued: on uberXMHF an
    /// unknown call halts the whole machine, so probing must be a deliberate site decision.
    /// </summary>
    public bool AllowHypercalls { get; init; }

    /// <summary>Emulated backend's key file (created 0600 on first start); null = the library default.</summary>
    public string? KeyPath { get; init; }

    /// <summary>The uberXMHF device node; null = /dev/uhcallkmod.</summary>
    public string? DevicePath { get; init; }
}
