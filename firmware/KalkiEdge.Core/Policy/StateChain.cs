namespace KalkiEdge.Core.Policy;

/// <summary>The chain (μmbox image) a device of this type runs in a given state.</summary>
public sealed record StateChain(string State, string Image, SourceSpan At);
