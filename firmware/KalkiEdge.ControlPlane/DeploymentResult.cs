namespace KalkiEdge.ControlPlane;

/// <summary>The outcome of a deployment: the chain now in force, and why it is the fail-closed one if it is.</summary>
public sealed record DeploymentResult(string Image, string ChainText, bool FailClosed, string? Failure, string? AlertType);
