namespace KalkiEdge.Core.Policy;

/// <summary>At least <see cref="Min"/> other members of the device's group (optionally of one type) are in <see cref="State"/>.</summary>
public sealed record GroupStateCondition(string? Type, string State, int Min, SourceSpan At);
