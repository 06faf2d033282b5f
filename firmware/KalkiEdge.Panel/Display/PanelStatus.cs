using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Panel.Display;

/// <summary>A snapshot of what the panel shows, taken by the composition from the running appliance.</summary>
public sealed record PanelStatus
{
    public int Normal { get; init; }

    public int Suspicious { get; init; }

    public int Attack { get; init; }

    /// <summary>Devices in no pack state (fixed chains) or another state.</summary>
    public int Other { get; init; }

    /// <summary>The newest alert's device and type; null before the first.</summary>
    public (string Device, string Type)? NewestAlert { get; init; }

    /// <summary>Seconds left in the pairing window; 0 when closed.</summary>
    public int PairingSeconds { get; init; }

    public AdmissionResult? LastPaired { get; init; }

    public string Management { get; init; } = "";

    /// <summary>"hardware" or "emulated".</summary>
    public string Hypervisor { get; init; } = "";

    public string Signing { get; init; } = "";

    /// <summary>A fail-closed condition in force (block-all after a failed deployment or attestation), else null.</summary>
    public string? FailClosed { get; init; }

    /// <summary>A factory reset waits for its confirming press.</summary>
    public bool ResetArmed { get; init; }

    public int Devices => Normal + Suspicious + Attack + Other;
}
