using System.Globalization;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Umboxes.Common;

/// <summary>
/// Parses the argument vocabulary shared by match-based elements, so every element spells it the same way:
/// <c>dir: in|out|any</c>, <c>proto: tcp|udp|icmp|arp|ip|any</c>, <c>remote: 198.51.100.0/24</c> or a list,
/// <c>lport:</c>/<c>rport:</c> as <c>443</c>, <c>8000-8080</c>, <c>any</c> or a list of those, and
/// <c>prefix: /24</c>. Errors go to the argument's place; on error a permissive fallback is returned so
/// validation continues and every error is reported at once.
/// </summary>
public static class MatchArgs
{
    public static readonly string[] DirectionWords = ["in", "out", "any"];
    public static readonly string[] ProtocolWords = ["tcp", "udp", "icmp", "arp", "ip", "any"];

    public static DirectionMatch Direction(ElementArgs args, string key = "dir", DirectionMatch fallback = DirectionMatch.Any) =>
        args.Choice(key, Word(fallback), DirectionWords) switch
        {
            "in" => DirectionMatch.In,
            "out" => DirectionMatch.Out,
            _ => DirectionMatch.Any,
        };

    public static ProtocolMatch Protocol(ElementArgs args, string key = "proto", ProtocolMatch fallback = ProtocolMatch.Any) =>
        args.Choice(key, Word(fallback), ProtocolWords) switch
        {
            "tcp" => ProtocolMatch.Tcp,
            "udp" => ProtocolMatch.Udp,
            "icmp" => ProtocolMatch.Icmp,
            "arp" => ProtocolMatch.Arp,
            "ip" => ProtocolMatch.Ip,
            _ => ProtocolMatch.Any,
        };

    /// <summary>A port set, or null when the argument is absent or <c>any</c>.</summary>
    public static PortSet? Ports(ElementArgs args, string key)
    {
        var node = args.Node(key, "ports", "any");
        if (node is null)
        {
            return null;
        }

        var ranges = new List<(ushort, ushort)>();
        bool any = false;
        foreach (var item in node.AsList())
        {
            var text = args.ScalarText(item);
            if (text is null)
            {
                continue;
            }

            if (text.Trim() == "any")
            {
                any = true;
            }
            else if (TryParsePortRange(text, out var range))
            {
                ranges.Add(range);
            }
            else
            {
                args.Error(item.At, $"'{key}': '{text}' is not a port or port range (0-65535, e.g. 443 or 8000-8080)");
            }
        }

        if (ranges.Count == 0 && !any && node.Kind == ArgKind.List && node.Items.Count == 0)
        {
            args.Error(node.At, $"'{key}' is an empty list; omit it or write 'any'");
        }

        return any || ranges.Count == 0 ? null : new PortSet(ranges);
    }

    /// <summary>An address set from one address/CIDR or a list of them; null when absent or <c>any</c>.</summary>
    public static AddressSet? Addresses(ElementArgs args, string key)
    {
        var node = args.Node(key, "addresses", "any");
        return node is null ? null : Addresses(args, node, key);
    }

    public static AddressSet? Addresses(ElementArgs args, ArgNode node, string what)
    {
        var networks = new List<IpNetwork>();
        foreach (var item in node.AsList())
        {
            if (item.Kind == ArgKind.Scalar)
            {
                networks.Add(args.Network(item, $"'{what}'"));
            }
            else
            {
                args.Error(item.At, $"'{what}': expected an address or CIDR block, got {item}");
            }
        }

        if (networks.Count == 0)
        {
            args.Error(node.At, $"'{what}' lists no addresses");
            return null;
        }

        var set = new AddressSet(networks);
        return set.MatchesAll ? null : set;
    }

    /// <summary>
    /// The per-source aggregation block: <c>prefix:</c> for IPv4 (<c>/32</c> or <c>32</c>, default 32) and
    /// <c>prefix6:</c> for IPv6 (default 64).
    /// </summary>
    public static SourcePrefix Prefix(ElementArgs args, string v4Key = "prefix", string v6Key = "prefix6") =>
        new(PrefixBits(args, v4Key, 32, 32), PrefixBits(args, v6Key, 64, 128));

    /// <summary>
    /// The common match (dir, proto, remote, lport, rport) read from an element's or a rule's arguments.
    /// Ports require <c>proto: tcp</c> or <c>udp</c>: a port rule that silently never matched would be a hole.
    /// </summary>
    public static TrafficMatch Traffic(ElementArgs args, DirectionMatch defaultDirection = DirectionMatch.Any)
    {
        var dir = Direction(args, "dir", defaultDirection);
        var proto = Protocol(args);
        var remote = Addresses(args, "remote");
        var lport = Ports(args, "lport");
        var rport = Ports(args, "rport");
        foreach (var key in (ReadOnlySpan<string>)["lport", "rport"])
        {
            if (args.Has(key) && proto is not (ProtocolMatch.Tcp or ProtocolMatch.Udp))
            {
                args.Error(args.Node(key)!.At, $"'{key}' needs 'proto: tcp' or 'proto: udp' (ports exist only there)");
            }
        }

        return new TrafficMatch(dir, proto, remote, lport, rport);
    }

    public static bool TryParsePortRange(string text, out (ushort Low, ushort High) range)
    {
        range = default;
        var t = text.Trim();
        int dash = t.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            if (!TryParsePort(t, out var p))
            {
                return false;
            }

            range = (p, p);
            return true;
        }

        if (!TryParsePort(t[..dash], out var low) || !TryParsePort(t[(dash + 1)..], out var high) || low > high)
        {
            return false;
        }

        range = (low, high);
        return true;
    }

    private static bool TryParsePort(string text, out ushort port) =>
        ushort.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port);

    private static int PrefixBits(ElementArgs args, string key, int fallback, int max)
    {
        var node = args.Node(key, "prefix length", $"/{fallback}");
        var text = node is null ? null : args.ScalarText(node);
        if (text is null)
        {
            return fallback;
        }

        var digits = text.Trim().TrimStart('/');
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var bits) || bits > max)
        {
            args.Error(node!.At, $"'{key}' must be a prefix length /0../{max}, got '{text}'");
            return fallback;
        }

        return bits;
    }

    private static string Word(DirectionMatch d) => d switch
    {
        DirectionMatch.In => "in",
        DirectionMatch.Out => "out",
        _ => "any",
    };

    private static string Word(ProtocolMatch p) => p.ToString().ToLowerInvariant();
}
