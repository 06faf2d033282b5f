using KalkiEdge.Core;
using KalkiEdge.Panel.Display;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// What the panel shows, read from the running appliance: device counts by security state, the newest alert and
/// the last fail-closed one (from the control plane's evaluated alerts), pairing, and the fixed facts.
/// </summary>
public sealed class PanelStatusSource
{
    private readonly EdgeAppliance _appliance;
    private readonly PanelStatus _fixed;
    private volatile AlertSeen? _newest;
    private volatile AlertSeen? _failClosed;

    public PanelStatusSource(EdgeAppliance appliance, string management, string hypervisor, string signing)
    {
        _appliance = appliance ?? throw new ArgumentNullException(nameof(appliance));
        _fixed = new PanelStatus { Management = management, Hypervisor = hypervisor, Signing = signing };
        appliance.Control.AlertEvaluated += OnAlert;
    }

    public PanelStatus Snapshot()
    {
        int normal = 0, suspicious = 0, attack = 0, other = 0;
        foreach (var device in _appliance.Engine.Devices.All)
        {
            switch (EdgeAppliance.StateOf(device))
            {
                case "Normal": normal++; break;
                case "Suspicious": suspicious++; break;
                case "Attack": attack++; break;
                default: other++; break;
            }
        }

        var pairing = _appliance.Pairing;
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
        return _fixed with
        {
            Normal = normal,
            Suspicious = suspicious,
            Attack = attack,
            Other = other,
            NewestAlert = _newest is { } a ? (a.Device, a.Type) : null,
            FailClosed = _failClosed is { } f ? $"{f.Type} {f.Device}" : null,
            PairingSeconds = pairing?.Window.RemainingSeconds(now) ?? 0,
            LastPaired = pairing?.Last,
        };
    }

    private void OnAlert(Alert alert)
    {
        _newest = new AlertSeen(alert.Device, alert.Type);
        if (alert.Type is AlertTypes.ChainFailure or AlertTypes.AttestationFailure)
        {
            _failClosed = _newest; // block-all is in force for that device
        }
    }

    private sealed record AlertSeen(string Device, string Type);
}
