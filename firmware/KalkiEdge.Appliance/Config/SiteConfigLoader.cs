using KalkiEdge.Core;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Appliance.Config;

/// <summary>Loads and validates kalki.yaml, reporting every problem with its line.</summary>
public static class SiteConfigLoader
{
    /// <summary>Loads the config; errors go to <paramref name="diagnostics"/> (the result is only safe to use when there are none).</summary>
    public static SiteConfig? Load(string path, DiagnosticBag diagnostics)
    {
        var root = YamlArgs.LoadFile(path, diagnostics);
        return root is null ? null : FromNode(root, path, diagnostics);
    }

    public static SiteConfig? FromNode(ArgNode root, string path, DiagnosticBag diagnostics)
    {
        var args = new ElementArgs("config", root.At, root.Entries, diagnostics, NoResources.Instance);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var umboxes = ResolveDir(args.Path("umboxes", null) ?? DefaultUmboxesDir(), baseDir);
        var broadcast = args.Node("network-broadcast");
        var names = new NamePool();
        var devices = args.List("devices").Select(n => Device(args, n, names)).OfType<DeviceConfig>().ToList();
        var sections = SiteSections.Read.Select(s => (s.Name, n: args.Node(s.Name))).Where(x => x.n is not null).ToDictionary(x => x.Name, x => x.n!);
        RefuseReserved(args);
        var config = new SiteConfig
        {
            File = path,
            UmboxesDir = umboxes,
            DataDir = ResolveDir(args.Path("data-dir", null) ?? Path.Combine(baseDir, "data"), baseDir),
            UnknownDevices = args.Choice("unknown-devices", "drop", "drop", "forward") == "forward" ? UnknownDevicePolicy.Forward : UnknownDevicePolicy.Drop,
            NetworkBroadcastChain = broadcast is null ? SiteConfig.DefaultNetworkBroadcastChain : args.ScalarText(broadcast) ?? "",
            NetworkBroadcastAt = broadcast?.At ?? root.At,
            Devices = devices,
            Sections = sections,
        };
        args.RejectUnknown();
        CheckUnique(devices, diagnostics);
        if (!Directory.Exists(umboxes))
        {
            diagnostics.Error(root.At, $"config: umboxes directory '{umboxes}' does not exist (set 'umboxes:')");
        }

        // Returned even with errors so later stages (chains, images, packs) can report theirs too.
        return config;
    }

    /// <summary>A reserved section is an error of its own (what it is and why), not an unknown key.</summary>
    private static void RefuseReserved(ElementArgs args)
    {
        foreach (var reserved in SiteSections.Reserved)
        {
            if (args.Has(reserved.Name))
            {
                args.Error(args.Node(reserved.Name)!.At, $"'{reserved.Name}' is not read by this firmware, so its settings would not apply: {reserved.Why}; remove the section");
            }
        }
    }

