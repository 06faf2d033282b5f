namespace KalkiEdge.DataPlane.Live;

/// <summary>
/// Recognises the appliance's own traffic, which the kernel already delivers or sends and which must not be
/// bridged: frames to or from the MAC of any bridged port, and (when management addresses are configured)
/// IP packets and ARP to or from those addresses.
/// </summary>
public sealed class ManagementFilter(IReadOnlyCollection<ulong> localMacs, IReadOnlyCollection<UInt128> managementAddresses)
{
    private readonly HashSet<ulong> _macs = [.. localMacs.Where(m => m != 0)];
    private readonly HashSet<UInt128> _addresses = [.. managementAddresses];

    public bool IsManagement(Frame frame)
    {
        if (!frame.HasEthernetHeader)
        {
            return false;
        }

        if (_macs.Contains(frame.DstMac) || _macs.Contains(frame.SrcMac))
        {
            return true;
        }

        if (_addresses.Count == 0 || !frame.Decode())
        {
            return false;
        }

        return frame.IsIp ? _addresses.Contains(frame.DstIp) || _addresses.Contains(frame.SrcIp)
            : frame.IsArp && (_addresses.Contains(frame.ArpTargetIp) || _addresses.Contains(frame.ArpSenderIp));
    }
}
