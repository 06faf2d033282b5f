namespace KalkiEdge.Core.Policy;

/// <summary>How the terms of a condition combine.</summary>
public enum Combine
{
    All,
    Any,
}