    /// <summary>The umboxes directory shipped beside the binary, else the repository's (development runs).</summary>
    public static string DefaultUmboxesDir()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "umboxes");
        if (Directory.Exists(beside))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "umboxes", "images");
            if (Directory.Exists(candidate))
            {
                return Path.GetDirectoryName(candidate)!;
            }
        }

        return beside;
    }

    /// <summary>
    /// One device entry, checked exactly as in kalki.yaml (the runtime device registry validates with it). Errors go
    /// to <paramref name="diagnostics"/>; the result is only safe to use when there are none.
    /// </summary>
    public static DeviceConfig? ParseDevice(ArgNode node, DiagnosticBag diagnostics)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Device(new ElementArgs("config", node.At, [], diagnostics, NoResources.Instance), node, new NamePool());
    }

    private static DeviceConfig? Device(ElementArgs config, ArgNode node, NamePool names)
    {
        var d = config.Map(node, "device");
        if (d is null)
        {
            return null;
        }

        var name = d.String("name", "");
        if (name.Length == 0)
        {
            d.Error(node.At, "every device needs a 'name'");
        }
        else if (!DeviceName.IsValid(name))
        {
            d.Error(d.Node("name")!.At, $"device name '{Printable.Escape(name)}' is not allowed: use {DeviceName.Rule}");
            name = Printable.Escape(name);
        }

        var macNode = d.Required("mac");
        ulong mac = 0;
        if (macNode is not null && d.ScalarText(macNode) is { } macText && (!DataPlane.Mac.TryParse(macText, out mac) || mac == 0 || DataPlane.Mac.IsGroup(mac)))
        {
            d.Error(macNode.At, $"device '{name}': '{Printable.Escape(macText)}' is not a unicast MAC address (e.g. 02:00:00:00:00:01)");
        }

        var ips = new List<UInt128>();
        foreach (var ipNode in d.List("ip"))
        {
            if (d.ScalarText(ipNode) is { } t && Ip.TryParse(t, out var ip) && Ip.IsUnicast(ip))
            {
                ips.Add(ip);
            }
            else
            {
                d.Error(ipNode.At, $"device '{name}': '{Printable.Escape(ipNode.ToString())}' is not a unicast IP address (write IPv4 as a.b.c.d, IPv6 without a %zone)");
            }
        }

        if (ips.Count > DeviceSlot.MaxLearnedIps)
        {
            d.Error(node.At, $"device '{name}': at most {DeviceSlot.MaxLearnedIps} IP bindings");
        }

        var type = d.Node("type");
        var image = d.Node("image");
        var chain = d.Node("chain");
        if ((type is null ? 0 : 1) + (image is null ? 0 : 1) + (chain is null ? 0 : 1) != 1)
        {
            d.Error(node.At, $"device '{name}': give exactly one of 'type' (a device-type pack), 'image' or 'chain'");
        }

        var result = new DeviceConfig(name, mac, ips.ToArray(), node.At) // exact size: kept for the appliance's life
        {
            NameAt = d.Node("name")?.At ?? node.At,
            MacAt = macNode?.At ?? node.At,
            IpsAt = d.Node("ip")?.At ?? node.At,
            Type = type is null ? null : names.Share(d.ScalarText(type)),
            Image = image is null ? null : names.Share(d.ScalarText(image)),
            Chain = chain is null ? null : d.ScalarText(chain),
            ChainAt = (chain ?? image ?? type)?.At ?? node.At,
            Group = d.Node("group") is { } g ? names.Share(d.ScalarText(g)) : null,
            Description = d.String("description", ""),
            Monitor = d.Node("monitor"),
            Credentials = d.Node("credentials"), // read by the device monitors; never logged
        };
        d.Node("sampling");
        d.RejectUnknown();
        return result;
    }

    /// <summary>Names, MACs and IPs are unique across <paramref name="devices"/>; each clash is reported at its later occurrence.</summary>
    public static void CheckUnique(IEnumerable<DeviceConfig> devices, DiagnosticBag diagnostics)
    {
        var all = devices.ToList();
        foreach (var dup in all.GroupBy(d => d.Name).Where(g => g.Count() > 1))
        {
            diagnostics.Error(dup.Skip(1).First().NameAt, $"device name '{dup.Key}' is used {dup.Count()} times");
        }

        foreach (var dup in all.GroupBy(d => d.Mac).Where(g => g.Count() > 1 && g.Key != 0))
        {
            diagnostics.Error(dup.Skip(1).First().MacAt, $"MAC {DataPlane.Mac.Format(dup.Key)} is given to {string.Join(" and ", dup.Select(d => d.Name))}");
        }

        foreach (var dup in all.SelectMany(d => d.Ips.Select(ip => (ip, d))).GroupBy(x => x.ip).Where(g => g.Count() > 1))
        {
            diagnostics.Error(dup.Skip(1).First().d.IpsAt, $"IP {Ip.Format(dup.Key)} is bound to {string.Join(" and ", dup.Select(x => x.d.Name))}");
        }
    }

    private static string ResolveDir(string dir, string baseDir) => Path.GetFullPath(Path.Combine(baseDir, dir));

    /// <summary>
    /// One string per distinct pack, image and group name: thousands of devices name the same few, and each parsed
    /// scalar is otherwise its own copy, kept for the appliance's life.
    /// </summary>
    private sealed class NamePool
    {
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

        public string? Share(string? name)
        {
            if (name is null)
            {
                return null;
            }

            if (!_names.TryGetValue(name, out var shared))
            {
                _names[name] = shared = name;
            }

            return shared;
        }
    }
}
