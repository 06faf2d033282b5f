namespace KalkiEdge.Store;

/// <summary>A device's last committed security state and chain, for restart.</summary>
public sealed record CommittedDeviceState(string Device, string State, string? Image, long SinceMicros);
