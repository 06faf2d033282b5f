using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Pairing;

namespace KalkiEdge.Appliance.Control;

/// <summary>
/// Admits a paired device the way a device from kalki.yaml is built: a slot, its pack's initial state with that
/// state's chain deployed, then the slot in the device table — so the engine finds the device only with its
/// defense in force, from its next frame.
/// </summary>
internal sealed class PairingAdmission(Appliance appliance) : IDeviceAdmission
{
    public AdmissionResult Admit(PairingVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (!appliance.Control.HasType(verdict.Pack))
        {
            return new AdmissionResult(verdict, false, $"pack '{verdict.Pack}' is not loaded");
        }

        if (appliance.Engine.Devices.ByMac(verdict.Mac) is { } owner)
        {
            return new AdmissionResult(verdict, false, $"MAC {Mac.Format(verdict.Mac)} already belongs to {owner.Name}");
        }

        if (appliance.Control.Devices.ContainsKey(verdict.DeviceName) || appliance.Engine.Devices.ByName(verdict.DeviceName) is not null)
        {
            return new AdmissionResult(verdict, false, $"a device named {verdict.DeviceName} exists");
        }

        var slot = new DeviceSlot(verdict.DeviceName, verdict.Mac, []);
        appliance.Control.Register(slot, verdict.Pack);
        appliance.Engine.Devices.Add(slot);
        return new AdmissionResult(verdict, true, verdict.NeedsReview ? "needs review" : "recognised");
    }
}
