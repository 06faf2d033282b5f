using KalkiEdge.Appliance.Config;
using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Store;

namespace KalkiEdge.Appliance.Registry;

/// <summary>Conversions between a device spec, its kalki.yaml form (for the site-config checks) and its store record.</summary>
internal static class DeviceSpecs
{
    /// <summary>
    /// The spec as the device entry kalki.yaml would hold, so <see cref="SiteConfigLoader.ParseDevice"/> checks it.
    /// Each value's place is its field's name (chain text: line and column within it), which is how errors name fields.
    /// </summary>
    public static ArgNode ToNode(DeviceSpec spec)
    {
        var entries = new List<KeyValuePair<ArgNode, ArgNode>>();
        void Add(string key, ArgNode value) => entries.Add(new(new ArgNode(value.At, key), value));
        static ArgNode Scalar(string field, string text) => new(new SourceSpan(field, 0, 0), text);
        Add("name", Scalar("name", spec.Name));
        Add("mac", Scalar("mac", spec.Mac));
        if (spec.Ips.Count > 0)
        {
            Add("ip", new ArgNode(new SourceSpan("ips", 0, 0), [.. spec.Ips.Select(ip => Scalar("ips", ip))]));
        }

        if (spec.Type is not null)
        {
            Add("type", Scalar("type", spec.Type));
        }

        if (spec.Image is not null)
        {
            Add("image", Scalar("image", spec.Image));
        }

        if (spec.Chain is not null)
        {
            Add("chain", new ArgNode(new SourceSpan("chain", 1, 1), spec.Chain));
        }

        if (spec.Group is not null)
        {
            Add("group", Scalar("group", spec.Group));
        }

        Add("description", Scalar("description", spec.Description));
        return new ArgNode(new SourceSpan("device", 0, 0), entries);
    }

    public static DeviceSpec FromConfig(DeviceConfig d) => new(d.Name, Mac.Format(d.Mac), [.. d.Ips.Select(Ip.Format)])
    {
        Type = d.Type,
        Image = d.Image,
        Chain = d.Chain,
        Group = d.Group,
        Description = d.Description,
    };

    public static DeviceSpec FromRecord(RuntimeDeviceRecord r) => new(r.Name, r.Mac, r.Ips)
    {
        Type = r.Type,
        Image = r.Image,
        Chain = r.Chain,
        Group = r.Group,
        Description = r.Description,
        CredentialsUser = r.CredentialsUser,
        CredentialsPassword = r.CredentialsPassword,
    };

    /// <summary>The record as committed: MAC and addresses in their canonical form.</summary>
    public static RuntimeDeviceRecord ToRecord(DeviceSpec s, DeviceConfig checkedConfig) =>
        new(s.Name, Mac.Format(checkedConfig.Mac), [.. checkedConfig.Ips.Select(Ip.Format)], s.Type, s.Image, s.Chain, s.Group, s.Description,
            s.CredentialsUser, s.CredentialsPassword);
}
