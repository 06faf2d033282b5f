namespace KalkiEdge.Hypervisor;

/// <summary>A shim call failed; <see cref="Status"/> carries the native status code.</summary>
public sealed class HypervisorShimException : Exception
{
    public HypervisorShimException()
    {
    }

    public HypervisorShimException(string message)
        : base(message)
    {
    }

    public HypervisorShimException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HypervisorShimException(string message, ShimStatus status)
        : base(message)
    {
        Status = status;
    }

    public ShimStatus Status { get; } = ShimStatus.Internal;
}
