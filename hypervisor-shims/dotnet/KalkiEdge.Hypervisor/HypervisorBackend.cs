namespace KalkiEdge.Hypervisor;

/// <summary>The backend actually serving calls. Values match the native <c>ks_backend_t</c>.</summary>
public enum HypervisorBackend
{
    /// <summary>Software uApps keyed from a root-only key file: never hardware-protected.</summary>
    Emulated = 1,

    /// <summary>uberXMHF through /dev/uhcallkmod: the HMAC key stays inside the hypervisor.</summary>
    UberXmhf = 2,
}

/// <summary>Which backend to open. Values match the native <c>ks_backend_t</c>.</summary>
public enum HypervisorBackendRequest
{
    /// <summary>uberXMHF if hypercalls are allowed, the node exists and its echo self-test passes; otherwise emulated.</summary>
    Auto = 0,

    /// <summary>Always the emulated backend; uberXMHF is not probed.</summary>
    Emulated = 1,

    /// <summary>uberXMHF or an error: never silently degrades to emulated.</summary>
    UberXmhf = 2,
}
