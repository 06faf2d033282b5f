namespace KalkiEdge.Appliance.Update;

/// <summary>An update bundle was refused or could not be installed; the message says which bundle and why.</summary>
public sealed class UpdateException(string message) : Exception(message);
